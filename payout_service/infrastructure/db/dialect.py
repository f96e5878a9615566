"""The few places where MySQL/MariaDB and SQLite SQL differ, behind one small object.

Statements are written once with `%s` placeholders (asyncmy's style); SQLite gets `?`.
Timestamps are stored as naive UTC: DATETIME(6) on MySQL, a fixed-width sortable string on SQLite.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache


@dataclass(frozen=True, slots=True)
class Dialect:
    name: str

    @property
    def is_sqlite(self) -> bool:
        return self.name == "sqlite"

    @property
    def for_update(self) -> str:
        # SQLite has no row locks; its transactions are serialised by the single writer instead.
        return "" if self.is_sqlite else " FOR UPDATE"

    @property
    def for_share(self) -> str:
        # MariaDB has no FOR SHARE; MySQL 8 takes both spellings.
        return "" if self.is_sqlite else " LOCK IN SHARE MODE"

    def using_index(self, index: str) -> str:
        """A table's hint to read it by `index`. A locking statement that names many rows needs
        it: on a small table the optimizer may choose to scan instead, and a locking scan locks
        every row it passes, not just those it names."""
        return "" if self.is_sqlite else f" FORCE INDEX ({index})"

    def on_duplicate_key_ignore(self, column: str) -> str:
        """The INSERT's tail that leaves an existing row (same unique key) as it is."""
        if self.is_sqlite:
            return "ON CONFLICT DO NOTHING"
        return f"ON DUPLICATE KEY UPDATE {column} = {column}"

    def sql(self, statement: str) -> str:
        return _qmark(statement) if self.is_sqlite else statement

    def to_db(self, moment: datetime | None) -> datetime | str | None:
        if moment is None:
            return None
        naive = moment.astimezone(UTC).replace(tzinfo=None)
        return naive.strftime("%Y-%m-%d %H:%M:%S.%f") if self.is_sqlite else naive

    def from_db(self, value: datetime | str | None) -> datetime | None:
        if value is None:
            return None
        moment = datetime.fromisoformat(value) if isinstance(value, str) else value
        return moment.replace(tzinfo=UTC)


@lru_cache(maxsize=256)
def _qmark(statement: str) -> str:
    return statement.replace("%s", "?")


MYSQL = Dialect("mysql")
SQLITE = Dialect("sqlite")


def dialect_for_url(database_url: str) -> Dialect:
    return SQLITE if database_url.startswith("sqlite:") else MYSQL
