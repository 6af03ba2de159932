"""A message as the intent matcher reads it: comparable units, and whether it is a question.

Examples and messages go through the same reading, so a Chinese chat spelling (木有), a yes/no
question form ('发货没有'), a Russian word typed in the wrong layout or in Latin letters, and an order
number meet their plain forms in the examples.
"""

from __future__ import annotations

import re
from functools import cache

from intents import chinese, russian
from intents.dialect import plain_chinese
from intents.language import LatinKind, latin_kind
from intents.normalize import clean_latin, fold, is_cyrillic, is_han, tokens
from intents.orders import mask_codes
from intents.resources import load, word_set

ORDER_TOKEN = "ordno"  # what order/tracking numbers become, in examples and messages alike

# Chinese A-not-A / "V没有" questions: '发货没有', '到了没', '有货没' ask the same as '发货了吗'.
# Not after 还/都/也/就/并/从/有 ('还没有' is "not yet", '有没有' is its own question form).
_ZH_NEG_QUESTION_RE = re.compile("(?<![还都也就并从有])了?没有?(?![\u3400-\u9fff])")


def plain_zh(text: str) -> str:
    """Regional, live-stream and chat words as the plain words ('俺的快递咋还木到' -> '我的快递怎么还没到',
    '有冇炼奶' -> '有没有炼乳'): intents/data/dialects.toml, then the chat spellings of lexicon.toml."""
    text = plain_chinese(text)
    slang = _zh_slang()
    if not any(ch in text for ch in slang[1]):
        return text
    for a, b in slang[0]:
        text = text.replace(a, b)
    return text


@cache
def _zh_slang() -> tuple[list[tuple[str, str]], frozenset[str]]:
    pairs = sorted(load("lexicon.toml")["intent"]["zh_slang"].items(), key=lambda kv: -len(kv[0]))
    return pairs, frozenset(a[0] for a, _ in pairs)


def zh_question_form(folded: str) -> str:
    """'发货没有' -> '发货了吗', '到了没' -> '到了吗': one spelling of the yes/no question."""
    if "没" not in folded:
        return folded
    return _ZH_NEG_QUESTION_RE.sub("了吗", folded)


def is_question(text: str, lang: str) -> bool:
    """A question mark, or a question word of the language (Chinese particles anywhere in a Han run,
    Russian interrogatives as whole words)."""
    if "?" in text or "？" in text:
        return True
    f = fold(text)
    if lang == "zh":
        words = word_set("intent", "zh_question")
        runs = [zh_question_form(t) for t in tokens(f) if is_han(t)]
        return any(w in r for r in runs for w in words)
    words = word_set("intent", "ru_question")
    return any(t in words for t in tokens(f))


def units(text: str, lang: str) -> list[str]:
    """Comparable units of a message: Han runs, Russian stems, Latin words (pinyin kept as is,
    layout slips and transliteration turned back into Cyrillic stems), the order placeholder."""
    out: list[str] = []
    slang = word_set("intent", "slang_numbers")
    for tok in tokens(fold(mask_codes(text, ORDER_TOKEN))):
        if tok == ORDER_TOKEN:
            out.append("#order")
        elif tok in slang:
            out.append(tok)  # '88' is bye, '3q' thanks: kept as words
        elif is_han(tok):
            out.append(zh_question_form(tok))
        elif is_cyrillic(tok):
            out.append(russian.stem(tok))
        elif any(c.isalpha() for c in tok):
            kind = latin_kind(tok)
            word = clean_latin(tok)
            if lang == "zh" and word and chinese.split_pinyin(word) is not None:
                out.append(word)  # a Chinese message: 'nin' is 您, not a transliterated нин
            elif kind is LatinKind.LAYOUT or (kind is LatinKind.UNKNOWN and lang == "ru"):
                conv = russian.layout_to_ru(tok)
                if kind is LatinKind.UNKNOWN and not russian.is_known_word(conv):
                    conv = russian.detranslit(word)
                out.append(russian.stem(conv))
            elif kind is LatinKind.TRANSLIT:
                out.append(russian.stem(russian.detranslit(word)))
            elif word:
                out.append(word)
    return out
