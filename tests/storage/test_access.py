"""Order access rules (bot/storage/access.py), tried every way around, on both databases."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.config import PROJECT_ROOT
from bot.importing import import_file
from bot.storage.access import OrderAccess, Role, Viewer, resolve_viewer
from bot.storage.models import Customer, ParcelDestination, Supplier, SupplierAccount
from bot.storage.runtime import Database
from bot.storage.shipments import NewParcel, ShipmentOutcome, ShipmentResult, report_shipment
from bot.storage.types import utcnow
from intents.tracking import carrier_of

ALICE, BOB, CAROL, STRANGER = 5100000001, 5100000002, 5100000003, 5100000099
SWEET_ACCOUNT, DRINK_ACCOUNT = 7100000001, 7100000002
STAFF = 9000


async def viewer_of(shop: Database, telegram_user_id: int) -> Viewer:
    async with shop.sessions() as session:
        return await resolve_viewer(session, telegram_user_id, frozenset({STAFF}))


async def find(shop: Database, viewer: Viewer, order_no: str) -> object:
    async with shop.sessions() as session:
        return await OrderAccess(session, viewer).find(order_no)


async def listed(shop: Database, viewer: Viewer) -> list[str]:
    async with shop.sessions() as session:
        return [o.order_no for o in await OrderAccess(session, viewer).recent()]


async def verify_phone(shop: Database, telegram_user_id: int, phone: str) -> None:
    async with shop.sessions.begin() as session:
        session.add(
            Customer(telegram_user_id=telegram_user_id, verified_phone=phone, phone_verified_at=utcnow())
        )


async def test_customer_sees_own_orders_newest_first(shop: Database) -> None:
    alice = await viewer_of(shop, ALICE)
    assert alice.role is Role.CUSTOMER
    assert await listed(shop, alice) == ["KF-250118-001", "KF-250117-003"]
    order = await find(shop, alice, "KF-250117-003")
    assert order is not None
    assert [line.sku for line in order.lines] == ["CHOC-ALENKA-100", "KVAS-OCH-15"]  # type: ignore[attr-defined]
    assert [e.status for e in order.history] == ["created", "shipped"]  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "form", ["ＫＦ－２５０１１７－００３", "kf250117003", "KF 250117 003", " kf-250117-003 ", "Kf—250117—003"]
)
async def test_order_number_in_any_form(shop: Database, form: str) -> None:
    order = await find(shop, await viewer_of(shop, ALICE), form)
    assert order is not None and order.order_no == "KF-250117-003"  # type: ignore[attr-defined]


async def test_someone_elses_order_looks_exactly_like_no_order(shop: Database) -> None:
    bob = await viewer_of(shop, BOB)
    assert await find(shop, bob, "KF-250117-003") is None
    assert await find(shop, bob, "KF-999999-999") is None
    assert await listed(shop, bob) == ["KF-250119-002"]


@pytest.mark.parametrize(
    "probe",
    [
        "",
        "---",
        "KF-250117",
        "KF-250117-00",
        "KF-250117-0030",
        "%",
        "KF%",
        "' OR '1'='1",
        "KF-250117-003' --",
    ],
)
async def test_partial_wildcard_and_injection_probes_find_nothing(shop: Database, probe: str) -> None:
    assert await find(shop, await viewer_of(shop, STRANGER), probe) is None
    assert await find(shop, await viewer_of(shop, BOB), probe) is None


async def test_verified_phone_opens_phone_only_orders(shop: Database) -> None:
    stranger = await viewer_of(shop, STRANGER)
    assert await find(shop, stranger, "KF-250120-004") is None
    await verify_phone(shop, STRANGER, "+8613800000002")
    verified = await viewer_of(shop, STRANGER)
    assert verified.verified_phone == "+8613800000002"
    assert await listed(shop, verified) == ["KF-250120-004"]
    order = await find(shop, verified, "kf250120004")
    assert order is not None and len(order.lines) == 2  # type: ignore[attr-defined]


async def test_an_unverified_phone_claim_gives_nothing(shop: Database) -> None:
    # KF-250120-004 has a phone and no Telegram id. A customer known to the shop whose phone was never
    # verified (a contact refused, a number typed in chat) gets no phone at all from resolve_viewer...
    async with shop.sessions.begin() as session:
        session.add(Customer(telegram_user_id=STRANGER, verified_phone=None, phone_verified_at=None))
    stranger = await viewer_of(shop, STRANGER)
    assert stranger.verified_phone is None
    assert await listed(shop, stranger) == [] and await find(shop, stranger, "KF-250120-004") is None
    # ...and a viewer with neither id nor phone does not match the orders that have neither.
    assert await listed(shop, Viewer.customer(None)) == []


async def test_supplier_sees_only_orders_with_its_products_and_only_its_lines(shop: Database) -> None:
    sweet = await viewer_of(shop, SWEET_ACCOUNT)
    assert sweet.role is Role.SUPPLIER and sweet.supplier_code == "SWEET"
    assert await listed(shop, sweet) == ["KF-250120-004", "KF-250119-002", "KF-250117-003"]
    mixed = await find(shop, sweet, "KF-250117-003")
    assert mixed is not None
    assert [line.sku for line in mixed.lines] == ["CHOC-ALENKA-100"]  # type: ignore[attr-defined]
    assert str(mixed.total_cny) == "25.80"  # type: ignore[attr-defined]  # its own lines only
    assert await find(shop, sweet, "KF-250118-001") is None  # honey only: not its order
    assert await find(shop, sweet, "KF-250121-005") is None

    drink = await viewer_of(shop, DRINK_ACCOUNT)
    assert await listed(shop, drink) == ["KF-250121-005", "KF-250117-003"]
    mixed = await find(shop, drink, "KF-250117-003")
    assert [line.sku for line in mixed.lines] == ["KVAS-OCH-15"]  # type: ignore[attr-defined]


async def test_supplier_without_account_is_nobody(shop: Database) -> None:
    # HONEY has a phone in the suppliers file and no linked Telegram account: nobody acts as HONEY, not
    # even an account that verified that very phone.
    async with shop.sessions() as session:
        honey_id = await session.scalar(select(Supplier.id).where(Supplier.code == "HONEY"))
        accounts = await session.scalar(
            select(func.count()).select_from(SupplierAccount).where(SupplierAccount.supplier_id == honey_id)
        )
    assert honey_id is not None and accounts == 0
    await verify_phone(shop, STRANGER, "+79145550303")
    stranger = await viewer_of(shop, STRANGER)
    assert stranger.role is Role.CUSTOMER and stranger.supplier_id is None
    assert await listed(shop, stranger) == []
    # a supplier viewer with no supplier sees nothing at all
    assert await listed(shop, Viewer(Role.SUPPLIER)) == []


async def test_a_supplier_viewer_sees_the_orders_with_its_lines(shop: Database) -> None:
    async with shop.sessions() as session:
        honey_id = await session.scalar(select(Supplier.id).where(Supplier.code == "HONEY"))
    honey = Viewer.supplier(int(honey_id or 0), "HONEY")
    assert await listed(shop, honey) == ["KF-250120-004", "KF-250118-001"]


async def test_staff_see_everything(shop: Database) -> None:
    staff = await viewer_of(shop, STAFF)
    assert staff.role is Role.STAFF
    assert len(await listed(shop, staff)) == 5
    order = await find(shop, staff, "KF-250120-004")
    assert order is not None and len(order.lines) == 2  # type: ignore[attr-defined]


async def test_staff_list_wins_over_supplier_link(shop: Database) -> None:
    async with shop.sessions() as session:
        viewer = await resolve_viewer(session, SWEET_ACCOUNT, frozenset({SWEET_ACCOUNT}))
    assert viewer.role is Role.STAFF


async def _import_orders(shop: Database, tmp_path: Path, rows: str) -> None:
    path = tmp_path / "more-orders.csv"
    path.write_text(
        "order_no,customer_telegram_id,customer_phone,status,created_at,items,tracking_no\n" + rows,
        encoding="utf-8",
    )
    async with shop.sessions.begin() as session:
        await import_file(session, "orders", path)


async def ship(
    shop: Database,
    viewer: Viewer,
    order_no: str,
    *numbers: str,
    destination: ParcelDestination = ParcelDestination.CUSTOMER,
) -> ShipmentResult | None:
    async with shop.sessions.begin() as session:
        parcels = [NewParcel(n, carrier_of(n)) for n in numbers]
        return await report_shipment(session, viewer, order_no, parcels, destination=destination)


async def test_a_suppliers_report_ships_its_own_lines_and_each_supplier_sees_only_its_parcels(
    shop: Database, tmp_path: Path
) -> None:
    await _import_orders(
        shop,
        tmp_path,
        "KF-250122-006,5100000002,,paid,2025-01-22T09:00:00+08:00,CHOC-ALENKA-100:1|KVAS-OCH-15:2,\n",
    )
    sweet, drink, bob = [await viewer_of(shop, u) for u in (SWEET_ACCOUNT, DRINK_ACCOUNT, BOB)]
    result = await ship(shop, sweet, "KF-250122-006", "RA111111111RU")
    assert result is not None and result.outcome is ShipmentOutcome.RECORDED
    assert result.notify == (BOB,) and not result.order_shipped
    assert [(p.tracking_no, p.carrier) for p in result.new_parcels] == [("RA111111111RU", "russian_post")]

    # The other supplier's lines are not shipped: the order is not, and it stays on that supplier's list.
    drinks = await find(shop, drink, "KF-250122-006")
    assert drinks is not None and drinks.status == "paid" and drinks.parcels == ()  # type: ignore[attr-defined]
    async with shop.sessions() as session:
        assert "KF-250122-006" in [o.order_no for o in await OrderAccess(session, drink).to_ship()]
        assert "KF-250122-006" not in [o.order_no for o in await OrderAccess(session, sweet).to_ship()]

    customer = await find(shop, bob, "KF-250122-006")
    assert customer is not None
    (parcel,) = customer.parcels  # type: ignore[attr-defined]
    choc = next(line for line in customer.lines if line.sku == "CHOC-ALENKA-100")  # type: ignore[attr-defined]
    assert parcel.tracking_no == "RA111111111RU" and parcel.line_ids == (choc.id,)

    # The same number again changes nothing and tells nobody.
    again = await ship(shop, sweet, "KF-250122-006", "RA111111111RU")
    assert again is not None and again.outcome is ShipmentOutcome.ALREADY_RECORDED and again.notify == ()

    # The drinks go to the shop's warehouse: the order is shipped; the shopper never sees the waybill.
    last = await ship(shop, drink, "KF-250122-006", "1234567890", destination=ParcelDestination.WAREHOUSE)
    assert last is not None and last.order_shipped and last.order.status == "shipped"
    customer = await find(shop, bob, "KF-250122-006")
    assert [(p.tracking_no, p.destination) for p in customer.parcels] == [  # type: ignore[attr-defined]
        ("RA111111111RU", "customer"),
        (None, "warehouse"),
    ]
    drinks = await find(shop, drink, "KF-250122-006")
    assert [p.tracking_no for p in drinks.parcels] == ["1234567890"]  # type: ignore[attr-defined]
    sweets = await find(shop, sweet, "KF-250122-006")
    assert [p.tracking_no for p in sweets.parcels] == ["RA111111111RU"]  # type: ignore[attr-defined]
    staff = await find(shop, await viewer_of(shop, STAFF), "KF-250122-006")
    assert len(staff.parcels) == 2  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("status", "outcome"),
    [
        ("created", ShipmentOutcome.NOT_PAID),
        ("cancelled", ShipmentOutcome.CANCELLED),
        ("refunded", ShipmentOutcome.REFUNDED),
        ("delivered", ShipmentOutcome.PAST_SHIPPING),
    ],
)
async def test_orders_not_paid_cancelled_or_refunded_cannot_be_shipped(
    shop: Database, tmp_path: Path, status: str, outcome: ShipmentOutcome
) -> None:
    await _import_orders(
        shop, tmp_path, f"KF-250123-001,5100000002,,{status},2025-01-23T09:00:00+08:00,CANDY-KOROVKA:1,\n"
    )
    sweet = await viewer_of(shop, SWEET_ACCOUNT)
    result = await ship(shop, sweet, "KF-250123-001", "RA222222222RU")
    assert result is not None and result.outcome is outcome and result.notify == ()
    order = await find(shop, sweet, "KF-250123-001")
    assert order is not None and order.status == status and order.parcels == ()  # type: ignore[attr-defined]
    async with shop.sessions() as session:
        assert await OrderAccess(session, sweet).to_ship() == []  # unpaid is not "waiting for you to ship"


async def test_nobody_ships_an_order_it_cannot_see(shop: Database) -> None:
    honey_only = "KF-250118-001"
    assert await ship(shop, await viewer_of(shop, SWEET_ACCOUNT), honey_only, "RA333333333RU") is None
    assert await ship(shop, await viewer_of(shop, ALICE), honey_only, "RA333333333RU") is None
    order = await find(shop, await viewer_of(shop, ALICE), honey_only)
    assert order is not None and order.status == "paid" and order.parcels == ()  # type: ignore[attr-defined]


@pytest.mark.parametrize("first", ["bot.storage.shipments", "bot.storage.access", "bot.engine.conversation"])
def test_shipment_names_are_one_set_whichever_module_loads_first(first: str) -> None:
    # Shipment reporting has its own module; callers that still import it from access.py get the same
    # objects, in whatever order a fresh process happens to import the two modules.
    check = (
        f"import {first}\n"
        "from bot.storage import access, shipments\n"
        "from bot.storage.access import SHIPPABLE, NewParcel, ShipmentOutcome, ShipmentResult, report_shipment\n"
        "assert (SHIPPABLE, NewParcel, ShipmentOutcome, ShipmentResult, report_shipment) == (\n"
        "    shipments.SHIPPABLE, shipments.NewParcel, shipments.ShipmentOutcome, shipments.ShipmentResult,\n"
        "    shipments.report_shipment)\n"
        "assert shipments.visible_to is access.visible_to and shipments.OrderAccess is access.OrderAccess\n"
        "assert not hasattr(access, 'no_such_name')\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", check],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
