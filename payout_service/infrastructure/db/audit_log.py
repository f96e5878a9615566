"""audit_logs: every event, as its transaction wrote it (application.write_events), or as the
books consumer received one an earlier version left to it."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime

from payout_service.application.messages import Envelope
from payout_service.infrastructure.db.outbox import ROWS_PER_INSERT
from payout_service.infrastructure.db.session import SqlSession


class SqlAuditLog:
    def __init__(self, session: SqlSession) -> None:
        self._s = session

    async def append_all(self, envelopes: Sequence[Envelope], now: datetime) -> None:
        """One multi-row INSERT per ROWS_PER_INSERT events, as the outbox writes its rows: a batch
        of 5,000 items audits them all in its own transaction, and SQLite's default build takes
        at most 32,766 values a statement (Debian's takes 250,000).
        An event audited already (message_id is unique) is skipped, not refused: the books
        consumer may be handed an event its transaction audited, or that the audit consumer it
        replaced applied under its own name."""
        for start in range(0, len(envelopes), ROWS_PER_INSERT):
            await self._insert(envelopes[start : start + ROWS_PER_INSERT], now)

    async def _insert(self, envelopes: Sequence[Envelope], now: datetime) -> None:
        d = self._s.dialect
        recorded = d.to_db(now)
        # Not INSERT IGNORE, which would also turn a bad value into a warning.
        skip_audited = (
            " ON CONFLICT (message_id) DO NOTHING"
            if d.is_sqlite
            else " ON DUPLICATE KEY UPDATE message_id = message_id"
        )
        await self._s.execute(
            "INSERT INTO audit_logs (message_id, event_name, aggregate_type, aggregate_id, payload,"
            " request_id, occurred_at, recorded_at) VALUES "
            + ", ".join(["(%s, %s, %s, %s, %s, %s, %s, %s)"] * len(envelopes))
            + skip_audited,
            *(
                value
                for e in envelopes
                for value in (
                    e.message_id,
                    e.event,
                    e.aggregate_type,
                    e.aggregate_id,
                    json.dumps(e.payload, separators=(",", ":")),
                    e.headers.get("request_id"),
                    d.to_db(e.occurred_at),
                    recorded,
                )
            ),
        )
