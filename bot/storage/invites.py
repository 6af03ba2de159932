"""One-time supplier invites: `kefu supplier invite CODE` makes a token, /start TOKEN spends it."""

from __future__ import annotations

import re
import secrets

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.db import dialect_insert
from bot.storage.models import Supplier, SupplierAccount, SupplierInvite
from bot.storage.types import utcnow

#: Telegram's deep-link payload: at most 64 characters of A-Za-z0-9_-.
PAYLOAD = re.compile(r"[A-Za-z0-9_-]{1,64}")


async def create_invite(session: AsyncSession, supplier_code: str) -> str | None:
    supplier_id = await session.scalar(select(Supplier.id).where(Supplier.code == supplier_code))
    if supplier_id is None:
        return None
    token = "s" + secrets.token_urlsafe(24)  # 33 characters of the payload alphabet
    session.add(SupplierInvite(token=token, supplier_id=supplier_id, created_at=utcnow()))
    return token


async def redeem_invite(session: AsyncSession, token: str, telegram_user_id: int) -> Supplier | None:
    """Link this account to the invite's supplier; None for a malformed, unknown or spent token."""
    if not PAYLOAD.fullmatch(token):
        return None
    # The UPDATE ... WHERE used_at IS NULL spends the token exactly once, even under a race.
    result = await session.execute(
        update(SupplierInvite)
        .where(SupplierInvite.token == token, SupplierInvite.used_at.is_(None))
        .values(used_at=utcnow(), used_by=telegram_user_id)
        .returning(SupplierInvite.supplier_id)
    )
    supplier_id = result.scalar_one_or_none()
    if supplier_id is None:
        return None
    insert = dialect_insert(session)
    stmt = insert(SupplierAccount).values(
        supplier_id=supplier_id, telegram_user_id=telegram_user_id, linked_at=utcnow(), linked_via="invite"
    )
    await session.execute(
        stmt.on_conflict_do_update(
            index_elements=["telegram_user_id"],
            set_={
                "supplier_id": stmt.excluded.supplier_id,
                "linked_at": stmt.excluded.linked_at,
                "linked_via": "invite",
            },
        )
    )
    return await session.get(Supplier, supplier_id)
