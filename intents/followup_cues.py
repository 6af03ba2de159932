"""The words of a follow-up that say how it relates to the chat so far (intents/data/followups.toml).

'都有货吗' asks about every product in context, '哪个便宜' picks one of them, '不是这个' corrects the
last one, '这个' points at it and names nothing. This module only finds such cues and cuts a message
into the products it names ('炼乳和格瓦斯'); intents/followup.py reads them against the context.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache, lru_cache

from intents.normalize import fold, is_cyrillic, is_han, tokens
from intents.resources import load

MAX_PARTS = 8  # products named in one message that are answered one by one


@dataclass(frozen=True, slots=True)
class CueList:
    """One list of cues of a language: Chinese substrings, Russian words, phrases and word stems."""

    anywhere: tuple[str, ...]  # Chinese substrings, Russian phrases of several words
    words: frozenset[str]  # whole Russian words
    stems: tuple[str, ...]  # Russian word beginnings ('маленьк*')
    leading: tuple[str, ...]  # cues that count only at the start ('^不是', '^нет')

    @staticmethod
    def of(entries: list[str]) -> CueList:
        anywhere: list[str] = []
        words: set[str] = set()
        stems: list[str] = []
        leading: list[str] = []
        for raw in entries:
            entry = fold(raw)
            if entry.startswith("^"):
                leading.append(entry[1:])
            elif entry.endswith("*"):
                stems.append(entry[:-1])
            elif " " in entry or not entry.isalpha() or is_han(entry[0]):
                anywhere.append(entry)
            else:
                words.add(entry)
        return CueList(tuple(anywhere), frozenset(words), tuple(stems), tuple(leading))

    def found(self, folded: str, toks: list[str]) -> bool:
        spaced = " " + " ".join(toks) + " "
        for cue in self.anywhere:
            # a Russian phrase is whole words; Chinese cues and marks ('что-нибудь') stand anywhere
            if (
                (f" {cue} " in spaced)
                if cue.replace(" ", "").isalpha() and not is_han(cue[0])
                else cue in folded
            ):
                return True
        if any(t in self.words for t in toks):
            return True
        if self.stems and any(t.startswith(s) for t in toks for s in self.stems):
            return True
        head = folded.lstrip(" ,.!?，。！？、哦噢啊呃嗯额诶")
        return any(head.startswith(c) if is_han(c[0]) else c in toks[:3] for c in self.leading)


_LISTS = (
    "compare",
    "all",
    "correction",
    "cheapest",
    "dearest",
    "biggest",
    "smallest",
    "small_pack",
    "big_pack",
    "listing",
)


@dataclass(frozen=True, slots=True)
class Cues:
    """Which kinds of follow-up cue a message holds."""

    compare: bool = False
    all: bool = False
    correction: bool = False
    cheapest: bool = False
    dearest: bool = False
    biggest: bool = False
    smallest: bool = False
    small_pack: bool = False
    big_pack: bool = False
    listing: bool = False

    @property
    def pick(self) -> str | None:
        """'cheapest' | 'dearest' | 'biggest' | 'smallest': one of several chosen by price or size."""
        for name in ("cheapest", "dearest", "biggest", "smallest"):
            if getattr(self, name):
                return name
        return None


@cache
def _lists(lang: str) -> dict[str, CueList]:
    data = load("followups.toml")[lang]
    return {name: CueList.of(data.get(name, [])) for name in (*_LISTS, "filler")}


@cache
def _numbers() -> dict[str, str]:
    return {fold(k): v for k, v in load("followups.toml")["ru"].get("numbers", {}).items()}


def _lang_of(folded: str) -> str:
    han = sum(1 for c in folded if is_han(c))
    cyr = sum(1 for c in folded if is_cyrillic(c))
    return "zh" if han >= cyr else "ru"


@lru_cache(maxsize=4096)
def cues(text: str) -> Cues:
    f = fold(text)
    toks = tokens(f)
    found: dict[str, bool] = {}
    for lang in ("zh", "ru"):
        lists = _lists(lang)
        for name in _LISTS:
            if not found.get(name) and lists[name].found(f, toks):
                found[name] = True
    return Cues(**found)


def with_number_words(text: str) -> str:
    """'а семёрка?' -> 'а 7?': numbers of a series said as words, and '七号' as '7号'."""
    f = fold(text)
    table = _numbers()
    out = [table.get(t, t) for t in tokens(f)] if any(t in table for t in tokens(f)) else None
    f = " ".join(out) if out is not None else f
    return _ZH_NUMBER_MARK.sub(lambda m: _ZH_DIGIT[m.group(1)] + m.group(2), f)


_ZH_DIGIT = {"一": "1", "二": "2", "两": "2", "三": "3", "四": "4", "五": "5", "六": "6", "七": "7", "八": "8", "九": "9", "零": "0"}  # fmt: skip
_ZH_NUMBER_MARK = re.compile(r"(?<![一二两三四五六七八九十百])([一二两三四五六七八九零])(号|號)")


def is_filler(text: str) -> bool:
    """Nothing but words that point at the product in context ('这个', 'ну эту', '？？')."""
    f = fold(text)
    toks = tokens(f)
    lang = _lang_of(f)
    filler = _lists(lang)["filler"]
    if lang == "zh":
        rest = "".join(t for t in toks if is_han(t))
        for word in sorted(filler.anywhere, key=len, reverse=True):
            rest = rest.replace(word, "")
        return not rest and not any(t.isascii() and t.isalnum() for t in toks)
    return all(t in filler.words or not t.isalnum() for t in toks)


def _joiner_re(key: str, spaces: bool) -> re.Pattern[str]:
    data = load("followups.toml")
    zh = [re.escape(fold(w)) for w in data["zh"].get(key, []) if fold(w).strip(" ,")]
    ru = [re.escape(fold(w)) for w in data["ru"].get(key, []) if w.isalpha() or " " in w]
    han_joiners = "|".join(sorted(zh, key=len, reverse=True)) or "(?!)"
    ru_joiners = "|".join(sorted(ru, key=len, reverse=True)) or "(?!)"
    # Russian joiners are whole words; Chinese ones stand anywhere; a comma is a joiner unless it is a
    # decimal one (0,5 л); with `spaces`, spaces between Chinese words split a list ('椴树蜜 荞麦蜜 巢蜜').
    between_han = r"|(?<=[\u4e00-\u9fff])\s+(?=[\u4e00-\u9fff])" if spaces else ""
    comma = r"|(?<!\d),|,(?!\d)" if key == "joiners" else ""
    return re.compile(
        rf"(?:{han_joiners})|(?<![0-9а-яa-z])(?:{ru_joiners})(?![0-9а-яa-z]){comma}{between_han}"
    )


@cache
def _joiners(key: str = "joiners", spaces: bool = False) -> re.Pattern[str]:
    return _joiner_re(key, spaces)


@lru_cache(maxsize=4096)
def parts(text: str, *, spaces: bool = False, compare: bool = False) -> tuple[str, ...]:
    """The pieces of a message that may each name a product ('炼乳和格瓦斯各多少钱' -> '炼乳',
    '格瓦斯各多少钱'); one piece when there is no joiner. `spaces`: spaces between Chinese words
    join too (a list typed '椴树蜜 荞麦蜜'; but '爱莲巧牛奶巧克力 迷你装' is one name); `compare`: so do
    the words of a comparison ('Ессентуки 4 от 17'). At most MAX_PARTS + 1 (the caller can tell a
    message naming too many)."""
    f = with_number_words(text.replace("、", ","))
    pieces = [f]
    for pattern in (_joiners("joiners", spaces), *((_joiners("compare_joiners"),) if compare else ())):
        pieces = [p.strip() for piece in pieces for p in pattern.split(piece)]
    return tuple(p for p in pieces if p)[: MAX_PARTS + 1]


def strip_listing(text: str) -> str:
    """The words of a filter without the words that ask for a list ('黑巧的有哪些' -> '黑巧的')."""
    f = fold(text)
    listing = _lists("zh")["listing"]
    for word in sorted(listing.anywhere, key=len, reverse=True):
        if is_han(word[0]):
            f = f.replace(word, " ")
    ru = _lists("ru")["listing"]
    return " ".join(t for t in f.split() if t not in ru.words)


_STRIPPED = ("compare", "all", "correction", "cheapest", "dearest", "biggest", "smallest", "listing")


def content(text: str) -> str:
    """The message without its follow-up cue words ('荞麦蜜有什么区别' -> '荞麦蜜'), so they do not
    dilute the product match. Single Chinese characters stay unless they are function words (贵 is
    also the 贵 of 贵族), and so do pack words (大块 is in product names)."""
    f = with_number_words(text)
    for lang in ("zh", "ru"):
        for name in _STRIPPED:
            cue = _lists(lang)[name]
            for phrase in sorted((*cue.anywhere, *cue.leading), key=len, reverse=True):
                if is_han(phrase[0]) and (len(phrase) >= 2 or phrase in "都各"):
                    f = f.replace(phrase, " ")
                elif not is_han(phrase[0]) and " " in phrase:
                    f = re.sub(rf"(?<![а-яa-z]){re.escape(phrase)}(?![а-яa-z])", " ", f)
    ru = [_lists("ru")[name] for name in _STRIPPED]
    kept = [
        t
        for t in f.split()
        if not any(t in c.words or t in c.leading or any(t.startswith(x) for x in c.stems) for c in ru)
    ]
    return " ".join(kept)


@cache
def _negation_re() -> re.Pattern[str]:
    data = load("followups.toml")
    zh = "|".join(re.escape(fold(w)) for w in data["zh"].get("negation", []))
    ru = "|".join(re.escape(fold(w)) for w in data["ru"].get("negation", []))
    return re.compile(
        rf"(?:{zh})([\u4e00-\u9fff]{{1,6}}?)(?:的|$|[\s,，。?？!！])|(?<![а-яa-z])(?:{ru})\s+([а-яa-z]+)"
    )


def negated(text: str) -> tuple[str, str]:
    """(the message without what it sets aside, what it sets aside): 'обычную, без орехов' ->
    ('обычную,', 'орехов'); '不要带壳的' -> ('', '带壳')."""
    f = fold(text)
    found = [m.group(1) or m.group(2) for m in _negation_re().finditer(f)]
    if not found:
        return f, ""
    return _negation_re().sub(" ", f), " ".join(found)
