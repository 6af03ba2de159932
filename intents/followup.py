"""A message read against the products the chat is already about: follow-ups, not fresh questions.

After '椴树蜜多少钱', '那1公斤的呢' is the 1 kg jar of that honey, not any product that weighs 1 kg;
'不是这个，我说的是荞麦蜜' replaces it; '都有货吗' asks about every product discussed; '哪个便宜' picks one
of them; '这个' points at them and names nothing. The engine keeps the context (a `Focus`) and
passes it in as data; this module stays pure. The reading is a `Followup`: what kind of move the
message makes and the products it means. Prices and sizes of the products are the engine's to read
(it has the catalog's facts), so picks and price filters are carried out there.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from intents.followup_cues import (
    MAX_PARTS,
    Cues,
    content,
    cues,
    is_filler,
    negated,
    parts,
    strip_listing,
    with_number_words,
)
from intents.normalize import fold
from intents.product_index import ProductIndex
from intents.query import QueryParts, analyse

MAX_DISCUSSED = 5  # products a chat remembers as discussed
NAMED = 85.0  # a part of a message (or a follow-up) this close to a product names it by itself
FULL_NAME = 95.0  # a whole message this close to one product names it, spaces and all
NAMED_PART = 80.0  # the first of several parts naming a product, when the message compares
NEW_PRODUCT = 90.0  # a follow-up naming an unrelated product this well asks about it afresh
MIN_SCORE = 72.0  # below this, nothing in context is what the follow-up means
SAME_BRAND_BONUS = 6.0
SAME_CATEGORY_BONUS = 3.0
CORRECTION_OWN = 60.0  # the least a correction's own words match the product it means
FILTER_MARGIN = 10.0  # products within this of the best match of a filter's words pass it


class Move(StrEnum):
    NONE = "none"  # not a follow-up: answer the message as it stands
    REFINE = "refine"  # the product in context in another size, form, flavour or number
    CORRECT = "correct"  # not the product just shown: another one (or none we have)
    SEVERAL = "several"  # several products named in one message
    ALL = "all"  # every product in context ('都有货吗', 'оба есть?')
    COMPARE = "compare"  # two products side by side
    PICK = "pick"  # one of the products in context chosen by price or size ('哪个便宜')
    FILTER = "filter"  # what was listed, narrowed by a word, a size or a price
    VAGUE = "vague"  # points at the context and names nothing ('这个', 'ну эту')
    UNKNOWN = "unknown"  # a follow-up ('那1公斤的呢') with nothing in context to follow


@dataclass(frozen=True, slots=True)
class Focus:
    """What the chat is about, as the engine remembers it."""

    shown: tuple[str, ...] = ()  # skus the last answer showed, best first
    discussed: tuple[str, ...] = ()  # skus talked about, oldest first (at most MAX_DISCUSSED)
    listed: tuple[str, ...] = ()  # every sku of the last list (a category, a filter), for filters
    anchor: str = ""  # the words that named the product family ('椴树蜜')

    @property
    def pool(self) -> tuple[str, ...]:
        """The products a 'which of them' question is about: the last list, or those discussed."""
        return self.shown if len(self.shown) >= 2 else self.discussed[::-1]


@dataclass(frozen=True, slots=True)
class PriceBound:
    low: Decimal | None = None
    high: Decimal | None = None

    def admits(self, price: Decimal) -> bool:
        return (self.low is None or price >= self.low) and (self.high is None or price <= self.high)


@dataclass(frozen=True, slots=True)
class Followup:
    move: Move
    products: tuple[str, ...] = ()  # skus meant, best first (one a part for SEVERAL and COMPARE)
    groups: tuple[tuple[str, ...], ...] = ()  # SEVERAL: the candidates of each part
    pick: str | None = None  # 'cheapest' | 'dearest' | 'biggest' | 'smallest' (PICK, COMPARE, REFINE)
    price: PriceBound | None = None  # FILTER by price
    sizes: frozenset[str] = frozenset()  # FILTER by size
    anchor: str = ""  # the words that name the family from now on
    too_many: bool = False  # SEVERAL: more products named than are answered


NONE = Followup(Move.NONE)

_NUM = r"(\d+(?:[.,]\d+)?)"
_ZH_UPTO = re.compile(
    rf"(?:低于|不超过|不到|少于|小于|最多){_NUM}|{_NUM}\s*(?:块钱|块|元|rmb|¥)?\s*(?:以内|以下|之内|内|以下的)"
)
_ZH_FROM = re.compile(rf"(?:高于|超过|大于){_NUM}|{_NUM}\s*(?:块钱|块|元)?\s*以上")
_ZH_RANGE = re.compile(rf"{_NUM}\s*(?:块|元)?\s*(?:到|至|-|~)\s*{_NUM}\s*(?:块|元)")
_RU_UPTO = re.compile(rf"(?:до|дешевле|не дороже|ниже|меньше|в пределах|не больше|максимум)\s*{_NUM}")
_RU_FROM = re.compile(rf"(?:от|дороже|выше|больше)\s*{_NUM}")


def _dec(raw: str) -> Decimal:
    return Decimal(raw.replace(",", "."))


def price_bound(folded: str) -> PriceBound | None:
    """'100块以内' / 'до 60 юаней' / '50到100块': the prices asked for, else None. Sizes are never
    prices ('до 500 г' is not read: the caller passes text without its sizes)."""
    if m := _ZH_RANGE.search(folded):
        return PriceBound(_dec(m.group(1)), _dec(m.group(2)))
    high = _ZH_UPTO.search(folded) or _RU_UPTO.search(folded)
    low = _ZH_FROM.search(folded) or (_RU_FROM.search(folded) if not high else None)
    if not high and not low:
        return None

    def value(m: re.Match[str] | None) -> Decimal | None:
        if m is None:
            return None
        return _dec(next(g for g in m.groups() if g))

    return PriceBound(value(low), value(high))


class FollowupReader:
    """Reads a message against a `Focus` with the shop's product index."""

    def __init__(self, index: ProductIndex) -> None:
        self.index = index

    def read(self, text: str, focus: Focus | None, *, strict: bool = False) -> Followup:
        """`strict`: the message was understood as something else (a payment question, an order
        list): only a move that cannot be mistaken counts (a comparison, a price filter, 'both',
        'which is cheaper', 'this one')."""
        c = cues(text)
        pieces = parts(text, compare=c.compare)
        if len(pieces) < 2 and not strict and not self._names_one(text):
            pieces = parts(text, spaces=True, compare=c.compare)  # '椴树蜜 荞麦蜜 巢蜜 都要'
        if len(pieces) >= 2 and not c.correction and not strict:
            several = self._several(pieces, c, text)
            if several is not None:
                return several
        positive, neg = negated(text)
        q = analyse(content(positive))
        if focus is None or not (focus.shown or focus.discussed):
            # '那1公斤的呢' with nothing in context: a size of no product named
            if not strict and (q.empty or is_filler(q.text)) and _pack(q.sizes):
                return Followup(Move.UNKNOWN)
            return NONE
        # the follow-up's own words ('榛子', 'Нарзан'): none when it says only '那…的呢' around a size
        own = self._rank(q) if not q.empty and not is_filler(q.text) else {}
        best_own = max(own.items(), key=lambda kv: kv[1], default=(None, 0.0))
        in_focus = {self.index.pid_of(s) for s in (*focus.shown, *focus.discussed)}
        new_named = best_own[0] is not None and best_own[1] >= NAMED and best_own[0] not in in_focus
        if c.compare:
            named = best_own[0]
            if named is not None and best_own[1] >= MIN_SCORE and named not in in_focus and focus.shown:
                return Followup(Move.COMPARE, (focus.shown[0], self.index.sku(named)), pick=c.pick)
            if len(focus.pool) >= 2:
                return Followup(Move.COMPARE, focus.pool[:2][::-1], pick=c.pick)
        bound = price_bound(_without_sizes(text))
        listed = focus.listed or focus.shown
        wants_list = bound is not None or (c.listing and (not strict or bool(_pack(q.sizes))))
        if wants_list and len(listed) >= 2 and not new_named:
            return self._filter(text, q, focus, listed, bound, c)
        if (
            c.pick in ("cheapest", "dearest", "biggest", "smallest")
            and len(focus.pool) >= 2
            and not new_named
        ):
            if not (c.small_pack or c.big_pack) or c.pick in ("cheapest", "dearest"):
                return Followup(Move.PICK, focus.pool, pick=c.pick)
        if c.all and len(focus.pool) >= 2 and not new_named and not _pack(q.sizes):
            return Followup(Move.ALL, _how_many(text, focus.pool))
        if is_filler(text) and not q.sizes and not q.numbers:
            return Followup(Move.VAGUE, focus.shown or focus.discussed[-1:])
        if strict:
            return NONE
        if c.correction:
            return self._correct(positive, q, own, focus)
        return self._refine(positive, q, own, focus, c, self._rank(analyse(neg), 20) if neg else {})

    def _names_one(self, text: str) -> bool:
        """Does the whole message name one product in full ('爱莲巧牛奶巧克力 迷你装 15克多少钱')?"""
        hits = self.index.rank(analyse(content(text)), 2)
        return bool(hits) and hits[0].score >= FULL_NAME and (len(hits) < 2 or hits[1].score < hits[0].score)

    # -- the moves ----------------------------------------------------------------------------

    def _rank(self, q: QueryParts, limit: int = 8) -> dict[int, float]:
        return {h.pid: h.score for h in self.index.rank(q, limit)}

    def _several(self, pieces: tuple[str, ...], c: Cues, text: str) -> Followup | None:
        """Each part names its own product; a part naming none ('4 от 17', 'и килограммовая')
        borrows the words of the part before it."""
        groups: list[tuple[str, ...]] = []
        best_part = 0.0
        anchor = ""
        for piece in pieces[:MAX_PARTS]:
            words = content(piece)
            q = analyse(words)
            hits = self.index.rank(q, 5) if not q.empty or q.sizes else []
            need = NAMED
            if (not hits or hits[0].score < NAMED) and anchor and (not q.empty or q.sizes or q.numbers):
                hits = self.index.rank(analyse(f"{anchor} {words}"), 5)
                taken = {s for g in groups for s in g[:1]}
                hits = [h for h in hits if self.index.sku(h.pid) not in taken] or hits
                need = MIN_SCORE
            elif hits and hits[0].score >= (NAMED_PART if c.compare else NAMED):
                anchor = q.text
                need = NAMED_PART if c.compare else NAMED
            if not hits or hits[0].score < need:
                continue
            top = hits[0].score
            best_part = max(best_part, top)
            group = tuple(self.index.sku(h.pid) for h in hits if h.score >= top - 1.0)
            if group and group not in groups:
                groups.append(group)
        if len(groups) < 2 or len({g[0] for g in groups}) < 2:
            return None
        whole = self.index.rank(analyse(content(text)), 1)
        if whole and whole[0].score >= FULL_NAME and whole[0].score > best_part:
            return None  # one name with a joiner in it ('Бальзам «Объём и баланс»')
        if c.compare or (c.pick and len(groups) == 2):
            return Followup(Move.COMPARE, tuple(g[0] for g in groups[:2]), pick=c.pick)
        return Followup(
            Move.SEVERAL,
            tuple(g[0] for g in groups),
            groups=tuple(groups),
            too_many=len(pieces) > MAX_PARTS,
        )

    def _bonus(self, pid: int, focus_pid: int | None) -> float:
        if focus_pid is None:
            return 0.0
        brand, category = self.index.related(pid, focus_pid)
        return SAME_BRAND_BONUS * brand + SAME_CATEGORY_BONUS * category

    def _refine(
        self,
        text: str,
        q: QueryParts,
        own: dict[int, float],
        focus: Focus,
        c: Cues,
        unwanted: dict[int, float],
    ) -> Followup:
        if q.empty and not _pack(q.sizes) and not q.numbers and not (c.small_pack or c.big_pack):
            return NONE  # nothing said of the product ('你好', '有货吗'): not a refinement
        head = focus.shown[0] if focus.shown else focus.discussed[-1]
        head_pid = self.index.pid_of(head)
        combined = (
            self._rank(analyse(with_number_words(f"{focus.anchor} {text}")), 10) if focus.anchor else {}
        )
        scores: dict[int, float] = {}
        for pid in {*own, *combined}:
            scores[pid] = max(own.get(pid, 0.0), combined.get(pid, 0.0)) + self._bonus(pid, head_pid)
            if unwanted.get(pid, 0.0) >= MIN_SCORE:  # 'без орехов': what has them is set aside
                scores[pid] -= 30.0
        if not scores:
            return NONE
        best, score = max(scores.items(), key=lambda kv: (kv[1], -kv[0]))
        if score < MIN_SCORE:
            return NONE
        if own.get(best, 0.0) >= NEW_PRODUCT and not any(self.index.related(best, head_pid or best)):
            return NONE  # another product altogether: a fresh question
        anchor = q.text if own.get(best, 0.0) >= NEW_PRODUCT and own else focus.anchor
        if c.small_pack or c.big_pack:
            family = [
                p
                for p, s in sorted(scores.items(), key=lambda kv: -kv[1])
                if s >= score - 12.0 and (head_pid is None or any(self.index.related(p, head_pid)))
            ] or [best]
            pick = "smallest" if c.small_pack else "biggest"
            return Followup(Move.REFINE, tuple(self.index.sku(p) for p in family), pick=pick, anchor=anchor)
        return Followup(Move.REFINE, (self.index.sku(best),), anchor=anchor)

    def _correct(self, text: str, q: QueryParts, own: dict[int, float], focus: Focus) -> Followup:
        """'不是这个，我说的是荞麦蜜': the product meant, never the one corrected away."""
        wrong = {self.index.pid_of(s) for s in focus.shown}  # a choice offered is corrected as a whole
        head_pid = self.index.pid_of(focus.shown[0]) if focus.shown else None
        own = dict(own)
        for piece in parts(content(text))[1:MAX_PARTS]:  # '不是白鲸 我说的是五湖': each named apart
            for pid, score in self._rank(analyse(piece)).items():
                own[pid] = max(own.get(pid, 0.0), score)
        combined = (
            self._rank(analyse(f"{focus.anchor} {content(text)}"), 10) if focus.anchor and not q.empty else {}
        )
        scores = {
            pid: max(own.get(pid, 0.0), combined.get(pid, 0.0) - 4.0) + self._bonus(pid, head_pid)
            for pid in {*own, *combined}
            if pid not in wrong
        }
        best = max(scores.items(), key=lambda kv: (kv[1], -kv[0]), default=None)
        # the product meant must be named by the correction's own words, not only by the context's
        if best is None or best[1] < MIN_SCORE + 6.0 or max(own.values(), default=0.0) < CORRECTION_OWN:
            return Followup(Move.CORRECT)  # a product we do not have: say so, show nothing wrong
        anchor = q.text if own.get(best[0], 0.0) >= NAMED else focus.anchor
        top = best[1]
        # the same product in several packs is a choice ('不是这个，我要椴树蜜' -> both sizes)
        near = [p for p, s in sorted(scores.items(), key=lambda kv: -kv[1]) if s >= top - 1.0][:3]
        return Followup(Move.CORRECT, tuple(self.index.sku(p) for p in near), anchor=anchor)

    def _filter(
        self,
        text: str,
        q: QueryParts,
        focus: Focus,
        listed: tuple[str, ...],
        bound: PriceBound | None,
        c: Cues,
    ) -> Followup:
        """'1公斤的有哪些', 'а до 60 юаней?', '黑巧的有哪些': what was listed, narrowed. Words narrow it
        here (the listed products that match them best); sizes and prices are applied by the engine."""
        keep = listed
        words = analyse(content(strip_listing(_without_prices(text))))
        if not words.empty:
            scores = self._rank(analyse(f"{focus.anchor} {words.text}"), 20)
            listed_pids = {self.index.pid_of(s): s for s in listed}
            inside = {pid: s for pid, s in scores.items() if pid in listed_pids}
            if inside:
                top = max(inside.values())
                keep = tuple(
                    listed_pids[p]
                    for p, s in sorted(inside.items(), key=lambda kv: -kv[1])
                    if s >= top - FILTER_MARGIN
                )
        return Followup(
            Move.FILTER,
            keep,
            pick=c.pick if c.pick in ("cheapest", "dearest") else None,
            price=bound,
            sizes=q.sizes,
            anchor=focus.anchor,
        )


_SIZE_WORDS = re.compile(
    r"\d+(?:[.,]\d+)?\s*(?:кг|г|гр|грамм\w*|мл|л|литр\w*|公斤|千克|克|斤|毫升|升|kg|g|ml|l)(?![a-zа-я])"
)
_PRICE_WORDS = re.compile(
    rf"{_NUM}\s*(?:块钱|块|元|юаней|юаня|юань|rmb|¥)?\s*(?:以内|以下|之内|以上)?|(?:до|дешевле|дороже|от|не дороже|ниже|в пределах)\s*{_NUM}\s*(?:юаней|юаня|юань)?"
)


def _without_sizes(text: str) -> str:
    return _SIZE_WORDS.sub(" ", fold(text))


def _without_prices(text: str) -> str:
    return _PRICE_WORDS.sub(" ", fold(text))


def _pack(sizes: frozenset[str]) -> frozenset[str]:
    """The weights and volumes among sizes read: '24罐' counts cans, it names no pack."""
    return frozenset(s for s in sizes if s.endswith(("g", "ml")))


_HOW_MANY = {
    "两": 2,
    "俩": 2,
    "2": 2,
    "оба": 2,
    "обе": 2,
    "обоих": 2,
    "обеих": 2,
    "三": 3,
    "3": 3,
    "три": 3,
    "四": 4,
    "четыре": 4,
}


def _how_many(text: str, pool: tuple[str, ...]) -> tuple[str, ...]:
    for word, n in _HOW_MANY.items():
        if word in text.lower():
            return pool[:n]
    return pool[:MAX_DISCUSSED]
