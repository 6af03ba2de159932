"""Questions about products: what we have, what it costs, what is in stock instead."""

from __future__ import annotations

from bot.engine import replies
from bot.engine.catalog import ProductFacts, in_stock_alternatives, product_facts
from bot.engine.focus import MAX_LISTED, current_focus, remember_products
from bot.engine.handoff import miss
from bot.engine.messages import Button, Reply
from bot.engine.turn import Turn
from intents import Understanding
from intents.normalize import fold
from intents.query import analyse
from intents.sizes import size_variants, sizes

#: A best product match this far ahead of the next one is "clear-cut": shown alone, no choice buttons.
CLEAR_MARGIN = 8.0
CLEAR_SCORE = 75.0
FULL_NAME = 98.0


async def answer_products(turn: Turn, u: Understanding) -> Reply:
    tr = turn.tr
    skus = [m.sku for m in u.products]
    focus = current_focus(turn)
    if not skus and focus is not None and focus.shown:
        skus = list(focus.shown[:1])  # "那个多少钱": the product just discussed
    if not skus:
        return await miss(turn, u.intent, product_question=True)
    facts = await product_facts(turn.session, skus)
    if not facts:
        return await miss(turn, u.intent, product_question=True)
    scores = {m.sku: m.score for m in u.products}
    top = facts[0]
    clear_cut = (
        u.category is None
        and not u.brand  # a brand asked for: show its products to choose from
        and (
            len(facts) == 1
            or (
                (
                    scores.get(top.sku, 100.0) - scores.get(facts[1].sku, 0.0) >= CLEAR_MARGIN
                    # its whole name typed: that one, though a sibling's name is nearly the same
                    or scores.get(top.sku, 0.0) >= FULL_NAME > scores.get(facts[1].sku, 0.0) + 1.0
                )
                # the same product in another pack, and no size asked: let the shopper choose
                and not (size_variants(top.name_ru, facts[1].name_ru) and not sizes(fold(u.text)))
            )
        )
        and scores.get(top.sku, 100.0) >= CLEAR_SCORE
    ) or not u.products
    anchor = analyse(u.text).text if u.products else None  # the words that named them
    listed = _listed(turn, u, [p.sku for p in facts])
    if clear_cut:
        remember_products(turn, [top.sku], anchor=anchor, listed=listed)
        return await product_answer(turn, top, u.intent)
    remember_products(turn, [p.sku for p in facts], anchor=anchor, listed=listed)
    variants = len(facts) > 1 and all(size_variants(top.name_ru, p.name_ru) for p in facts[1:])
    texts = [replies.choice_heading(tr, category=u.category, brand=u.brand, variants=variants)]
    texts += [replies.product_line(tr, p) for p in facts]
    texts.append(tr._("Tap a product for details."))
    buttons = [Button(p.name(turn.lang), f"p:{p.id}") for p in facts]
    return turn.reply(texts, u.intent, buttons=buttons)


def _listed(turn: Turn, u: Understanding, shown: list[str]) -> list[str]:
    """What a later filter ('100块以内的', 'а до 30 юаней?') may narrow: more than is shown."""
    listed = list(shown)
    if turn.followups is None or not u.products:
        return listed
    index = turn.followups.index
    if u.category is not None:
        more = index.category_skus(u.category, MAX_LISTED)
    else:
        hits = index.rank(analyse(u.text), MAX_LISTED)
        more = [index.sku(h.pid) for h in hits if h.score >= hits[0].score - 15.0]
    return listed + [s for s in more if s not in listed]


async def product_answer(turn: Turn, product: ProductFacts, intent: str) -> Reply:
    """One product's card; when it is out of stock, what is in stock instead."""
    tr = turn.tr
    texts = [replies.product_card(tr, product)]
    buttons: list[Button] = []
    if product.stock <= 0:
        alternatives = await in_stock_alternatives(turn.session, product)
        if alternatives:
            texts.append(tr._("It's out of stock right now. These are in stock:"))
            texts += [replies.product_line(tr, p) for p in alternatives]
            buttons = [Button(p.name(turn.lang), f"p:{p.id}") for p in alternatives]
        else:
            texts.append(tr._("It's out of stock right now; we restock every week."))
    return turn.reply(texts, intent, buttons=buttons)
