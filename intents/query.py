"""A message reduced to what can name a product, split by script into comparable forms.

Both the product index and the intent matcher use it, so a message is analysed once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from intents import chinese, russian
from intents.dialect import plain_chinese
from intents.language import LatinKind, latin_kind
from intents.normalize import clean_latin, fold, is_cyrillic, is_han, tokens
from intents.orders import strip_codes
from intents.resources import word_set
from intents.sizes import split_sizes


@dataclass(frozen=True, slots=True)
class QueryParts:
    han: tuple[str, ...]  # Han words left after dropping the question around the product
    cyr: tuple[str, ...]  # Cyrillic words (folded), incl. Latin words typed in the wrong layout
    latin: tuple[str, ...]  # Latin words (letters only), pinyin or transliteration
    pinyin: tuple[tuple[str, ...], ...]  # syllables of Latin words that are valid pinyin
    sizes: frozenset[str]
    kinds: tuple[LatinKind, ...]  # kind of each Latin word
    layout_alt: tuple[str, ...]  # unknown Latin words read as the Russian layout (a slip plus a typo)
    numbers: frozenset[str] = frozenset()  # bare numbers (Балтика 7, 9号): model numbers or sizes

    @property
    def empty(self) -> bool:
        return not (self.han or self.cyr or self.latin)

    @property
    def text(self) -> str:
        return " ".join((*self.han, *self.cyr, *self.latin))


_NUM_RE = re.compile(r"(?<![0-9.,])(\d{1,3}(?:[.,]\d)?)(?![0-9])")


def number_tokens(folded_without_sizes: str) -> frozenset[str]:
    """Bare numbers as comparable tokens: '0,5' -> '0.5'."""
    return frozenset(n.replace(",", ".") for n in _NUM_RE.findall(folded_without_sizes))


@lru_cache(maxsize=1)
def pinyin_stop() -> frozenset[str]:
    """The Chinese query stop words as joined toneless pinyin ('duoshao', 'youhuo', 'ma'), built
    once: 'lianru duoshao qian' asks for 炼乳 as '炼乳多少钱' does."""
    return frozenset("".join(chinese.pinyin_of(w)) for w in word_set("query", "zh_stop")) - {""}


# sentence-final particles (吗 呢 啊 呀 啦 么 哦); not 'ba' (吧), which ends names like 'da lie ba'
_FINAL_PARTICLES = frozenset({"ma", "ne", "a", "ya", "la", "me", "o"})


_LEADING_VERBS = frozenset({"you", "yao", "mai", "xiang"})


def _drop_pinyin_stop(words: list[str], pinyin: list[bool]) -> list[bool]:
    """Which Latin words are question words in pinyin. Runs of words that join into a stop word
    ('you huo' = 有货) go; a lone one-syllable stop word ('ma', 'qian') only when the product is
    typed as a joined word elsewhere (in 'da lie ba' every syllable is part of the name)."""
    stop = pinyin_stop()
    n = len(words)
    drop = [False] * n
    if n >= 3 and pinyin[-1] and words[-1] in _FINAL_PARTICLES:
        drop[-1] = True  # '… ma' at the end is 吗
    joined_name = any(
        p and (sylls := chinese.split_pinyin(w)) is not None and len(sylls) >= 2 and w not in stop
        for w, p in zip(words, pinyin, strict=True)
    )
    i = 0
    while i < n:
        if not pinyin[i]:
            i += 1
            continue
        best = 0
        for j in range(min(n, i + 4), i, -1):
            if all(pinyin[i:j]) and "".join(words[i:j]) in stop:
                best = j
                break
        if best:
            single = best == i + 1 and len(chinese.split_pinyin(words[i]) or ()) < 2
            # 有/要/买/想 right after dropped question words are one of them ('qing wen | you')
            if not single or joined_name or (i and drop[i - 1] and words[i] in _LEADING_VERBS):
                for k in range(i, best):
                    drop[k] = True
            i = best
        else:
            i += 1
    return drop


def _mostly_pinyin(toks: list[str]) -> bool:
    """A message of several Latin words that are nearly all valid pinyin is typed in pinyin."""
    latin = [clean_latin(t) for t in toks if t.isascii() and any(c.isalpha() for c in t)]
    if len(latin) < 2:
        return False
    ok = sum(1 for w in latin if w and chinese.split_pinyin(w) is not None)
    return ok >= 0.75 * len(latin)


def _content_han(run: str) -> list[str]:
    stop = word_set("query", "zh_stop")
    return [w for w in chinese.segment(run) if w not in stop and w.strip()]


@lru_cache(maxsize=16384)
def analyse(text: str) -> QueryParts:
    """Split a message into product-naming parts; the question words around them are dropped."""
    f = fold(plain_chinese(strip_codes(text)))
    size_set, f = split_sizes(f)
    han: list[str] = []
    cyr: list[str] = []
    latin: list[str] = []
    pinyin: list[tuple[str, ...]] = []
    kinds: list[LatinKind] = []
    layout_alt: list[str] = []
    ru_stop = word_set("query", "ru_stop")
    numbers = number_tokens(f)
    toks = tokens(f)
    pinyin_context = _mostly_pinyin(toks)
    for tok in toks:
        if is_han(tok):
            han.extend(_content_han(tok))
        elif is_cyrillic(tok):
            if tok not in ru_stop:
                cyr.append(tok)
        elif any(c.isalpha() for c in tok):
            kind = latin_kind(tok)
            word = clean_latin(tok)
            if pinyin_context and chinese.split_pinyin(word) is not None:
                kind = LatinKind.PINYIN  # 'wen' among 'qing wen you ge wa si ma' is 问, not вен
            if kind is LatinKind.NEUTRAL:
                continue
            if kind is LatinKind.LAYOUT:
                conv = russian.layout_to_ru(tok)
                if conv not in ru_stop:
                    cyr.append(conv)
                continue
            if kind in (LatinKind.TRANSLIT, LatinKind.UNKNOWN) and russian.detranslit(word) in ru_stop:
                continue
            latin.append(word)
            kinds.append(kind)
            if kind is LatinKind.UNKNOWN:
                layout_alt.append(russian.layout_to_ru(tok))
            sylls = chinese.split_pinyin(word)
            if sylls is not None:
                pinyin.append(sylls)
    if len(latin) > 1 and any(k is LatinKind.PINYIN for k in kinds):
        drop = _drop_pinyin_stop(latin, [k is LatinKind.PINYIN for k in kinds])
        if not all(drop):
            keep = [i for i, d in enumerate(drop) if not d]
            pinyin = [s for s in (chinese.split_pinyin(latin[i]) for i in keep) if s is not None]
            layout_alt = [a for a in layout_alt if any(russian.layout_to_ru(latin[i]) == a for i in keep)]
            latin = [latin[i] for i in keep]
            kinds = [kinds[i] for i in keep]
    return QueryParts(
        tuple(han),
        tuple(cyr),
        tuple(latin),
        tuple(pinyin),
        size_set,
        tuple(kinds),
        tuple(layout_alt),
        numbers,
    )
