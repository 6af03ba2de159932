"""Telegram tests run the real aiogram / PTB HTTP clients against a fake Bot API server on 127.0.0.1.

No ``__init__.py`` here on purpose: with pytest's default "prepend" import mode and no
``tests/__init__.py``, a package named ``tests/telegram`` would be imported as top-level ``telegram``
and shadow python-telegram-bot. This directory is put on sys.path instead, so one test module can
import another's helpers. The fake itself is ``tests.support.fake_bot_api``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest_asyncio

from tests.support.fake_bot_api import FakeBotAPI


@pytest_asyncio.fixture
async def fake_api() -> AsyncIterator[FakeBotAPI]:
    """A started FakeBotAPI on a free port of 127.0.0.1 (``fake_api.url``), stopped after the test."""
    fake = FakeBotAPI()
    await fake.start()
    try:
        yield fake
    finally:
        await fake.stop()
