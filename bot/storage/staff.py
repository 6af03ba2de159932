"""The staff side of handoffs: forum topics per conversation and relayed message pairs."""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.db import dialect_insert
from bot.storage.models import Conversation, MessagePair, StaffTopic
from bot.storage.types import utcnow


async def topic_of(session: AsyncSession, conversation_id: int, staff_chat_id: int) -> int | None:
    return await session.scalar(
        select(StaffTopic.thread_id).where(
            StaffTopic.conversation_id == conversation_id, StaffTopic.staff_chat_id == staff_chat_id
        )
    )


async def save_topic(session: AsyncSession, conversation_id: int, staff_chat_id: int, thread_id: int) -> None:
    stmt = dialect_insert(session)(StaffTopic).values(
        conversation_id=conversation_id, staff_chat_id=staff_chat_id, thread_id=thread_id, created_at=utcnow()
    )
    await session.execute(
        stmt.on_conflict_do_update(
            index_elements=["conversation_id"], set_={"thread_id": thread_id, "staff_chat_id": staff_chat_id}
        )
    )


async def forget_topic(session: AsyncSession, conversation_id: int) -> None:
    await session.execute(delete(StaffTopic).where(StaffTopic.conversation_id == conversation_id))


async def conversation_of_topic(
    session: AsyncSession, staff_chat_id: int, thread_id: int
) -> Conversation | None:
    return await session.scalar(
        select(Conversation)
        .join(StaffTopic, StaffTopic.conversation_id == Conversation.id)
        .where(StaffTopic.staff_chat_id == staff_chat_id, StaffTopic.thread_id == thread_id)
    )


async def save_pair(
    session: AsyncSession,
    conversation_id: int,
    customer: tuple[int, int],
    staff: tuple[int, int],
    direction: str,
) -> None:
    stmt = dialect_insert(session)(MessagePair).values(
        conversation_id=conversation_id,
        customer_chat_id=customer[0],
        customer_message_id=customer[1],
        staff_chat_id=staff[0],
        staff_message_id=staff[1],
        direction=direction,
        created_at=utcnow(),
    )
    await session.execute(stmt.on_conflict_do_nothing())


async def staff_copy_of(session: AsyncSession, customer_chat_id: int, customer_message_id: int) -> int | None:
    return await session.scalar(
        select(MessagePair.staff_message_id).where(
            MessagePair.customer_chat_id == customer_chat_id,
            MessagePair.customer_message_id == customer_message_id,
        )
    )


async def customer_copy_of(session: AsyncSession, staff_chat_id: int, staff_message_id: int) -> int | None:
    return await session.scalar(
        select(MessagePair.customer_message_id).where(
            MessagePair.staff_chat_id == staff_chat_id, MessagePair.staff_message_id == staff_message_id
        )
    )
