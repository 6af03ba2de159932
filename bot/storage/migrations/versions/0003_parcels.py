"""parcels: an order's shipments, each with its own tracking number and the lines it carries

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29 15:40:00

The order-level `orders.tracking_no` becomes parcels of the shop's own (destination: the shopper)
carrying all the order's lines; several numbers written into it (`A/B`, `A|B`) become several parcels.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen copies of the rules at the time of this migration (the application's may change later).
_SEPARATORS = re.compile(r"[\s/,;|，；、]+")
_S10 = re.compile(r"^([A-Z]{2})\d{9}RU$")
_FORMATS = (
    ("sf", re.compile(r"^SF\d{12,13}$")),
    ("yunexpress", re.compile(r"^YT\d{16}$")),
    ("cdek", re.compile(r"^\d{10}$")),
)


def _carrier(number: str) -> str | None:
    s10 = _S10.match(number)
    if s10 is not None:
        return "ems" if s10.group(1).startswith("E") else "russian_post"
    return next((name for name, pattern in _FORMATS if pattern.match(number)), None)


def upgrade() -> None:
    parcels = op.create_table(
        "parcels",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("supplier_id", sa.Integer(), nullable=True),
        sa.Column("tracking_no", sa.String(length=64), nullable=True),
        sa.Column("carrier", sa.String(length=32), nullable=True),
        sa.Column("destination", sa.String(length=16), nullable=False),
        sa.Column("shipped_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reported_by", sa.String(length=64), nullable=True),
        sa.CheckConstraint(
            "destination IN ('customer', 'warehouse')", name=op.f("ck_parcels_destination_known")
        ),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_parcels_order_id_orders"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["supplier_id"], ["suppliers.id"], name=op.f("fk_parcels_supplier_id_suppliers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_parcels")),
        sa.UniqueConstraint("order_id", "tracking_no", name="uq_parcels_order_tracking"),
    )
    with op.batch_alter_table("parcels", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_parcels_order_id"), ["order_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_parcels_supplier_id"), ["supplier_id"], unique=False)

    parcel_lines = op.create_table(
        "parcel_lines",
        sa.Column("parcel_id", sa.Integer(), nullable=False),
        sa.Column("order_line_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["order_line_id"],
            ["order_lines.id"],
            name=op.f("fk_parcel_lines_order_line_id_order_lines"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["parcel_id"], ["parcels.id"], name=op.f("fk_parcel_lines_parcel_id_parcels"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("parcel_id", "order_line_id", name=op.f("pk_parcel_lines")),
    )
    with op.batch_alter_table("parcel_lines", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_parcel_lines_order_line_id"), ["order_line_id"], unique=False)

    _tracking_numbers_to_parcels(parcels, parcel_lines)

    # A plain ALTER (SQLite 3.35+), not a batch table copy: with foreign keys on, SQLite's DROP TABLE of
    # the copy would cascade to every order's lines, history and parcels.
    op.execute("ALTER TABLE orders DROP COLUMN tracking_no")


def _tracking_numbers_to_parcels(parcels: sa.Table, parcel_lines: sa.Table) -> None:
    conn = op.get_bind()
    orders = sa.table(
        "orders",
        sa.column("id", sa.Integer()),
        sa.column("tracking_no", sa.String()),
        sa.column("updated_at", sa.DateTime(timezone=True)),
    )
    events = sa.table(
        "order_status_events",
        sa.column("order_id", sa.Integer()),
        sa.column("status", sa.String()),
        sa.column("changed_at", sa.DateTime(timezone=True)),
    )
    lines = sa.table("order_lines", sa.column("id", sa.Integer()), sa.column("order_id", sa.Integer()))
    shipped_at = (
        sa.select(sa.func.max(events.c.changed_at))
        .where(events.c.order_id == orders.c.id, events.c.status == "shipped")
        .scalar_subquery()
    )
    rows = conn.execute(
        sa.select(orders.c.id, orders.c.tracking_no, orders.c.updated_at, shipped_at).where(
            orders.c.tracking_no.is_not(None), orders.c.tracking_no != ""
        )
    ).all()
    for order_id, tracking, updated_at, shipped in rows:
        line_ids = conn.execute(sa.select(lines.c.id).where(lines.c.order_id == order_id)).scalars().all()
        numbers = dict.fromkeys(n.upper() for n in _SEPARATORS.split(tracking) if n)
        for number in numbers:
            parcel_id = conn.execute(
                parcels.insert()
                .values(
                    order_id=order_id,
                    supplier_id=None,
                    tracking_no=number[:64],
                    carrier=_carrier(number),
                    destination="customer",
                    shipped_at=shipped or updated_at or datetime.now(UTC),
                    reported_by="migration",
                )
                .returning(parcels.c.id)
            ).scalar_one()
            if line_ids:
                conn.execute(
                    parcel_lines.insert(), [{"parcel_id": parcel_id, "order_line_id": i} for i in line_ids]
                )


def downgrade() -> None:
    op.add_column("orders", sa.Column("tracking_no", sa.String(length=64), nullable=True))
    conn = op.get_bind()
    parcels = sa.table(
        "parcels",
        sa.column("id", sa.Integer()),
        sa.column("order_id", sa.Integer()),
        sa.column("tracking_no", sa.String()),
        sa.column("destination", sa.String()),
    )
    orders = sa.table("orders", sa.column("id", sa.Integer()), sa.column("tracking_no", sa.String()))
    numbers: dict[int, list[str]] = {}
    for order_id, number in conn.execute(
        sa.select(parcels.c.order_id, parcels.c.tracking_no)
        .where(parcels.c.tracking_no.is_not(None), parcels.c.destination == "customer")
        .order_by(parcels.c.id)
    ):
        numbers.setdefault(order_id, []).append(number)
    for order_id, values in numbers.items():
        # One column holds one number: the first parcel's, as the order-level field always did.
        conn.execute(orders.update().where(orders.c.id == order_id).values(tracking_no=values[0]))

    with op.batch_alter_table("parcel_lines", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_parcel_lines_order_line_id"))
    op.drop_table("parcel_lines")
    with op.batch_alter_table("parcels", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_parcels_supplier_id"))
        batch_op.drop_index(batch_op.f("ix_parcels_order_id"))
    op.drop_table("parcels")
