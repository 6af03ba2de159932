"""Arbitrary Unicode never makes the understanding or the conversation engine raise."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.config import PROJECT_ROOT
from bot.engine.catalog import CatalogIndex
from bot.engine.conversation import Engine
from bot.engine.faq import FaqBook
from bot.engine.i18n import I18n
from bot.engine.messages import Incoming
from bot.storage.db import create_engine, create_sessionmaker, upgrade_database
from bot.storage.runtime import Database
from intents import ProductRecord, Understander
from tests.conftest import load_shop

# Text as chat apps deliver it: any plane, controls, surrogates excluded by UTF-8, long runs, mixed scripts.
TEXTS = st.one_of(
    st.text(max_size=300),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=60),
    st.text(alphabet="有爱莲巧吗多少钱订单KF-0123456789есть сгущёнка? 😀\u200b\x00ＫＦ－", max_size=80),
)

UNDERSTANDER = Understander(
    [
        ProductRecord(
            "CHOC-1",
            "Шоколад «Алёнка» 100 г",
            "爱莲巧 100克",
            ("Алёнка",),
            ("大头娃娃",),
            "",
            "Шоколад",
            "巧克力",
        ),
        ProductRecord("KVAS-1", "Квас 1.5 л", "格瓦斯 1.5升", (), (), "", "Напитки", "饮料"),
    ],
    {"KF250117003": "KF-250117-003"},
)


@settings(max_examples=400, deadline=None)
@given(TEXTS)
def test_understanding_never_raises(text: str) -> None:
    result = UNDERSTANDER.understand(text)
    assert result.lang in ("zh", "ru")
    assert 0.0 <= result.confidence <= 1.0
    assert len(result.products) <= 5


@pytest.fixture(scope="module")
def engine_loop(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    loop = asyncio.new_event_loop()
    path: Path = tmp_path_factory.mktemp("prop") / "kefu.db"
    engine = create_engine(f"sqlite+aiosqlite:///{path}")
    loop.run_until_complete(upgrade_database(engine))
    database = Database(engine, create_sessionmaker(engine))
    loop.run_until_complete(load_shop(database))
    conversation = Engine(
        database.sessions,
        CatalogIndex(database.sessions),
        I18n(PROJECT_ROOT / "locales"),
        FaqBook.load(PROJECT_ROOT / "catalog_data" / "faq.toml"),
    )
    yield conversation, loop
    loop.run_until_complete(engine.dispose())
    loop.close()


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    text=TEXTS,
    user=st.integers(min_value=1, max_value=5),
    code=st.sampled_from([None, "", "zh-hans", "ru", "en"]),
)
def test_engine_never_raises(engine_loop, text: str, user: int, code: str | None) -> None:  # type: ignore[no-untyped-def]
    conversation, loop = engine_loop
    reply = loop.run_until_complete(conversation.handle(Incoming(6_000_000_000 + user, text, code)))
    assert reply.lang in ("zh", "ru")
    assert reply.text or reply.handoff
