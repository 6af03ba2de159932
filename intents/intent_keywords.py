"""The keywords of the intent matcher: words and phrases that say an intent outright.

Keywords are matched on folded text (Chinese, also through pinyin and by sound for homophone typos)
or on word stems (Russian, one typo allowed in long words, derived forms and dictionary forms, word
order free within a phrase). The longest keyword found wins over the keywords inside it, and a keyword
that also shows up in other intents' examples weighs less.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from itertools import pairwise

from rapidfuzz.distance import OSA

from intents import chinese, russian
from intents.intent_ids import IntentId
from intents.intent_units import zh_question_form
from intents.normalize import fold, is_cyrillic, is_han, tokens

_NEGATIONS = frozenset({"не", "ни", "нет"})
_PREFIX = 7  # a keyword stem this long also matches longer derived forms (просроч -> просроченная)


@dataclass(slots=True)
class _Keyword:
    intent: IntentId
    text: str  # zh: folded phrase; ru: space-joined stems
    stems: tuple[str, ...]  # ru: word stems, or the exact folded words of an '=' keyword
    pinyin: str  # zh: joined pinyin for Latin messages ('' for short ones)
    weight: float = 1.0
    exact: bool = False  # '=мои заказы': these word forms only (the stem of мой/мои is one)
    sound: str = ""  # zh: folded syllables, ' bao you ', to meet homophone typos (包油 for 包邮)


def _negated(stem: str, negated: set[str]) -> bool:
    """Was a word this keyword stem matches (отправ- in 'не отправлен') said with не before it?"""
    return any(n.startswith(stem) or stem.startswith(n) for n in negated)


def _sound_key(sylls: Iterable[str]) -> str:
    return " " + " ".join(chinese.fold_syllable(x) for x in sylls) + " "


def _phrase_in(seq: list[str], phrase: tuple[str, ...]) -> bool:
    """All words of a phrase within a window of len+1 words, in any order (Russian word order is
    free: 'не то прислали' / 'прислали не то')."""
    need = Counter(phrase)
    n = len(phrase) + 1
    for i, w in enumerate(seq):
        if w in need and not need - Counter(seq[i : i + n]):
            return True
    return False


def _covers(a: _Keyword, b: _Keyword) -> bool:
    """Does keyword a contain keyword b (and say more)? '还在海关' covers '海关'."""
    if a is b or len(a.text) <= len(b.text):
        return False
    if a.text.find(b.text) >= 0:
        return True
    return len(a.stems) > len(b.stems) and not a.exact and not b.exact and set(b.stems) <= set(a.stems)


def _longest(found: list[_Keyword]) -> list[_Keyword]:
    """Longest match wins: a keyword inside a longer keyword of another intent found in the same
    message does not count ('до сих пор на таможне' is a parcel's state, not a customs question)."""
    if len(found) < 2:
        return found
    return [b for b in found if not any(a.intent != b.intent and _covers(a, b) for a in found)]


def _read_keywords(data: Mapping[IntentId, Mapping[str, Sequence[str]]]) -> list[_Keyword]:
    out: list[_Keyword] = []
    for intent, spec in data.items():
        for raw in spec.get("keywords", []):
            exact = raw.startswith("=")
            f = zh_question_form(fold(raw.lstrip("=")))
            if not f:
                continue
            if exact:
                stems = tuple(tokens(f))
            else:
                stems = tuple(russian.stem(t) if is_cyrillic(t) else t for t in tokens(f))
                if len(stems) == 1 and len(stems[0]) <= 2 and stems[0] != f:
                    # 'ау' stems to 'а' (the conjunction): a word this short matches as typed
                    exact, stems = True, (f,)
            han = "".join(t for t in tokens(f) if is_han(t))
            sylls = chinese.pinyin_of(han) if han else ()
            py = "".join(sylls) if len(sylls) >= 2 else ""
            sound = _sound_key(sylls) if len(sylls) >= 2 and han == f else ""
            if any(k.intent == intent and k.stems == stems and k.exact == exact for k in out):
                continue  # оплата / оплатить: one stem counts once
            out.append(_Keyword(intent, f, stems, py, exact=exact, sound=sound))
    # a keyword that also shows up in other intents' examples says less about its own intent
    examples = [(i, zh_question_form(fold(e))) for i, spec in data.items() for e in spec.get("examples", [])]
    for kw in out:
        own = sum(1 for i, e in examples if i == kw.intent and kw.text in e)
        other = sum(1 for i, e in examples if i != kw.intent and kw.text in e)
        kw.weight = (1.0 + own) / (1.0 + own + 1.5 * other)
    return out


class Keywords:
    """The keywords of one language, sorted by how they are looked up."""

    def __init__(self, data: Mapping[IntentId, Mapping[str, Sequence[str]]]) -> None:
        self.keywords = _read_keywords(data)
        self.han_keywords = [k for k in self.keywords if any(is_han(c) for c in k.text)]
        self.phrase_keywords = [k for k in self.keywords if k not in self.han_keywords and len(k.stems) > 1]
        self.word_keywords: dict[str, list[_Keyword]] = defaultdict(list)
        self.form_keywords: dict[str, list[_Keyword]] = defaultdict(list)
        # long single-word keywords by (first letter, length): one typo allowed (сколко, дотавка)
        self.fuzzy_keywords: dict[tuple[str, int], list[_Keyword]] = defaultdict(list)
        # and by their first letters: a longer derived form (просроч -> просроченн)
        self.prefix_keywords: dict[str, list[_Keyword]] = defaultdict(list)
        for k in self.keywords:
            if k in self.han_keywords or len(k.stems) != 1:
                continue
            if k.exact:
                self.form_keywords[k.stems[0]].append(k)
                continue
            self.word_keywords[k.stems[0]].append(k)
            if len(k.stems[0]) >= 5:
                self.fuzzy_keywords[(k.stems[0][0], len(k.stems[0]))].append(k)
            if len(k.stems[0]) >= _PREFIX and is_cyrillic(k.stems[0]):
                self.prefix_keywords[k.stems[0][:_PREFIX]].append(k)

    def hits(self, text: str, units: list[str]) -> dict[IntentId, float]:
        """Per intent, the weight of its keywords found in the message (its text and its units)."""
        f = zh_question_form(fold(text))
        stems = [u for u in units if not is_han(u)]
        forms = [t for t in tokens(f) if is_cyrillic(t)]
        latin = "".join(u for u in units if u.isascii() and not u.startswith("#"))
        # 的 comes and goes freely ('所有的订单' is '所有订单')
        bare = f.replace("的", "") if "的" in f else f
        found: list[_Keyword] = [
            k
            for k in self.han_keywords
            if k.text in f or k.text in bare or (bool(k.pinyin) and k.pinyin in latin)
        ]
        han_runs = [u for u in units if is_han(u)]
        if han_runs:
            # typed by sound (包油 for 包邮, 多少前 for 多少钱): the same syllables, a little less sure
            sounds = " ".join(_sound_key(chinese.pinyin_of(r)) for r in han_runs)
            found_ids = {id(k) for k in found}
            homophones = [
                k for k in self.han_keywords if k.sound and id(k) not in found_ids and k.sound in sounds
            ]
            found.extend(
                _Keyword(k.intent, k.text, k.stems, k.pinyin, 0.8 * k.weight, k.exact) for k in homophones
            )
        for w in set(forms):
            found.extend(self.form_keywords.get(w, ()))
        # a typo is only assumed in a word the dictionary does not know (доставлен is not доставка);
        # a known word also meets keywords through its dictionary form (вернули -> вернуть)
        typo_stems: set[str] = set()
        for w in set(forms):
            if not russian.is_known_word(w):
                typo_stems.add(russian.stem(w))
                continue
            ls = russian.stem(russian.lemma(w))
            if ls != russian.stem(w):
                found.extend(self.word_keywords.get(ls, ()))
        for m in set(stems):
            exact = self.word_keywords.get(m)
            if exact:
                found.extend(exact)
                continue
            if len(m) >= 4 and (m in typo_stems or not is_cyrillic(m)):
                for n in (len(m) - 1, len(m), len(m) + 1):
                    found.extend(
                        k for k in self.fuzzy_keywords.get((m[0], n), ()) if OSA.distance(m, k.stems[0]) <= 1
                    )
            if len(m) > _PREFIX:
                found.extend(
                    k
                    for k in self.prefix_keywords.get(m[:_PREFIX], ())
                    if m.startswith(k.stems[0]) and len(m) - len(k.stems[0]) <= 3
                )
        if self.phrase_keywords and len(stems) + len(forms) > 1:
            stem_set, form_set = set(stems), set(forms)
            for k in self.phrase_keywords:
                seq, have = (forms, form_set) if k.exact else (stems, stem_set)
                if have.issuperset(k.stems) and _phrase_in(seq, k.stems):
                    found.append(k)
        negated = {w for a, b in pairwise(forms) if a in _NEGATIONS for w in (b, russian.stem(b))}
        hits: dict[IntentId, float] = defaultdict(float)
        for k in _longest(found):
            intent = k.intent
            if intent == IntentId.SUPPLIER_SHIP and negated and all(_negated(st, negated) for st in k.stems):
                # 'всё не отправлен': a customer waiting for a shipment, not a supplier reporting one
                intent = IntentId.ORDER_STATUS
            hits[intent] = max(hits[intent], k.weight) + 0.15 * min(hits[intent], k.weight)
        return hits
