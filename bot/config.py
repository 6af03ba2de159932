"""Settings, read once from the environment (and a `.env` file); docs/interfaces.md lists the variables."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Annotated

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

#: The checkout (or installed tree) root: catalog_data/ and locales/ live beside bot/.
PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///kefu.db"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="KEFU_", env_file=".env", extra="ignore")

    database_url: str = DEFAULT_DATABASE_URL
    redis_url: str | None = None
    #: Secrets are `SecretStr` so that a logged or printed Settings shows `**********`, never the value.
    telegram_token: SecretStr | None = None
    telegram_api_url: str = "https://api.telegram.org"
    staff_chat_id: int | None = None
    staff_user_ids: Annotated[frozenset[int], NoDecode] = Field(default_factory=frozenset)
    webhook_listen: str = "127.0.0.1:8080"
    webhook_secret: SecretStr | None = None
    webhook_url: str | None = None
    #: The language of the context cards and notices the bot posts in the staff group.
    staff_lang: str = "zh"
    #: Pace outgoing messages to Telegram's limits (tests of other things switch it off).
    telegram_rate_limits: bool = True
    #: Incoming messages one user may send per minute before the bot goes quiet for a while.
    user_messages_per_minute: int = 30
    #: The shop's own time zone: dates in replies are shown in it.
    shop_timezone: str = "Asia/Shanghai"
    #: Updates kept while the database is down, when no Redis is configured: a file (in the working
    #: directory by default) so that a restart during the outage loses none. Empty: memory only.
    pending_spool: Path | None = Path("kefu-pending.jsonl")
    #: The region whose national form imported phones may be written in (`13812345678` with CN).
    default_phone_region: str = "CN"
    #: The outbox (what handled updates still have to send): rows younger than the grace are left to
    #: the process that wrote them; a process's claim on a row lapses after the lease (it died).
    outbox_grace_seconds: float = 5.0
    outbox_lease_seconds: float = 30.0
    data_dir: Path = PROJECT_ROOT / "catalog_data"
    locales_dir: Path = PROJECT_ROOT / "locales"

    @field_validator("staff_user_ids", mode="before")
    @classmethod
    def _split_ids(cls, value: object) -> object:
        # "1, 2,3" in the environment; pydantic-settings would otherwise expect JSON.
        if isinstance(value, str):
            return frozenset(int(part) for part in value.replace(";", ",").split(",") if part.strip())
        if isinstance(value, int):
            return frozenset({value})
        return value

    @field_validator("default_phone_region")
    @classmethod
    def _known_region(cls, value: str) -> str:
        from bot.storage.keys import is_phone_region

        region = value.strip().upper()
        if not is_phone_region(region):
            raise ValueError(f"{value!r} is not a two-letter region code such as CN, RU or US")
        return region

    @field_validator(
        "redis_url",
        "telegram_token",
        "webhook_secret",
        "webhook_url",
        "staff_chat_id",
        "pending_spool",
        mode="before",
    )
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
