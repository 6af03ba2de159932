"""Regional and live-stream Chinese read as plain Mandarin (Northeastern 整点儿 -> 买点, Cantonese 有冇
-> 有没有, live-stream 拍了 -> 买了, voice slips 定单 -> 订单), before intents and products are matched.

The words live in intents/data/dialects.toml, a table a shop may edit. A message is rewritten in one
left-to-right pass: at each position only the keys that begin with that character are tried, longest
first, so the cost is a dictionary look-up per character however long the table grows; a message
with none of the keys' first characters costs one set test.
"""

from __future__ import annotations

from functools import cache

from intents import chinese
from intents.normalize import HAN_RE, nfkc
from intents.resources import load

_Table = dict[str, tuple[tuple[str, str], ...]]


def _prepare(text: str) -> str:
    # not `fold`: OpenCC writes some Cantonese characters outside the BMP (嗰 -> U+20BB6), which
    # fold's punctuation pass would drop before they could be read
    return chinese.t2s(nfkc(text)).lower()


@cache
def _table() -> tuple[_Table, frozenset[str]]:
    """first character -> (key, plain form) pairs, longest key first; and the set of first characters."""
    pairs: dict[str, str] = {}
    for section in load("dialects.toml").values():
        for raw, plain in section.items():
            key = _prepare(raw).replace(" ", "")
            if key:
                pairs[key] = str(plain)
    by_first: dict[str, list[tuple[str, str]]] = {}
    for key, plain in pairs.items():
        by_first.setdefault(key[0], []).append((key, plain))
    table = {c: tuple(sorted(v, key=lambda kv: -len(kv[0]))) for c, v in by_first.items()}
    return table, frozenset(table)


def _matches(text: str, i: int, key: str) -> bool:
    if not text.startswith(key, i):
        return False
    # a number in a key is a whole number: '扣1' is "I want it", '扣10块' is a deduction
    end = i + len(key)
    return not (key[-1].isdigit() and end < len(text) and text[end].isdigit())


def plain_words(text: str) -> str:
    """The message with regional and live-stream words replaced by their plain Mandarin forms.

    `text` should already be in simplified characters and lower case (as `plain_chinese` prepares
    it); anything else passes through unchanged."""
    table, firsts = _table()
    if firsts.isdisjoint(text):
        return text
    out: list[str] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        for key, plain in table.get(ch, ()):
            if _matches(text, i, key):
                out.append(plain)
                i += len(key)
                break
        else:
            out.append(ch)
            i += 1
    return "".join(out)


def plain_chinese(text: str) -> str:
    """A raw message (punctuation kept) with its Chinese in simplified characters, lower case and
    regional words made plain; a message without Han characters is returned as it is."""
    if not HAN_RE.search(text):
        return text
    return plain_words(_prepare(text))


def warm_up() -> None:
    chinese.t2s("餅")
    _table()
