"""Order numbers: exact matching ignoring width, case, spaces and dashes. Never fuzzy.

No shop format is assumed (KF-250117-003, RU20250117-15, A-000123 and 12345678 are all fine):
the message is cut into Latin/digit spans, each span (and its joins with neighbours) is reduced to a
key, and the key is looked up in the caller's key -> canonical mapping. One digit off is someone
else's order, so a key either matches exactly or not at all.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from intents.normalize import nfkc
from intents.order_readings import readings, said_prefixes

OrderLookup = Callable[[str], str | None]

_KEEP_RE = re.compile(r"[^0-9A-Z]+")

# A run of letters/digits; runs joined by dashes, dots or slashes (never by spaces) form one span.
_RUN = r"[A-Za-z0-9]+"
_SPAN_RE = re.compile(rf"(?<![A-Za-z0-9]){_RUN}(?:\s?[-_/]\s?{_RUN})*")
# an order number typed in groups with spaces between them ('HH 2025 1208 01', 'K F 2 5 1 1 …')
_MAX_PARTS = 16
# What follows a number that makes it a quantity, a price or a size rather than an order number.
_UNIT_AFTER_RE = re.compile(
    r"\s?(?:(?:г|гр|кг|мл|л|шт|руб|р|g|kg|ml|l|pcs|rub|yuan)(?![A-Za-zА-Яа-яЁё])|[₽元块克斤升个瓶盒袋包件]|公斤|毫升)",
    re.IGNORECASE,
)
_TONED_PINYIN_RE = re.compile(r"^(?:[A-Za-z]{1,6}[1-5])+$")
_PHONE_RE = re.compile(r"^(?:1[3-9]\d{9}|(?:7|8)9\d{9}|9\d{9})$")
_DATE_RE = re.compile(r"^(?:19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])$")


def strip_codes(text: str) -> str:
    """The message without order, tracking and phone numbers: they carry no language and no
    product. Quantities and sizes (200, 7号) and pinyin with tone digits (lian4ru3) are kept."""
    if not any(c.isdigit() for c in text):
        return text
    return _SPAN_RE.sub(_code_or_keep, nfkc(text))


def mask_codes(text: str, placeholder: str) -> str:
    """Order-shaped spans replaced by a placeholder word (for comparing messages with examples)."""
    if not any(c.isdigit() for c in text):
        return text
    return _SPAN_RE.sub(lambda m: f" {placeholder} " if _code_or_keep(m) == " " else m.group(), nfkc(text))


_SIZE_SPAN_RE = re.compile(r"^\d+(?:[.,]\d+)?(?:g|gr|kg|ml|l|pcs)$", re.IGNORECASE)


def _code_or_keep(m: re.Match[str]) -> str:
    span = m.group()
    digits = sum(c.isdigit() for c in span)
    letters = sum(c.isalpha() for c in span)
    if _TONED_PINYIN_RE.match(span) or not (digits >= 4 or (letters >= 2 and digits >= 3)):
        return span
    if _SIZE_SPAN_RE.match(span):  # '700ml', '1000g': a package size, not a code
        return span
    return " "


def normalize_order_no(text: str) -> str:
    """'ＫＦ－２５０１１７－００３' -> 'KF250117003': NFKC, upper case, only [A-Z0-9] kept."""
    return _KEEP_RE.sub("", nfkc(text).upper())


def _looks_like_order(key: str, raw_after: str) -> bool:
    digits = sum(c.isdigit() for c in key)
    if len(key) < 5 or digits < 4:
        return False
    if key.isdigit() and (_PHONE_RE.match(key) or _DATE_RE.match(key)):
        return False
    if _UNIT_AFTER_RE.match(raw_after):
        return False
    # a tracking-number-like letter soup with 1-3 digits is excluded above; a pure word never gets here
    return True


def _typed(text: str) -> str:
    # '№251101-006': NFKC would make the sign the letters 'No'
    return nfkc(text.replace("№", " "))


def _spans(text: str) -> list[tuple[str, str, bool]]:
    """(key, text right after the span, is the span itself order-shaped) for every span, plus
    space-joined neighbours (KF 251104 007), as typed."""
    return _latin_spans(_typed(text))


def _latin_spans(t: str) -> list[tuple[str, str, bool]]:
    out: list[tuple[str, str, bool]] = []
    matches = list(_SPAN_RE.finditer(t))
    for i, m in enumerate(matches):
        key = normalize_order_no(m.group())
        # a letters-only prefix followed by spaces and digits ('KF 251104 007') is reported joined
        own = not (key.isalpha() and i + 1 < len(matches))
        out.append((key, t[m.end() : m.end() + 4], own))
        joined, prev_end = key, m.end()
        for nxt in matches[i + 1 : i + _MAX_PARTS]:
            gap = t[prev_end : nxt.start()]
            if not gap or gap.strip(" "):
                break
            joined += normalize_order_no(nxt.group())
            out.append((joined, t[nxt.end() : nxt.end() + 4], key.isalpha()))
            prev_end = nxt.end()
    return out


def order_no_candidates(text: str) -> list[str]:
    """Normalised keys of spans in the message that could be order numbers (resolved or not).

    Quantities, prices, sizes ('500г', '2кг', '1299元'), phone numbers and dates are left out."""
    seen: dict[str, None] = {}
    for key, after, own in _spans(text):
        if own and key not in seen and _looks_like_order(key, after):
            seen[key] = None
    return _drop_parts(list(seen))


def _drop_parts(keys: list[str]) -> list[str]:
    """'KF 251104 007' yields KF251104, 251104 and KF251104007: keep only the whole."""
    return [k for k in keys if not any(k != o and k in o for o in keys)]


def as_lookup(order_lookup: OrderLookup | Mapping[str, str] | None) -> OrderLookup:
    """Accept a callable, a mapping of canonical numbers (or of normalised keys) or nothing."""
    if order_lookup is None:
        return lambda key: None
    if callable(order_lookup) and not isinstance(order_lookup, Mapping):
        return order_lookup
    table = {normalize_order_no(k): v for k, v in order_lookup.items()}
    return table.get


@dataclass(frozen=True, slots=True)
class OrderRefs:
    """What a message says about order numbers."""

    #: The canonical number of the order named (exactly, else as the one short form match), or None.
    resolved: str | None
    #: Normalised keys that could be order numbers, as typed first, then as read from another script
    #: or from speech (КФ-… as KF…, 开爱夫二五… as KF25…); each is compared exactly.
    candidates: tuple[str, ...]
    #: Digit-led keys that may be an order number without its letter prefix (251119-006 for
    #: KF-251119-006): resolved only among the orders the reader may see, and only when one matches.
    short: tuple[str, ...]
    #: The keys as typed (the ones that may be echoed back: "I couldn't find 251119-006").
    typed: tuple[str, ...] = ()
    #: How many numbers the message holds (an order number and a tracking number: 2).
    numbers: int = 0


def order_tail(key: str) -> str | None:
    """The rest of a normalised order number after its letter prefix: 'KF251119006' -> '251119006';
    None when it has no letter prefix. A short form names the order whose tail it is."""
    m = _TAIL_RE.match(key)
    return m.group(1) if m else None


_TAIL_RE = re.compile(r"^[A-Z]+([0-9][A-Z0-9]*)$")
#: A short form: digits only, and enough of them that a quantity or a price never is one.
MIN_SHORT_DIGITS = 6


def _short_keys(spans: list[tuple[str, str, bool]]) -> list[str]:
    """The whole digit-only numbers of one reading ('кф 251108 024' -> 251108024; 'KF 251108 024'
    -> none: a prefix typed in Latin letters is part of the number, never left out)."""
    after = {k: a for k, a, _ in spans}
    whole = _drop_parts(list(after))
    return [k for k in whole if k.isdigit() and len(k) >= MIN_SHORT_DIGITS and _looks_like_order(k, after[k])]


def read_orders(text: str, lookup: OrderLookup, short_lookup: OrderLookup | None = None) -> OrderRefs:
    """The order numbers a message names, typed, written in another script, spoken, or without prefix.

    Every span and neighbour-join is tried against `lookup` (exact keys), so a shop's odd formats
    resolve even when they do not look like order numbers to the heuristics; unresolved ones are
    reported only when order-shaped, so the bot can say 'not found'. `short_lookup` (a digit-led key
    -> the one order whose tail it is, else None) is asked only when nothing resolved exactly."""
    typed_spans = _spans(text)
    with_prefix, bare = readings(text)
    read_spans = [s for reading in with_prefix for s in _latin_spans(reading)]
    bare_spans = [_latin_spans(reading) for reading in bare]
    resolved: str | None = None
    found: dict[str, None] = {}
    unresolved: dict[str, None] = {}
    read: dict[str, None] = {}
    for spans, sink in (
        (typed_spans, unresolved),
        (read_spans, read),
        ([s for group in bare_spans for s in group], read),
    ):
        for key, after, own in spans:
            if not key or key in found:
                continue
            hit = lookup(key)
            if hit is not None:
                if resolved is None:
                    resolved = hit
                found[key] = None
            elif own and _looks_like_order(key, after):
                sink[key] = None
    typed = [k for k in _drop_parts(list(unresolved)) if not any(k in f for f in found)]
    other = [k for k in _drop_parts(list(read)) if k not in typed and not any(k in f for f in found)]
    shorts = list(
        dict.fromkeys([*_short_keys(typed_spans), *(k for s in bare_spans for k in _short_keys(s))])
    )
    # a prefix said elsewhere in the message ('…字母是贼比') with a number said without it: the whole number
    prefixed = [p + k for k in shorts for p in said_prefixes(text)] if shorts else []
    for key in prefixed:
        if resolved is None and key not in found and lookup(key) is not None:
            resolved = lookup(key)
            found[key] = None
    other += [k for k in prefixed if k not in found and k not in other]
    if resolved is None and short_lookup is not None:
        for key in shorts:
            resolved = short_lookup(key)
            if resolved is not None:
                found[key] = None
                break
    candidates = tuple(dict.fromkeys((*found, *typed, *other)))
    shorts = [k for k in shorts if k not in found]
    numbers = len(found) + len(typed) or min(1, len(other) + len(shorts))
    return OrderRefs(resolved, candidates, tuple(shorts), tuple(typed), numbers)


def find_order(text: str, lookup: OrderLookup) -> tuple[str | None, tuple[str, ...]]:
    """(canonical number of the first order the message names, order-looking keys in the message)."""
    refs = read_orders(text, lookup)
    return refs.resolved, refs.candidates
