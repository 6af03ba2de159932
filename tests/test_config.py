"""Settings: secrets never shown, closed sets typed, empty values unset."""

from __future__ import annotations

import logging
from typing import Literal, get_args, get_type_hints

import pytest
from pydantic import SecretStr

from bot.config import Settings
from bot.storage.models import Conversation, Message

TOKEN = "123456789:AAE-very-secret-token"
SECRET = "webhook-secret-value"


def test_secrets_are_never_shown(caplog: pytest.LogCaptureFixture) -> None:
    settings = Settings(telegram_token=TOKEN, webhook_secret=SECRET)
    with caplog.at_level(logging.INFO):
        logging.getLogger("kefu.test").info("settings: %s %r", settings, settings)
    shown = [str(settings), repr(settings), settings.model_dump_json(), caplog.text]
    assert not [text for text in shown if TOKEN in text or SECRET in text]
    assert isinstance(settings.telegram_token, SecretStr) and isinstance(settings.webhook_secret, SecretStr)
    assert settings.telegram_token.get_secret_value() == TOKEN
    assert settings.webhook_secret.get_secret_value() == SECRET


def test_secrets_come_from_the_environment_and_empty_is_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KEFU_TELEGRAM_TOKEN", TOKEN)
    monkeypatch.setenv("KEFU_WEBHOOK_SECRET", "  ")
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert settings.telegram_token is not None and settings.telegram_token.get_secret_value() == TOKEN
    assert settings.webhook_secret is None


@pytest.mark.parametrize("model", [Conversation, Message])
def test_a_language_column_is_typed_as_the_closed_set(model: type) -> None:
    hint = get_type_hints(model)["lang"]  # Mapped[Lang | None]
    (inner,) = get_args(hint)
    assert set(get_args(inner)) == {Literal["zh", "ru"], type(None)}
