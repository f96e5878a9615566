"""outbox_messages: the events each transaction wrote, as rows a relay publishes later.

SqlOutbox writes them inside the unit of work; OutboxRow is how the relay, the claims and the
fast path see a row.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from payout_service.application.event_routes import OPENING_EVENTS
from payout_service.domain.events import DomainEvent
from payout_service.infrastructure.db import statements as sql
from payout_service.infrastructure.db.dialect import Dialect
from payout_service.infrastructure.db.session import SqlSession

OUTBOX_COLUMNS = (
    "id, message_id, event_name, aggregate_type, aggregate_id, payload, headers, attempts,"
    " created_at"
)


@dataclass(frozen=True, slots=True)
class OutboxRow:
    id: int
    message_id: str
    event_name: str
    aggregate_type: str
    aggregate_id: str
    payload: dict[str, Any]
    headers: dict[str, str]
    attempts: int
    created_at: datetime

    @classmethod
    def from_db(cls, row: Any, dialect: Dialect) -> OutboxRow:
        created_at = dialect.from_db(row["created_at"])
        assert created_at is not None
        return cls(
            id=int(row["id"]),
            message_id=row["message_id"],
            event_name=row["event_name"],
            aggregate_type=row["aggregate_type"],
            aggregate_id=row["aggregate_id"],
            payload=json.loads(row["payload"]),
            headers=json.loads(row["headers"]),
            attempts=int(row["attempts"]),
            created_at=created_at,
        )


ROWS_PER_INSERT = 500


def _opening_row(
    row_id: int, message_id: str, event: DomainEvent, headers: dict[str, str], now: datetime
) -> OutboxRow:
    """An opening event's row as written, for the fast path to publish without reading it."""
    return OutboxRow(
        id=row_id,
        message_id=message_id,
        event_name=event.name,
        aggregate_type=event.aggregate_type,
        aggregate_id=event.aggregate_id,
        payload=dict(event.payload),
        headers=dict(headers),
        attempts=0,
        created_at=now,
    )


class SqlOutbox:
    """`written`: the message ids this transaction wrote; `opening`: its rows of OPENING_EVENTS,
    whole, which the fast path publishes without reading them back."""

    def __init__(self, session: SqlSession) -> None:
        self._s = session
        self.written: list[str] = []
        self.opening: list[OutboxRow] = []

    async def add(self, event: DomainEvent, headers: dict[str, str], now: datetime) -> str:
        d = self._s.dialect
        message_id = str(uuid.uuid4())
        row_id = await self._s.insert(
            sql.INSERT_OUTBOX_MESSAGE,
            message_id,
            event.name,
            event.aggregate_type,
            event.aggregate_id,
            json.dumps(event.payload, separators=(",", ":")),
            json.dumps(headers, separators=(",", ":")),
            d.to_db(now),
            d.to_db(now),
        )
        self.written.append(message_id)
        if event.name in OPENING_EVENTS:
            self.opening.append(_opening_row(row_id, message_id, event, headers, now))
        return message_id

    async def add_all(
        self, dated: Sequence[tuple[DomainEvent, datetime, dict[str, str]]]
    ) -> list[str]:
        """Events and the moment and headers of each, in order: one row alone as add() writes
        it, more in multi-row INSERTs (a batch's items), whose opening rows' ids are read back."""
        if len(dated) == 1:
            event, now, headers = dated[0]
            return [await self.add(event, headers, now)]
        written: list[str] = []
        d = self._s.dialect
        columns, _, row = sql.INSERT_OUTBOX_MESSAGE.partition(" VALUES ")
        for start in range(0, len(dated), ROWS_PER_INSERT):
            chunk = dated[start : start + ROWS_PER_INSERT]
            message_ids = [str(uuid.uuid4()) for _ in chunk]
            values: list[Any] = []
            for message_id, (event, now, headers) in zip(message_ids, chunk, strict=True):
                values += [
                    message_id,
                    event.name,
                    event.aggregate_type,
                    event.aggregate_id,
                    json.dumps(event.payload, separators=(",", ":")),
                    json.dumps(headers, separators=(",", ":")),
                    d.to_db(now),
                    d.to_db(now),
                ]
            await self._s.execute(f"{columns} VALUES {', '.join([row] * len(chunk))}", *values)
            self.written += message_ids
            written += message_ids
            opening = {
                m: dated_event
                for m, dated_event in zip(message_ids, chunk, strict=True)
                if dated_event[0].name in OPENING_EVENTS
            }
            if opening:
                await self._note_opening(opening)
        return written

    async def _note_opening(
        self, written: dict[str, tuple[DomainEvent, datetime, dict[str, str]]]
    ) -> None:
        marks = ", ".join(["%s"] * len(written))
        rows = await self._s.rows(
            f"SELECT id, message_id FROM outbox_messages WHERE message_id IN ({marks})", *written
        )
        ids = {str(r["message_id"]): int(r["id"]) for r in rows}
        for message_id, (event, now, headers) in written.items():
            self.opening.append(_opening_row(ids[message_id], message_id, event, headers, now))

    async def message_id_of(self, aggregate_id: str, event_name: str) -> str | None:
        rows = await self._s.rows(
            "SELECT message_id FROM outbox_messages WHERE aggregate_id = %s AND event_name = %s"
            " ORDER BY id LIMIT 1",
            aggregate_id,
            event_name,
        )
        return str(rows[0]["message_id"]) if rows else None
