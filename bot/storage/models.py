"""The shop database: typed SQLAlchemy 2 models. Alembic (bot/storage/migrations) owns the schema."""

from __future__ import annotations

import enum
from datetime import datetime
from decimal import Decimal
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from bot.storage.types import Lang, Money, UTCDateTime, utcnow

# Stable constraint names, so migrations can alter them on both databases.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {int: Integer, datetime: UTCDateTime, Decimal: Money}


class OrderStatus(enum.StrEnum):
    CREATED = "created"
    PAID = "paid"
    PACKING = "packing"
    SHIPPED = "shipped"
    CUSTOMS = "customs"
    DELIVERING = "delivering"
    DELIVERED = "delivered"
    CANCELLED = "cancelled"
    REFUNDED = "refunded"


ORDER_STATUSES: tuple[str, ...] = tuple(s.value for s in OrderStatus)
_STATUS_CHECK = "status IN (" + ", ".join(f"'{s}'" for s in ORDER_STATUSES) + ")"


class Supplier(Base):
    __tablename__ = "suppliers"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name_ru: Mapped[str] = mapped_column(String(255))
    name_zh: Mapped[str] = mapped_column(String(255))
    # The contact from the suppliers file; the accounts that may act for it are in supplier_accounts.
    telegram_user_id: Mapped[int | None] = mapped_column(BigInteger)
    phone: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    accounts: Mapped[list[SupplierAccount]] = relationship(back_populates="supplier")


class SupplierAccount(Base):
    """A Telegram account linked to a supplier (by the suppliers file or an invite deep link)."""

    __tablename__ = "supplier_accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    supplier_id: Mapped[int] = mapped_column(ForeignKey("suppliers.id", ondelete="CASCADE"), index=True)
    telegram_user_id: Mapped[int] = mapped_column(BigInteger, unique=True)
    linked_at: Mapped[datetime] = mapped_column(default=utcnow)
    linked_via: Mapped[str] = mapped_column(String(16), default="import")  # import | invite | staff

    supplier: Mapped[Supplier] = relationship(back_populates="accounts")


class SupplierInvite(Base):
    """A one-time deep-link token (`kefu supplier invite CODE`)."""

    __tablename__ = "supplier_invites"

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(String(64), unique=True)
    supplier_id: Mapped[int] = mapped_column(ForeignKey("suppliers.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    used_at: Mapped[datetime | None]
    used_by: Mapped[int | None] = mapped_column(BigInteger)


class Product(Base):
    __tablename__ = "products"
    __table_args__ = (CheckConstraint("stock >= 0", name="stock_not_negative"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    sku: Mapped[str] = mapped_column(String(64), unique=True)
    name_ru: Mapped[str] = mapped_column(String(255))
    name_zh: Mapped[str] = mapped_column(String(255))
    aliases_ru: Mapped[str] = mapped_column(Text, default="")  # "|"-separated, as in the catalog file
    aliases_zh: Mapped[str] = mapped_column(Text, default="")
    brand: Mapped[str] = mapped_column(String(128), default="")
    category_ru: Mapped[str] = mapped_column(String(128), default="", index=True)
    category_zh: Mapped[str] = mapped_column(String(128), default="")
    price_cny: Mapped[Decimal]
    stock: Mapped[int] = mapped_column(default=0)
    supplier_id: Mapped[int] = mapped_column(ForeignKey("suppliers.id"), index=True)
    description_ru: Mapped[str] = mapped_column(Text, default="")
    description_zh: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    supplier: Mapped[Supplier] = relationship()


class Customer(Base):
    __tablename__ = "customers"

    id: Mapped[int] = mapped_column(primary_key=True)
    telegram_user_id: Mapped[int] = mapped_column(BigInteger, unique=True)
    #: Normalised (+86138...) and only ever set from a contact the user shared about itself.
    verified_phone: Mapped[str | None] = mapped_column(String(32), index=True)
    phone_verified_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Order(Base):
    __tablename__ = "orders"
    __table_args__ = (CheckConstraint(_STATUS_CHECK, name="status_known"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    order_no: Mapped[str] = mapped_column(String(64), unique=True)  # canonical, as the shop wrote it
    #: order_no without case, width, spaces and dashes: what every lookup compares.
    order_key: Mapped[str] = mapped_column(String(64), unique=True)
    customer_telegram_id: Mapped[int | None] = mapped_column(BigInteger, index=True)
    customer_phone: Mapped[str | None] = mapped_column(String(32), index=True)
    status: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    lines: Mapped[list[OrderLine]] = relationship(
        back_populates="order", cascade="all, delete-orphan", order_by="OrderLine.id"
    )
    history: Mapped[list[OrderStatusEvent]] = relationship(
        back_populates="order", cascade="all, delete-orphan", order_by="OrderStatusEvent.id"
    )
    parcels: Mapped[list[Parcel]] = relationship(
        back_populates="order", cascade="all, delete-orphan", order_by="Parcel.id"
    )


class OrderLine(Base):
    __tablename__ = "order_lines"
    __table_args__ = (
        UniqueConstraint("order_id", "product_id", name="uq_order_lines_order_product"),
        CheckConstraint("quantity > 0", name="quantity_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"))
    #: Who fulfils this line, fixed when ordered (a product may change supplier later).
    supplier_id: Mapped[int] = mapped_column(ForeignKey("suppliers.id"), index=True)
    quantity: Mapped[int]
    unit_price_cny: Mapped[Decimal]

    order: Mapped[Order] = relationship(back_populates="lines")
    product: Mapped[Product] = relationship()


class ParcelDestination(enum.StrEnum):
    #: A parcel the shopper can follow (a cross-border parcel, or the shop's own from its warehouse).
    CUSTOMER = "customer"
    #: Freight to the shop's warehouse: the shopper is told the goods are on their way there, no number.
    WAREHOUSE = "warehouse"


class Parcel(Base):
    """One parcel (shipment) of an order: who sent it, its tracking number and carrier, where it goes,
    which order lines it carries. An order is shipped when every line is in a parcel."""

    __tablename__ = "parcels"
    __table_args__ = (
        UniqueConstraint("order_id", "tracking_no", name="uq_parcels_order_tracking"),
        CheckConstraint("destination IN ('customer', 'warehouse')", name="destination_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    #: The supplier that sent it; None for the shop's own parcels (from order imports).
    supplier_id: Mapped[int | None] = mapped_column(ForeignKey("suppliers.id"), index=True)
    #: None while the sender has not given the number yet.
    tracking_no: Mapped[str | None] = mapped_column(String(64))
    #: russian_post | ems | sf | yunexpress | cdek when the number's format (or the sender) says so; else the
    #: carrier's name as the sender wrote it (中通快递, Boxberry), or None.
    carrier: Mapped[str | None] = mapped_column(String(32))
    destination: Mapped[str] = mapped_column(String(16), default=ParcelDestination.CUSTOMER.value)
    shipped_at: Mapped[datetime] = mapped_column(default=utcnow)
    reported_by: Mapped[str | None] = mapped_column(String(64))  # supplier code, Telegram id, file name

    order: Mapped[Order] = relationship(back_populates="parcels")
    lines: Mapped[list[ParcelLine]] = relationship(cascade="all, delete-orphan", passive_deletes=True)


class ParcelLine(Base):
    """Which order lines a parcel carries (a line may travel in several: to the warehouse, then on)."""

    __tablename__ = "parcel_lines"

    parcel_id: Mapped[int] = mapped_column(ForeignKey("parcels.id", ondelete="CASCADE"), primary_key=True)
    order_line_id: Mapped[int] = mapped_column(
        ForeignKey("order_lines.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class OrderStatusEvent(Base):
    """The status history: who changed what, when."""

    __tablename__ = "order_status_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(16))
    changed_at: Mapped[datetime] = mapped_column(default=utcnow)
    actor: Mapped[str] = mapped_column(String(16))  # import | supplier | staff | system
    actor_id: Mapped[str | None] = mapped_column(String(64))  # supplier code, Telegram id, file name
    tracking_no: Mapped[str | None] = mapped_column(String(64))
    note: Mapped[str | None] = mapped_column(Text)

    order: Mapped[Order] = relationship(back_populates="history")


class Conversation(Base):
    """One per Telegram user (its private chat): language, context and whether people hold it."""

    __tablename__ = "conversations"

    id: Mapped[int] = mapped_column(primary_key=True)
    telegram_user_id: Mapped[int] = mapped_column(BigInteger, unique=True)
    lang: Mapped[Lang | None] = mapped_column(String(8))
    #: Short-lived dialogue context (last product discussed, misses in a row...).
    context: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    handoff_active: Mapped[bool] = mapped_column(Boolean, default=False)
    blocked_bot: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    messages: Mapped[list[Message]] = relationship(back_populates="conversation", order_by="Message.id")


class Message(Base):
    """Every message in and out, with what the bot understood, for later review."""

    __tablename__ = "messages"
    __table_args__ = (
        CheckConstraint("direction IN ('in', 'out')", name="direction_known"),
        Index("ix_messages_conversation_created", "conversation_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"))
    direction: Mapped[str] = mapped_column(String(3))
    #: bot | customer | supplier | staff: who wrote it (staff replies relayed during a handoff).
    author: Mapped[str] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(Text, default="")
    lang: Mapped[Lang | None] = mapped_column(String(8))
    intent: Mapped[str | None] = mapped_column(String(32))
    confidence: Mapped[float | None]
    #: What the matcher found (skus with scores, order number), for the staff context card.
    details: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    telegram_message_id: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    conversation: Mapped[Conversation] = relationship(back_populates="messages")


class Handoff(Base):
    """A stretch of time during which staff, not the bot, hold a conversation."""

    __tablename__ = "handoffs"

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[int] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), index=True
    )
    reason: Mapped[str] = mapped_column(String(32))  # asked | not_understood | staff
    opened_at: Mapped[datetime] = mapped_column(default=utcnow)
    closed_at: Mapped[datetime | None]
    closed_by: Mapped[int | None] = mapped_column(BigInteger)


class StaffTopic(Base):
    """The forum topic of a customer in the staff supergroup: exactly one per conversation."""

    __tablename__ = "staff_topics"
    __table_args__ = (UniqueConstraint("staff_chat_id", "thread_id", name="uq_staff_topics_chat_thread"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[int] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), unique=True
    )
    staff_chat_id: Mapped[int] = mapped_column(BigInteger)
    thread_id: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class MessagePair(Base):
    """A customer's message and its copy in the staff topic (or a staff message and its copy to the
    customer), so replies stay replies and edits reach the copy."""

    __tablename__ = "message_pairs"
    __table_args__ = (
        UniqueConstraint("customer_chat_id", "customer_message_id", name="uq_message_pairs_customer"),
        UniqueConstraint("staff_chat_id", "staff_message_id", name="uq_message_pairs_staff"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[int] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), index=True
    )
    customer_chat_id: Mapped[int] = mapped_column(BigInteger)
    customer_message_id: Mapped[int] = mapped_column(BigInteger)
    staff_chat_id: Mapped[int] = mapped_column(BigInteger)
    staff_message_id: Mapped[int] = mapped_column(BigInteger)
    #: customer -> staff (a relayed customer message) or staff -> customer (an operator's answer).
    direction: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ProcessedUpdate(Base):
    """Telegram update ids already handled (de-duplication when no Redis is configured)."""

    __tablename__ = "processed_updates"

    update_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    processed_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class FailedUpdateStatus(enum.StrEnum):
    FAILED = "failed"  # handling it failed: waiting for a person (`kefu failed list`)
    RETRY = "retry"  # `kefu failed retry` asked the running bot to replay it
    RETRYING = "retrying"  # a bot process has claimed it and is replaying it
    DONE = "done"  # replayed without error


_FAILED_STATUS_CHECK = "status IN (" + ", ".join(f"'{s.value}'" for s in FailedUpdateStatus) + ")"


class FailedUpdate(Base):
    """A Telegram update whose handling failed for a reason other than an outage (a dead letter): kept
    with its error so a person can see it and replay it, while Telegram is told it arrived."""

    __tablename__ = "failed_updates"
    __table_args__ = (CheckConstraint(_FAILED_STATUS_CHECK, name="status_known"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    update_id: Mapped[int] = mapped_column(BigInteger, unique=True)
    chat_id: Mapped[int | None] = mapped_column(BigInteger)
    #: The update exactly as received (JSON text, ASCII-escaped: no NUL byte reaches PostgreSQL).
    update_json: Mapped[str] = mapped_column(Text)
    error_class: Mapped[str] = mapped_column(String(200))
    error_message: Mapped[str] = mapped_column(Text, default="")
    traceback: Mapped[str] = mapped_column(Text, default="")
    #: How many times handling it failed (the first time and each replay that failed again).
    failures: Mapped[int] = mapped_column(Integer, default=1)
    status: Mapped[str] = mapped_column(String(16), default=FailedUpdateStatus.FAILED.value, index=True)
    failed_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: When `kefu failed retry` asked for a replay, and when a bot process last claimed it.
    retry_requested_at: Mapped[datetime | None]
    retried_at: Mapped[datetime | None]


class OutboxItem(Base):
    """Something a handled update still has to send (a reply, a notification, a step of the staff
    relay), written in the update's own transaction: a process killed between handling and sending
    leaves the row, and whichever process claims it next sends it."""

    __tablename__ = "outbox"
    __table_args__ = (
        CheckConstraint("state IN ('pending', 'sent', 'failed')", name="state_known"),
        Index("ix_outbox_state_due", "state", "due_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The Telegram update whose handling wrote it (a re-send of that update delivers what is left).
    update_id: Mapped[int | None] = mapped_column(BigInteger, index=True)
    #: The chat it goes to (or is about): sends to one chat keep their order by id.
    chat_id: Mapped[int] = mapped_column(BigInteger)
    #: reply | text | to_staff | open_topic
    kind: Mapped[str] = mapped_column(String(16))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    state: Mapped[str] = mapped_column(String(8), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    #: Parts of a long text already sent, so a retry does not send them again.
    progress: Mapped[int] = mapped_column(default=0)
    due_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: A process that took the row owns it until then; after that (it died) another may take it.
    claimed_until: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
