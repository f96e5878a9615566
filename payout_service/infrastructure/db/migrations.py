"""Bringing a database's schema up to date.

MySQL/MariaDB (production) is migrated by aerich from the files under migrations/mysql, generated
from the models. The embedded SQLite default is created from the models directly: aerich's files
hold dialect-specific SQL, and a first-run database has no history to migrate.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote, urlsplit

import asyncmy
from aerich import Command
from tortoise import Tortoise

from payout_service.infrastructure.db.database import open_database, tortoise_config
from payout_service.infrastructure.settings import Settings

MIGRATIONS_DIR = Path(__file__).resolve().parents[3] / "migrations" / "mysql"
APP = "models"


def aerich_command(settings: Settings, location: Path = MIGRATIONS_DIR) -> Command:
    return Command(tortoise_config(settings), app=APP, location=str(location))


async def apply_migrations(settings: Settings) -> list[str]:
    """Returns the names of the migrations applied now (none on SQLite)."""
    if settings.is_sqlite:
        await open_database(settings)
        await Tortoise.generate_schemas(safe=True)
        return []
    await ensure_database_exists(settings)
    command = aerich_command(settings)
    await command.init()
    return await command.upgrade(run_in_transaction=True)


async def ensure_database_exists(settings: Settings) -> None:
    """Creates the database named in DATABASE_URL when the server does not have it yet."""
    url = urlsplit(settings.database_url)
    name = url.path.lstrip("/")
    connection = await asyncmy.connect(
        host=url.hostname or "127.0.0.1",
        port=url.port or 3306,
        user=unquote(url.username or "root"),
        password=unquote(url.password or ""),
    )
    try:
        async with connection.cursor() as cursor:
            await cursor.execute(
                f"CREATE DATABASE IF NOT EXISTS `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"
            )
    finally:
        connection.close()
