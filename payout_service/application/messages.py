"""The envelope every consumer receives: one outbox row, as published."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass(frozen=True, slots=True)
class Envelope:
    message_id: str
    event: str
    aggregate_type: str
    aggregate_id: str
    payload: dict[str, Any]
    headers: dict[str, str]
    occurred_at: datetime

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Envelope:
        return cls(
            message_id=str(data["message_id"]),
            event=str(data["event"]),
            aggregate_type=str(data["aggregate_type"]),
            aggregate_id=str(data["aggregate_id"]),
            payload=dict(data["payload"]),
            headers={str(k): str(v) for k, v in dict(data.get("headers") or {}).items()},
            occurred_at=datetime.fromisoformat(data["occurred_at"]),
        )
