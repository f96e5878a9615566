"""An outbox row as the relay sees it."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from payout_service.infrastructure.db.dialect import Dialect

COLUMNS = (
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
