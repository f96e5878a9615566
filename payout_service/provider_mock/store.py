"""SqlitePayoutStore: the mock provider's payouts in one SQLite file, so its truth survives its
own restart (MOCK_PROVIDER_DB_PATH).

Every write commits before it returns: a payout is saved before the provider answers that it
took it, and each status change before it is announced. The idempotency key and the reference
are unique in the file as they are in memory. The stdlib driver blocks the event loop for the
length of one small write, which a mock can afford; it also makes a check-then-accept atomic.

A success's draw of whether it comes back is saved with the success (returns_at), so a restart
neither loses a return nor invents one. A file from before failure codes and returns gains their
columns when opened.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime
from pathlib import Path

from payout_service.provider_mock.payouts import MockPayout

_SCHEMA = """
CREATE TABLE IF NOT EXISTS mock_payouts (
    provider_payout_id TEXT PRIMARY KEY,
    idempotency_key TEXT NOT NULL UNIQUE,
    reference TEXT NOT NULL UNIQUE,
    request TEXT NOT NULL,
    status TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    failure_code TEXT,
    returns_at TEXT
)
"""
# Columns added after the first files were written, each added to an older file when it opens.
_LATER_COLUMNS = {"failure_code": "TEXT", "returns_at": "TEXT"}
_COLUMNS = (
    "provider_payout_id, idempotency_key, reference, request, status, created_at, updated_at,"
    " failure_code, returns_at"
)
_CHANGING = ("status", "updated_at", "failure_code", "returns_at")


class SqlitePayoutStore:
    """path: the SQLite file, created with its directory if missing."""

    def __init__(self, path: str) -> None:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path, isolation_level=None)
        self._db.execute(_SCHEMA)
        present = {row[1] for row in self._db.execute("PRAGMA table_info(mock_payouts)")}
        for name, kind in _LATER_COLUMNS.items():
            if name not in present:
                self._db.execute(f"ALTER TABLE mock_payouts ADD COLUMN {name} {kind}")

    def load(self) -> list[MockPayout]:
        rows = self._db.execute(f"SELECT {_COLUMNS} FROM mock_payouts ORDER BY created_at")
        return [
            MockPayout(
                provider_payout_id=row[0],
                idempotency_key=row[1],
                request=json.loads(row[3]),
                status=row[4],
                created_at=datetime.fromisoformat(row[5]),
                updated_at=datetime.fromisoformat(row[6]),
                failure_code=row[7],
                returns_at=datetime.fromisoformat(row[8]) if row[8] else None,
            )
            for row in rows
        ]

    def save(self, payout: MockPayout) -> None:
        """Inserts a new payout, or records the status (and what came with it) of a known one."""
        updates = ", ".join(f"{name} = excluded.{name}" for name in _CHANGING)
        self._db.execute(
            f"INSERT INTO mock_payouts ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
            f" ON CONFLICT (provider_payout_id) DO UPDATE SET {updates}",
            (
                payout.provider_payout_id,
                payout.idempotency_key,
                payout.reference,
                json.dumps(payout.request),
                payout.status,
                payout.created_at.isoformat(),
                payout.updated_at.isoformat(),
                payout.failure_code,
                payout.returns_at.isoformat() if payout.returns_at else None,
            ),
        )

    def close(self) -> None:
        self._db.close()
