"""The aerich migrations and the Tortoise models describe the same MariaDB schema."""

from __future__ import annotations

import shutil
import uuid
from collections import defaultdict
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import asyncmy
import pytest
from tortoise import Tortoise

from payout_service.infrastructure.db.database import close_database, open_database
from payout_service.infrastructure.db.migrations import (
    MIGRATIONS_DIR,
    aerich_command,
    apply_migrations,
    ensure_database_exists,
)
from payout_service.infrastructure.settings import Settings

Schema = dict[str, Any]


async def server_query(server_url: str, statement: str, *values: Any) -> list[tuple[Any, ...]]:
    parts = urlsplit(server_url)
    connection = await asyncmy.connect(
        host=parts.hostname,
        port=parts.port or 3306,
        user=unquote(parts.username or ""),
        password=unquote(parts.password or ""),
        autocommit=True,
    )
    try:
        async with connection.cursor() as cursor:
            await cursor.execute(statement, values or None)
            return list(await cursor.fetchall())
    finally:
        connection.close()


@pytest.fixture
async def new_database(mysql_server_url: str) -> AsyncIterator[Callable[[str], Settings]]:
    """Settings naming brand-new databases on the test server; all dropped afterwards."""
    # aerich reuses an open Tortoise instead of connecting to the database it is given.
    await close_database()
    base = mysql_server_url.rpartition("/")[0]
    names: list[str] = []

    def new(purpose: str) -> Settings:
        names.append(f"payouts_{purpose}_{uuid.uuid4().hex[:8]}")
        return Settings(database_url=f"{base}/{names[-1]}")

    yield new
    await close_database()
    for name in names:
        await server_query(mysql_server_url, f"DROP DATABASE IF EXISTS `{name}`")


async def schema_of(server_url: str, database: str) -> Schema:
    columns = await server_query(
        server_url,
        "SELECT table_name, column_name, column_type, is_nullable FROM information_schema.columns"
        " WHERE table_schema = %s",
        database,
    )
    index_rows = await server_query(
        server_url,
        "SELECT table_name, index_name, non_unique, column_name FROM information_schema.statistics"
        " WHERE table_schema = %s ORDER BY table_name, index_name, seq_in_index",
        database,
    )
    indexes: dict[tuple[str, str, bool], list[str]] = defaultdict(list)
    for table, index, non_unique, column in index_rows:
        indexes[(table, index, not int(non_unique))].append(column)
    return {
        "tables": {table for table, *_ in columns},
        "columns": {(t, c, kind.lower(), nullable) for t, c, kind, nullable in columns},
        # Index names are generated; what matters is which columns, in order, and uniqueness.
        "indexes": {(t, unique, tuple(cols)) for (t, _, unique), cols in indexes.items()},
    }


def database_name(settings: Settings) -> str:
    return urlsplit(settings.database_url).path.lstrip("/")


async def test_migrations_from_empty_build_the_schema_the_models_describe(
    mysql_server_url, new_database
):
    # Given one brand-new database migrated by aerich, another created from the models
    migrated, generated = new_database("migrated"), new_database("generated")
    applied = await apply_migrations(migrated)
    await close_database()
    await ensure_database_exists(generated)
    await open_database(generated)
    await Tortoise.generate_schemas()
    await close_database()
    # When their schemas are read from information_schema
    from_migrations = await schema_of(mysql_server_url, database_name(migrated))
    from_models = await schema_of(mysql_server_url, database_name(generated))
    # Then every migration ran, and tables, columns and indexes are the same
    assert applied == sorted(p.name for p in (MIGRATIONS_DIR / "models").glob("[0-9]*_*.py"))
    assert {"payouts", "user_accounts", "outbox_messages"} <= from_models["tables"]
    assert from_migrations["tables"] == from_models["tables"]
    assert from_migrations["columns"] == from_models["columns"]
    assert from_migrations["indexes"] == from_models["indexes"]


async def test_aerich_finds_no_model_change_without_a_migration(new_database, tmp_path: Path):
    # Given a database migrated to the latest file, and a scratch copy of the migrations
    migrated = new_database("check")
    await apply_migrations(migrated)  # leaves Tortoise open on it, for aerich below
    location = tmp_path / "migrations"
    shutil.copytree(MIGRATIONS_DIR, location)
    before = sorted(p.name for p in location.rglob("*.py"))
    # When aerich diffs the models against it
    command = aerich_command(migrated, location=location)
    await command.init()
    generated = await command.migrate("check", no_input=True)
    # Then it has nothing to generate
    assert generated == "", f"models changed without a migration: aerich generated {generated}"
    assert sorted(p.name for p in location.rglob("*.py")) == before


async def test_the_payout_column_list_is_the_models_columns(db: Any) -> None:
    """statements.PAYOUT_COLUMNS is the one list the repository's SQL is built from."""
    from payout_service.infrastructure.db import models, statements

    model_columns = set(models.Payout._meta.fields_db_projection.values())
    assert sorted(statements.PAYOUT_COLUMNS) == sorted(model_columns)
