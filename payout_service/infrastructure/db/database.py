"""Opening and closing the database: Tortoise's configuration built from the settings."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

from tortoise import Tortoise

from payout_service.infrastructure.settings import Settings

MODELS = ["payout_service.infrastructure.db.models", "aerich.models"]


def tortoise_config(settings: Settings) -> dict[str, Any]:
    return {
        "connections": {"default": _connection_url(settings)},
        "apps": {"models": {"models": MODELS, "default_connection": "default"}},
        "use_tz": False,
        "timezone": "UTC",
    }


def _connection_url(settings: Settings) -> str:
    parts = urlsplit(settings.database_url)
    if parts.scheme == "sqlite":
        # Several processes share the file: wait for the writer instead of failing at once.
        extra = {"busy_timeout": "10000", "synchronous": "FULL"}
    else:
        extra = {"minsize": "1", "maxsize": str(settings.database_pool_size)}
    query = "&".join(q for q in (parts.query, urlencode(extra)) if q)
    return urlunsplit(parts._replace(query=query))


async def open_database(settings: Settings) -> None:
    if settings.is_sqlite:
        _make_parent_directory(settings.database_url)
    await Tortoise.init(config=tortoise_config(settings))


async def close_database() -> None:
    await Tortoise.close_connections()


def _make_parent_directory(database_url: str) -> None:
    from pathlib import Path

    path = database_url.removeprefix("sqlite://")
    if path and path != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
