"""Order numbers not typed in Latin letters and ASCII digits: the other ways a message may be read.

A Russian keyboard writes the prefix in Cyrillic (КФ-251119-006, KФ-…, ВJG-…); a voice keyboard writes
what it hears ("开爱夫二五一一一九零零六", "贼比 二六一一 二零 零零零六"). Each reading here is the message
with such a number rewritten in Latin letters and ASCII digits, so intents.orders cuts it into spans
like a typed one. The letters and digits come from intents/data/order_letters.toml.

A reading is only a candidate: the number is still compared exactly with the orders, so a reading
that is no order (a Russian word before a number read as letters) changes nothing.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from functools import cache

from intents.resources import load

#: Readings of one message at most (every combination of ambiguous letters counts).
MAX_READINGS = 24
#: Digits said one by one before a run of Chinese digits is read as a number (两瓶 and 三四个 are not).
MIN_SPOKEN_DIGITS = 5
#: Letters of a prefix (KF, BJG, SFH).
MAX_PREFIX = 4
#: Number-like runs of one message that are read aloud at most.
MAX_SPOKEN_RUNS = 4

# A prefix typed (partly) in Cyrillic right before the digits: 'КФ-251119', 'кф 251108', 'KФ-…'.
_CYR_PREFIX_RE = re.compile(rf"(?<![A-Za-zА-Яа-яЁё])([A-Za-zА-Яа-яЁё]{{1,{MAX_PREFIX}}})(?=\s?[-_]?\s?[0-9])")
_CYR_RE = re.compile(r"[А-Яа-яЁё]")


@dataclass(frozen=True, slots=True)
class _Tables:
    cyrillic: dict[str, tuple[str, ...]]  # upper-case letter or pair -> Latin readings
    longest_cyrillic: int
    zh_letters: dict[str, tuple[str, ...]]  # spelling -> letters it may be
    longest_spelling: int
    zh_digits: dict[str, str]
    spoken_re: re.Pattern[str]


@cache
def _tables() -> _Tables:
    data = load("order_letters.toml")
    cyrillic = {k.upper(): tuple(v) for k, v in data["cyrillic"].items()}
    cyrillic.update({k.upper(): tuple(v) for k, v in data.get("cyrillic_pairs", {}).items()})
    zh_letters: dict[str, list[str]] = {}
    for letter, spellings in data["chinese_letters"].items():
        for spelling in spellings:
            zh_letters.setdefault(spelling, []).append(letter.upper())
    zh_digits = {char: digit for digit, chars in data["chinese_digits"].items() for char in chars}
    digit = "[0-9" + "".join(re.escape(c) for c in zh_digits) + "]"
    return _Tables(
        cyrillic=cyrillic,
        longest_cyrillic=max(map(len, cyrillic)),
        zh_letters={k: tuple(dict.fromkeys(v)) for k, v in zh_letters.items()},
        longest_spelling=max(map(len, zh_letters)),
        zh_digits=zh_digits,
        spoken_re=re.compile(rf"{digit}(?:[ \t\-]*{digit})*"),
    )


def readings(text: str) -> tuple[list[str], list[str]]:
    """(readings with the prefix read as Latin letters, readings of spoken digits without any prefix).

    The second kind only comes from speech: its digits may be a number whose prefix was said after it
    or not said at all, and are then resolved as a short form (among the viewer's orders only)."""
    with_prefix = _cyrillic_readings(text)
    spoken, bare = _spoken_readings(text)
    return (with_prefix + spoken)[:MAX_READINGS], bare[:MAX_READINGS]


def _cyrillic_readings(text: str) -> list[str]:
    if not _CYR_RE.search(text):
        return []
    tables = _tables()
    out: list[str] = []
    for m in _CYR_PREFIX_RE.finditer(text):
        run = m.group(1)
        if not _CYR_RE.search(run):
            continue
        for latin in _latin_forms(run.upper(), tables):
            out.append(f"{text[: m.start()]} {latin}{text[m.end() :]}")
            if len(out) >= MAX_READINGS:
                return out
    return out


def _latin_forms(run: str, tables: _Tables) -> list[str]:
    """Every Latin spelling of a Cyrillic (or mixed) prefix, look-alikes first: 'КФ' -> ['KF']."""
    parts: list[tuple[str, ...]] = []
    i = 0
    while i < len(run):
        for size in range(min(tables.longest_cyrillic, len(run) - i), 0, -1):
            piece = run[i : i + size]
            if piece in tables.cyrillic:
                parts.append(tables.cyrillic[piece])
                i += size
                break
        else:
            parts.append((run[i],) if run[i].isascii() else ("",))
            i += 1
    forms = ("".join(p) for p in itertools.product(*parts))
    return [f for f in dict.fromkeys(itertools.islice(forms, MAX_READINGS)) if f]


def _spoken_readings(text: str) -> tuple[list[str], list[str]]:
    tables = _tables()
    if not any(c in tables.zh_digits for c in text):
        return [], []
    with_letters: list[str] = []
    bare: list[str] = []
    runs = 0
    for m in tables.spoken_re.finditer(text):
        run = m.group()
        # the groups a voice keyboard splits a number into are one number
        digits = "".join(d for d in (tables.zh_digits.get(c, c) for c in run) if d.isdigit())
        said = len(digits)
        start, letters, heard = _letters_before(text, m.start(), tables)
        if said < MIN_SPOKEN_DIGITS or not (heard or any(c in tables.zh_digits for c in run)):
            continue
        runs += 1
        if runs > MAX_SPOKEN_RUNS:
            break
        head, tail = text[:start], text[m.end() :]
        for combo in itertools.islice(itertools.product(*letters), MAX_READINGS):
            with_letters.append(f"{head} {''.join(combo)}{digits} {tail}")
        if heard or not letters:
            # letters heard by ear are a guess (or none were said): the digits alone, as a short form
            bare.append(f"{head} {digits} {tail}")
    return with_letters, bare


def _letters_before(text: str, end: int, tables: _Tables) -> tuple[int, list[tuple[str, ...]], bool]:
    """The letters said or typed right before a spoken number: (where they start, the letters each
    may be, whether any was a Chinese spelling). '开爱夫' -> K, F; 'Z B' -> Z, B."""
    letters: list[tuple[str, ...]] = []
    heard = False
    start = i = end
    while i > 0 and len(letters) < MAX_PREFIX:
        while i > 0 and text[i - 1] in " \t":
            i -= 1
        if i > 0 and text[i - 1].isascii() and text[i - 1].isalpha():
            letters.append((text[i - 1].upper(),))
            i -= 1
            start = i
            continue
        for size in range(min(tables.longest_spelling, i), 0, -1):
            spelling = text[i - size : i]
            if spelling in tables.zh_letters:
                letters.append(tables.zh_letters[spelling])
                heard = True
                i -= size
                start = i
                break
        else:
            break
    if start > 0 and text[start - 1].isascii() and text[start - 1].isalnum():
        return end, [], False  # the end of a longer Latin word, not a prefix
    return start, letters[::-1], heard


#: Letter prefixes said apart from their digits that are tried in front of them, at most.
MAX_SAID_PREFIXES = 8
_LATIN_WORD_RE = re.compile(rf"(?<![A-Za-z0-9])[A-Za-z](?:\s?[A-Za-z]){{0,{MAX_PREFIX - 1}}}(?![A-Za-z])")


def said_prefixes(text: str) -> list[str]:
    """Letter groups a message says apart from the digits ('订单号二六一一零九零零四七字母是贼比': ZB;
    'zb幺零零五不对是二六幺幺…': ZB): put in front of a number typed or said without its prefix,
    they make the whole number the message names."""
    tables = _tables()
    out: dict[str, None] = {}
    for m in _LATIN_WORD_RE.finditer(text):
        out[re.sub(r"\s", "", m.group()).upper()] = None
    for m in _CYR_PREFIX_WORD_RE.finditer(text):
        for form in _latin_forms(m.group().upper(), tables)[:2]:
            out[form] = None
    i = 0
    while i < len(text):
        letters: list[tuple[str, ...]] = []
        j = i
        while j < len(text) and len(letters) < MAX_PREFIX:
            for size in range(min(tables.longest_spelling, len(text) - j), 0, -1):
                if text[j : j + size] in tables.zh_letters:
                    letters.append(tables.zh_letters[text[j : j + size]])
                    j += size
                    break
            else:
                break
        if len(letters) >= 2:  # one sound alone is too often an ordinary word
            for combo in itertools.islice(itertools.product(*letters), 4):
                out["".join(combo)] = None
            i = j
        else:
            i += 1
    return list(out)[:MAX_SAID_PREFIXES]


_CYR_PREFIX_WORD_RE = re.compile(r"(?<![А-Яа-яЁё])[А-Яа-яЁё]{1,3}(?![А-Яа-яЁё])")
