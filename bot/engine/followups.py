"""Follow-ups about the products in context: another size, a correction, several products at once,
a comparison, 'which is cheaper', a narrowed list, or 'this one' (intents.followup reads them)."""

from __future__ import annotations

from collections.abc import Sequence

from bot.engine import replies
from bot.engine.catalog import ProductFacts, product_facts
from bot.engine.focus import current_focus, remember_products
from bot.engine.messages import Button, Reply
from bot.engine.product_choice import pack_size, pick, sizes_of
from bot.engine.products import product_answer
from bot.engine.text import MAX_UNDERSTOOD
from bot.engine.turn import Turn
from intents import IntentId, Understanding
from intents.followup import Followup, Move
from intents.followup_cues import MAX_PARTS, is_filler
from intents.intent_ids import PRODUCT_INTENTS

#: Intents under which a message may be a follow-up: product questions, and short messages the
#: classifier could not place ('这个', 'а №4?').
FOLLOWUP_INTENTS = frozenset({*PRODUCT_INTENTS, IntentId.OUT_OF_SCOPE, IntentId.GREETING})
MAX_SHOWN = 6  # products one follow-up answer lists


#: Intents a follow-up never overrides: the shopper said what it wants.
FIRM_INTENTS = frozenset({IntentId.THANKS, IntentId.GOODBYE, IntentId.HUMAN_HANDOFF, IntentId.SUPPLIER_SHIP})


def _firm(u: Understanding) -> bool:
    """'嗯嗯' may read as thanks and 'всё есть?' as goodbye; they point at the context instead."""
    if u.intent is IntentId.THANKS:
        return not is_filler(u.text)
    if u.intent is IntentId.GOODBYE:
        return "?" not in u.text and "？" not in u.text
    return u.intent in FIRM_INTENTS


async def answer_followup(turn: Turn, u: Understanding | None) -> Reply | None:
    """The answer when the message is about the products in context (or names several); None when
    it is a fresh question for the ordinary product search. `u` is None for a message of no words
    ('？？'), which can only point at the context."""
    if turn.followups is None:
        return None
    if u is not None and (u.order_no or _firm(u)):
        return None
    strict = u is None or u.intent not in FOLLOWUP_INTENTS
    reading = turn.followups.read(turn.text[:MAX_UNDERSTOOD], current_focus(turn), strict=strict)
    if reading.move is Move.NONE:
        return None
    if reading.move is Move.UNKNOWN:
        text = turn.tr._("Which product do you mean? Please write its name.")
        return turn.reply([text], IntentId.PRODUCT_SEARCH)
    intent = u.intent if u is not None and u.intent in PRODUCT_INTENTS else IntentId.PRODUCT_SEARCH
    facts = await product_facts(turn.session, _wanted(reading))
    by_sku = {p.sku: p for p in facts}
    chosen = [by_sku[s] for s in reading.products if s in by_sku]
    if reading.move is not Move.CORRECT and not chosen and not reading.groups:
        return None
    turn.remember(misses=0)
    if reading.move is Move.REFINE:
        product = pick(chosen, reading.pick) if reading.pick else chosen[0]
        remember_products(turn, [product.sku], anchor=reading.anchor)
        return await product_answer(turn, product, intent)
    if reading.move is Move.CORRECT:
        return await _corrected(turn, reading, chosen, intent)
    if reading.move is Move.SEVERAL:
        return _several(turn, reading, by_sku, intent)
    if reading.move is Move.ALL:
        remember_products(turn, [p.sku for p in chosen])
        return _listed(turn, turn.tr._("Here they are:"), chosen, intent)
    if reading.move is Move.COMPARE:
        return _compare(turn, chosen, reading, intent)
    if reading.move is Move.PICK:
        return _pick(turn, chosen, reading, intent)
    if reading.move is Move.FILTER:
        return _filtered(turn, chosen, reading, intent)
    # VAGUE: 'this one' — the product in context, or the choice offered again
    if len(chosen) == 1:
        return await product_answer(turn, chosen[0], intent)
    remember_products(turn, [p.sku for p in chosen], listed=[p.sku for p in chosen])
    return _listed(turn, turn.tr._("Which one do you mean?"), chosen, intent)


def _wanted(reading: Followup) -> list[str]:
    skus = list(reading.products)
    for group in reading.groups:
        skus += [s for s in group if s not in skus]
    return skus


def _listed(turn: Turn, heading: str, products: Sequence[ProductFacts], intent: str) -> Reply:
    shown = list(products)[:MAX_SHOWN]
    texts = [heading, *(replies.product_line(turn.tr, p) for p in shown)]
    buttons = [Button(p.name(turn.lang), f"p:{p.id}") for p in shown]
    return turn.reply(texts, intent, buttons=buttons)


async def _corrected(turn: Turn, reading: Followup, chosen: list[ProductFacts], intent: str) -> Reply:
    focus = current_focus(turn)
    wrong = focus.shown if focus else ()
    if not chosen:
        remember_products(turn, [], replace=wrong)
        return turn.reply([turn.tr._("Sorry, we don't have that product.")], intent)
    remember_products(turn, [p.sku for p in chosen], anchor=reading.anchor, replace=wrong)
    if len(chosen) == 1:
        return await product_answer(turn, chosen[0], intent)
    return _listed(turn, turn.tr._("Here is what I found:"), chosen, intent)


def _several(turn: Turn, reading: Followup, by_sku: dict[str, ProductFacts], intent: str) -> Reply:
    tr = turn.tr
    texts = [tr._("Here are the products you asked about:")]
    shown: list[ProductFacts] = []
    for group in reading.groups:
        members = [by_sku[s] for s in group[:3] if s in by_sku]
        shown += [p for p in members if p not in shown]
    texts += [replies.product_line(tr, p) for p in shown]
    if reading.too_many:
        texts.append(
            tr.n_(
                "I've answered about the first {n} product; ask me about the others in your next message.",
                "I've answered about the first {n} products; ask me about the others in your next message.",
                MAX_PARTS,
            )
        )
    tops = [by_sku[g[0]].sku for g in reading.groups if g and g[0] in by_sku]
    remember_products(turn, tops, listed=[p.sku for p in shown])
    buttons = [Button(p.name(turn.lang), f"p:{p.id}") for p in shown[:MAX_SHOWN]]
    return turn.reply(texts, intent, buttons=buttons)


def _compare(turn: Turn, chosen: list[ProductFacts], reading: Followup, intent: str) -> Reply:
    tr = turn.tr
    if len(chosen) < 2:
        return _listed(turn, tr._("Here is what I found:"), chosen, intent)
    a, b = chosen[0], chosen[1]
    remember_products(turn, [a.sku, b.sku], listed=[a.sku, b.sku])
    texts = [tr._("Side by side:"), replies.product_card(tr, a), replies.product_card(tr, b)]
    if reading.pick:
        texts.append(_pick_line(turn, pick([a, b], reading.pick), reading.pick))
    elif a.price_cny != b.price_cny:
        cheaper, dearer = (a, b) if a.price_cny < b.price_cny else (b, a)
        texts.append(
            tr._(
                "{name} is cheaper, by {difference}.",
                name=cheaper.name(turn.lang),
                difference=tr.price(dearer.price_cny - cheaper.price_cny),
            )
        )
    else:
        texts.append(tr._("They cost the same."))
    buttons = [Button(p.name(turn.lang), f"p:{p.id}") for p in (a, b)]
    return turn.reply(texts, intent, buttons=buttons)


def _pick_line(turn: Turn, product: ProductFacts, how: str) -> str:
    tr = turn.tr
    name, price = product.name(turn.lang), tr.price(product.price_cny)
    if how == "cheapest":
        return tr._("Of these, the cheapest is {name}: {price}.", name=name, price=price)
    if how == "dearest":
        return tr._("Of these, the most expensive is {name}: {price}.", name=name, price=price)
    if how == "biggest":
        return tr._("Of these, the biggest pack is {name}: {price}.", name=name, price=price)
    return tr._("Of these, the smallest pack is {name}: {price}.", name=name, price=price)


def _pick(turn: Turn, chosen: list[ProductFacts], reading: Followup, intent: str) -> Reply:
    how = reading.pick or "cheapest"
    if how in ("biggest", "smallest") and sum(pack_size(p) is not None for p in chosen) < 2:
        return _listed(turn, turn.tr._("Here they are:"), chosen, intent)
    product = pick(chosen, how)
    remember_products(turn, [product.sku])
    texts = [_pick_line(turn, product, how), replies.product_line(turn.tr, product)]
    return turn.reply(texts, intent, buttons=[Button(product.name(turn.lang), f"p:{product.id}")])


def _filtered(turn: Turn, chosen: list[ProductFacts], reading: Followup, intent: str) -> Reply:
    tr = turn.tr
    passing = [
        p
        for p in chosen
        if (reading.price is None or reading.price.admits(p.price_cny))
        and (not reading.sizes or reading.sizes <= sizes_of(p))
    ]
    if not passing:
        return turn.reply([tr._("None of them matches that.")], intent)
    if reading.pick:
        product = pick(passing, reading.pick)
        remember_products(turn, [product.sku], listed=[p.sku for p in passing])
        return turn.reply(
            [_pick_line(turn, product, reading.pick), replies.product_line(tr, product)],
            intent,
            buttons=[Button(product.name(turn.lang), f"p:{product.id}")],
        )
    if reading.price is not None:
        passing.sort(key=lambda p: p.price_cny)
    remember_products(turn, [p.sku for p in passing[:MAX_SHOWN]], listed=[p.sku for p in passing])
    if len(passing) == 1:
        return _listed(turn, tr._("Of those, this one matches:"), passing, intent)
    return _listed(turn, tr._("Of those, these match:"), passing, intent)
