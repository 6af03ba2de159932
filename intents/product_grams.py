"""The grams of the product index: what a catalog text and a message are cut into to meet.

Both sides must be cut the same way, so both live here: Han unigrams and bigrams, Cyrillic/Latin word
trigrams, the sound keys of Cyrillic stems, folded pinyin syllable pairs (homophones), sizes and bare
numbers, and whole short names ('=炼乳'). A gram's first character says its kind, which decides whether
it counts when a query is read as spelt or as sounded.
"""

from __future__ import annotations

from collections.abc import Iterable
from itertools import pairwise

from intents import chinese, russian
from intents.normalize import CYR_RE
from intents.query import QueryParts

_cat = str.__add__  # map(_cat, s, s[1:]) builds n-grams in C, not in a Python loop


def han_grams(run: str, out: set[str]) -> None:
    out.update(run)
    out.update(map(_cat, run, run[1:]))


def word_grams(word: str, out: set[str]) -> None:
    w = f" {word} "
    out.update(map(_cat, map(_cat, w, w[1:]), w[2:]))


OTHER, SPELT, SOUND = 0, 1, 2  # gram kinds: Han/Latin/sizes, Cyrillic spelling, Cyrillic sound key


def gram_kind(g: str) -> int:
    if g[0] == "%":
        return SOUND
    if g[0] == "=":  # a whole name, as typed or as it sounds (see name_grams)
        return SOUND if g[1] in "%~" else SPELT
    return SPELT if CYR_RE.search(g) else OTHER


def phonetic_grams(word: str, out: set[str]) -> None:
    """Trigrams of the sound key of a Cyrillic word's stem (endings inflect), in their own namespace."""
    w = f" {russian.phonetic(russian.stem(word))} "
    out.update("%" + w[i : i + 3] for i in range(len(w) - 2))


def syllable_grams(sylls: Iterable[str], out: set[str]) -> None:
    folded = [chinese.fold_syllable(s) for s in sylls]
    if len(folded) == 1:
        out.add("~" + folded[0])
    out.update(f"~{a} {b}" for a, b in pairwise(folded))


_NAME_HAN = 8  # longest Han name (or nickname) indexed as a whole
_NAME_WORDS = 3  # longest Russian/Latin one


def name_grams(han: str, pinyin: str, stems: list[str], skels: list[str], out: set[str]) -> None:
    """A short name or nickname as one gram ('=炼乳', '=сгущёнк', '=p:lianru', '=s:kvas'): a message
    that contains a product's whole nickname is strong evidence for it, and such a gram is rare
    even where thousands of products share its characters. The same name as it sounds ('=~gewasi',
    '=%фатк') counts in the sounded reading only, so a nickname typed right is not counted twice."""
    if 2 <= len(han) <= _NAME_HAN:
        out.add("=" + han)
        if pinyin:
            out.add("=p:" + pinyin.replace(" ", ""))
            # and as it sounds: 格娃斯 typed for the nickname 格瓦斯
            out.add("=~" + "".join(chinese.fold_syllable(x) for x in pinyin.split()))
    if 0 < len(stems) <= _NAME_WORDS:
        out.add("=" + " ".join(stems))
        out.add("=%" + " ".join(map(russian.phonetic, stems)))  # вотка for водка
    if 0 < len(skels) <= _NAME_WORDS:
        out.add("=s:" + " ".join(skels))


def _query_name_grams(q: QueryParts, han: str, sylls: tuple[str, ...], out: set[str]) -> None:
    """Every part of a message that could be a whole name (see name_grams); absent ones cost a
    lookup. `han` is the message's Han text and `sylls` its syllables (worked out once by the caller)."""
    _word_runs(list(han), "=", "", out, _NAME_HAN, least=2)
    if len(sylls) == len(han):  # one syllable a character: runs of them align with the substrings
        _word_runs([chinese.fold_syllable(x) for x in sylls], "=~", "", out, _NAME_HAN, least=2)
    for words in (q.cyr, q.layout_alt):
        stems = [russian.stem(w) for w in words]
        _word_runs(stems, "=", " ", out)
        _word_runs([russian.phonetic(s) for s in stems], "=%", " ", out)
    _word_runs(list(q.latin), "=p:", "", out, _NAME_HAN)  # pinyin may come a syllable a word
    _word_runs([russian.skeleton(w) for w in q.latin], "=s:", " ", out)


def _word_runs(
    words: list[str], prefix: str, sep: str, out: set[str], most: int = _NAME_WORDS, least: int = 1
) -> None:
    """prefix + every run of `least` to `most` consecutive words, joined by sep."""
    n = len(words)
    for i in range(n):
        out.update(prefix + sep.join(words[i:j]) for j in range(i + least, min(n, i + most) + 1))


def number_as_sizes(n: str) -> tuple[str, ...]:
    """A bare number may be a size whose unit was left out: 'квас 0,5' is 0.5 l, 'мёд 500' is 500 g."""
    v = float(n)
    out = [f"{v:g}g", f"{v:g}ml"]
    if v < 10:
        out += [f"{v * 1000:g}ml", f"{v * 1000:g}g"]
    return tuple(out)


def query_grams(q: QueryParts) -> set[str]:
    """Every gram of a message that a product could share with it."""
    grams: set[str] = set()
    for w in q.han:
        han_grams(w, grams)
    han = "".join(q.han)
    sylls = chinese.pinyin_of(han) if han else ()
    if sylls:
        syllable_grams(sylls, grams)
    for w in (*q.cyr, *q.layout_alt):
        word_grams(w, grams)
        phonetic_grams(w, grams)
    for w in q.latin:
        word_grams(w, grams)
        word_grams(russian.skeleton(w), grams)
    if q.pinyin:
        syllable_grams([s for word in q.pinyin for s in word], grams)
        if len(q.latin) > 1:
            word_grams("".join(q.latin), grams)
    _query_name_grams(q, han, sylls, grams)
    grams.update("#" + s for s in q.sizes)
    grams.update("#n" + n for n in q.numbers)
    grams.update("#" + s for n in q.numbers for s in number_as_sizes(n))
    return grams
