"""One chat message in, one Understanding out: language, intent, products, order number."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace

from intents import chinese, russian
from intents.followup import FollowupReader
from intents.intent_classifier import IntentClassifier
from intents.intent_ids import PRODUCT_INTENTS, IntentId
from intents.intent_signals import Signals
from intents.language import LatinKind, evidence
from intents.normalize import MAX_CLAUSES, clauses, fold, is_han, tokens
from intents.orders import OrderLookup, as_lookup, read_orders
from intents.product_index import Hit, ProductIndex, ProductMatch, ProductRecord
from intents.product_questions import PriceRange, asked_properties, asks_price, price_range, screen_reference
from intents.query import QueryParts, analyse
from intents.resources import word_set

MIN_PRODUCT_SCORE = 60.0  # weaker matches are noise from the words around the question
MAX_PRODUCTS = 5
NAMED_PRODUCT = 95.0  # a product match this good is the product asked for, whatever category is named
CLEAR_MATCH = 85.0  # below this, a message of several clauses is also matched clause by clause
NAMED_GAP = 8.0  # a product named in full this far ahead of the next one is the one asked for


@dataclass(frozen=True, slots=True)
class Understanding:
    text: str
    lang: str  # 'zh' | 'ru': the reply language
    intent: IntentId
    confidence: float  # 0..1
    products: tuple[ProductMatch, ...]  # up to 5, for product_search/product_price
    order_no: str | None  # canonical number of an order of this shop named by the message
    order_candidates: tuple[str, ...]  # normalised order-number-looking spans (resolved or not)
    category: str | None = None  # a whole category asked for, named in `lang`
    brand: bool = False  # the products of one brand asked for ('这个牌子都有哪些东西')
    # digit-led keys that may be an order number without its letter prefix ('251119-006'): the caller
    # resolves them among the orders its reader may see (bot.storage.access)
    order_short: tuple[str, ...] = ()
    #: What is asked about the product, for a product intent: some of intents.product_questions
    #: PROPERTIES ('origin', 'size', 'shelf_life', 'storage', 'ingredients', 'taste', 'usage'), to be
    #: answered from the product's description, size, price or stock ('这个蜂蜜是哪产的' origin,
    #: 'Кефир жирный?' ingredients). Empty when only its availability or price is asked.
    properties: tuple[str, ...] = ()
    #: A price filter or order asked for ('五十块以内的巧克力' max 50, 'от 20 до 30 юаней', '最便宜的蜂蜜'
    #: order 'asc'), for a product intent: `products` hold the kind asked (the category or the
    #: matching products, in the matcher's order); the engine keeps those within min..max (inclusive)
    #: and sorts them by price as `order` says. None when no price range or order is asked.
    price: PriceRange | None = None
    #: The message points at a product on the live stream's screen ('3号链接', '主播手里那个'): when it
    #: names no product, `products` is empty (the shop must say which one) rather than a guess.
    screen: bool = False


SCREEN_NAMED = 80.0  # a message pointing at the screen names a product only with a match this good
# what a price range or a property question turns into a product question when it names products
_PRODUCT_LIKE = (IntentId.PRODUCT_PRICE, IntentId.OUT_OF_SCOPE, IntentId.PAYMENT_INFO, IntentId.ORDER_LIST)


def product_question(
    intent: IntentId,
    s: Signals,
    properties: tuple[str, ...],
    price: PriceRange | None,
    screen: bool,
    price_asked: bool,
) -> IntentId:
    """The intent, given what the product questions found: a property of a named product or a price
    range of a named kind is a product search ('护手霜多大一支', '五十块以内的巧克力', 'водка до 100
    юаней'), a price question only where the price is asked outright; a message pointing at the
    live stream's screen ('3号链接是啥') is a product question even when it names nothing."""
    named = (s.product_score >= 68 and s.product_coverage >= 0.3) or s.category
    # out of scope ('Как приготовить борщ?', '套娃是哪个国家发明的') only for a product named clearly
    clearly = (s.product_score >= 75 and s.product_coverage >= 0.3) or s.category
    if price is not None and intent in _PRODUCT_LIKE and not price_asked:
        numeric = price.min is not None or price.max is not None
        if (clearly if intent == IntentId.OUT_OF_SCOPE else named) or (
            numeric and intent == IntentId.PRODUCT_PRICE
        ):
            return IntentId.PRODUCT_SEARCH
    if properties and not price_asked:
        if (intent == IntentId.PRODUCT_PRICE and named) or (intent == IntentId.OUT_OF_SCOPE and clearly):
            return IntentId.PRODUCT_SEARCH
    if screen and intent == IntentId.OUT_OF_SCOPE:
        return IntentId.PRODUCT_SEARCH
    return intent


def asks_for_brand(text: str) -> bool:
    """Does the message ask about a brand as a whole (牌子, марка, бренд…)?"""
    f = fold(text)
    cues = word_set("query", "brand_cues")
    return any(c in f for c in cues if not c.isascii() and is_han(c[0])) or any(t in cues for t in tokens(f))


def warm_up() -> None:
    """Load jieba, pymorphy3, OpenCC and pypinyin now rather than on the first message."""
    chinese.jieba_module()
    chinese.t2s("餅")
    chinese.pinyin_of("预热")
    chinese.syllables()
    russian.is_known_word("тест")
    russian.stem("тест")


class Understander:
    """Built once per process (indexes and dictionaries); `understand` is cheap per message."""

    def __init__(
        self,
        products: Iterable[ProductRecord],
        order_lookup: Callable[[str], str | None] | Mapping[str, str] | None = None,
        short_lookup: OrderLookup | None = None,
    ) -> None:
        """`order_lookup`: normalised key -> canonical number; `short_lookup`: a number without its
        letter prefix -> the one order it can be (None when none or several): for a caller that may
        see every order (`kefu classify`); the bot resolves short forms per reader instead."""
        warm_up()
        self.index = ProductIndex(products)
        self.followups = FollowupReader(self.index)
        self.classifier = IntentClassifier()
        self._lookup = as_lookup(order_lookup)
        self._short_lookup = short_lookup

    def understand(self, text: str, default_lang: str | None = None) -> Understanding:
        refs = read_orders(text, self._lookup, self._short_lookup)
        order_no, candidates = refs.resolved, refs.candidates
        # the words of a price range and a numbered live-stream link name no product (nor a size)
        price, rest = price_range(text)
        screen, rest = screen_reference(rest)
        q = analyse(rest)
        hits = self.index.rank(q, MAX_PRODUCTS) if len(self.index) else []
        lang = self._language(text, q, hits, default_lang)
        category = self.index.match_category(q, lang) if len(self.index) else None
        if len(self.index) and (not hits or hits[0].score < CLEAR_MATCH):
            hits, q, category = self._by_clause(rest, q, hits, category, lang)
        top = hits[0] if hits else None
        signals = Signals(
            order_resolved=order_no is not None,
            order_like=bool(candidates),
            product_score=top.score if top else 0.0,
            product_coverage=top.coverage if top else 0.0,
            category=category is not None,
            codes=refs.numbers,
        )
        result = self.classifier.classify(text, lang, signals)
        intent = result.intent
        properties: tuple[str, ...] = ()
        if intent in PRODUCT_INTENTS or intent in _PRODUCT_LIKE:  # the rest never become product questions
            properties = asked_properties(text)
            if properties or price is not None or screen:
                intent = product_question(intent, signals, properties, price, screen, asks_price(rest))
        products: tuple[ProductMatch, ...] = ()
        brand = False
        if intent in PRODUCT_INTENTS:
            if screen and top is not None and (top.score < SCREEN_NAMED or top.coverage < 0.5):
                hits = []  # '主播手里那个': the product on screen, which the words do not name
            products = self._products(hits, category, q)
            if (
                category is not None
                and hits
                and hits[0].score >= NAMED_PRODUCT
                and (len(hits) == 1 or hits[0].score - hits[1].score >= NAMED_GAP)
                and not self.index.names_only_category(q, category)
            ):
                category = None  # '巴巴耶夫斯基精英黑巧克力多少钱' asks for that bar, not for 巧克力
            if category is None and hits and hits[0].score >= MIN_PRODUCT_SCORE and asks_for_brand(text):
                # 'эта марка есть? какие товары от неё': the named product's brand, all of it
                siblings = self.index.brand_skus(hits[0].pid, MAX_PRODUCTS)
                if len(siblings) > 1:
                    brand = True
                    scores = {m.sku: m.score for m in products}
                    products = tuple(ProductMatch(sku, scores.get(sku, 50.0)) for sku in siblings)
        else:
            category, properties, price, screen = None, (), None, False
        return Understanding(
            text=text,
            lang=lang,
            intent=intent,
            confidence=result.confidence,
            products=products,
            order_no=order_no,
            order_candidates=candidates,
            order_short=refs.short,
            category=category,
            brand=brand,
            properties=properties,
            price=price,
            screen=screen,
        )

    def _by_clause(
        self, text: str, q: QueryParts, hits: list[Hit], category: str | None, lang: str
    ) -> tuple[list[Hit], QueryParts, str | None]:
        """A long message names its product in one clause among others ('请问有俄罗斯峰蜜吗？纯天然的
        那种，想给老妈泡水喝'): the whole message dilutes the match, the clause does not."""
        parts = clauses(text)
        if len(parts) < 2:
            return hits, q, category
        best = hits[0].score if hits else 0.0
        for part in parts[:MAX_CLAUSES]:
            qc = analyse(part)
            if qc.empty:
                continue
            # a size or number said in another clause still tells the variants apart ('…，1.5升那种')
            qc = replace(qc, sizes=qc.sizes | q.sizes, numbers=qc.numbers | q.numbers)
            if category is None:
                category = self.index.match_category(qc, lang)
            got = self.index.rank(qc, MAX_PRODUCTS)
            if got and got[0].score > best:
                hits, q, best = got, qc, got[0].score
        return hits, q, category

    def _language(self, text: str, q: QueryParts, hits: list[Hit], default: str | None) -> str:
        # words of the product found count little: 'есть 炼乳?' is Russian, '想要Коровка' Chinese
        ignore = frozenset(w for w in (*q.han, *q.cyr) if hits and hits[0].score >= 80)
        ev = evidence(text, ignore)
        lang = ev.decide(None)
        if lang is None and ev.zh == ev.ru == 0 and hits and hits[0].score >= 75 and q.latin:
            via = self.index.latin_via(hits[0])
            lang = "zh" if via is LatinKind.PINYIN else "ru" if via is not None else None
        if lang is None:
            # no signal (emoji, a bare order number) or a tie: the text without discounting products,
            # then the caller's language, then Chinese (the shop's customers are Chinese shoppers)
            lang = evidence(text).decide(None) or default or "zh"
        return lang

    def _products(self, hits: list[Hit], category: str | None, q: QueryParts) -> tuple[ProductMatch, ...]:
        out: list[ProductMatch] = []
        if hits:
            floor = max(MIN_PRODUCT_SCORE, hits[0].score - 25.0)
            out = [ProductMatch(self.index.sku(h.pid), round(h.score, 1)) for h in hits if h.score >= floor]
        if category is not None:
            # a whole category was asked for: its products first, name matches of it before the rest;
            # but a product named in full outside it stays first ('Юбилейное в шоколаде' is a biscuit)
            inside = self.index.in_category
            named = [
                m
                for m in out[:1]
                if not inside(m.sku, category)
                and hits
                and hits[0].score >= NAMED_PRODUCT
                and not self.index.names_only_category(q, category)
            ]
            ranked = named + [m for m in out if inside(m.sku, category)]
            seen = {m.sku for m in ranked}
            more = self.index.category_skus(category, limit=MAX_PRODUCTS + len(seen))
            ranked.extend(ProductMatch(s, 50.0) for s in more if s not in seen)
            out = ranked
        return tuple(out[:MAX_PRODUCTS])
