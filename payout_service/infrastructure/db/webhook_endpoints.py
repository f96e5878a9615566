"""webhook_endpoints: the users' endpoints for their client events."""

from __future__ import annotations

import json
from collections.abc import Collection, Sequence
from typing import Any

from payout_service.domain.client_events import EndpointState, WebhookEndpoint
from payout_service.infrastructure.db.session import Row, SqlSession

_COLUMNS = (
    "id",
    "user_id",
    "url",
    "event_types",
    "description",
    "secret",
    "previous_secret",
    "previous_secret_expires_at",
    "state",
    "failing_since",
    "after_sequence",
    "created_at",
    "updated_at",
)
_SELECT = f"SELECT {', '.join(_COLUMNS)} FROM webhook_endpoints"
_CHANGING = tuple(c for c in _COLUMNS if c not in {"id", "user_id", "after_sequence", "created_at"})


class SqlWebhookEndpoints:
    def __init__(self, session: SqlSession) -> None:
        self._s = session

    async def add(self, endpoint: WebhookEndpoint) -> None:
        row = self._row_of(endpoint)
        await self._s.execute(
            f"INSERT INTO webhook_endpoints ({', '.join(_COLUMNS)})"
            f" VALUES ({', '.join(['%s'] * len(_COLUMNS))})",
            *(row[c] for c in _COLUMNS),
        )

    async def get(self, endpoint_id: str) -> WebhookEndpoint | None:
        rows = await self._s.rows(f"{_SELECT} WHERE id = %s", endpoint_id)
        return self._to_endpoint(rows[0]) if rows else None

    async def get_for_update(self, endpoint_id: str) -> WebhookEndpoint | None:
        rows = await self._s.rows(
            f"{_SELECT} WHERE id = %s{self._s.dialect.for_update}", endpoint_id
        )
        return self._to_endpoint(rows[0]) if rows else None

    async def list_for_user(self, user_id: int) -> Sequence[WebhookEndpoint]:
        rows = await self._s.rows(f"{_SELECT} WHERE user_id = %s ORDER BY created_at, id", user_id)
        return [self._to_endpoint(r) for r in rows]

    async def receiving(self, user_id: int, event_type: str) -> Sequence[WebhookEndpoint]:
        return [
            e
            for e in await self.list_for_user(user_id)
            if e.state is not EndpointState.DISABLED and e.subscribes_to(event_type)
        ]

    async def users_with_endpoints(
        self, user_ids: Collection[int], *, locking: bool = False
    ) -> set[int]:
        if not user_ids:
            return set()
        rows = await self._s.rows(
            "SELECT DISTINCT user_id FROM webhook_endpoints"
            f" WHERE user_id IN ({', '.join(['%s'] * len(user_ids))}) AND state <> %s"
            + (self._s.dialect.for_share if locking else ""),
            *user_ids,
            str(EndpointState.DISABLED),
        )
        return {int(r["user_id"]) for r in rows}

    async def update(self, endpoint: WebhookEndpoint) -> None:
        row = self._row_of(endpoint)
        sets = ", ".join(f"{c} = %s" for c in _CHANGING)
        await self._s.execute(
            f"UPDATE webhook_endpoints SET {sets} WHERE id = %s",
            *(row[c] for c in _CHANGING),
            endpoint.id,
        )

    async def delete(self, endpoint_id: str) -> None:
        """The endpoint, and its deliveries and their attempts with it."""
        await self._s.execute(
            "DELETE FROM webhook_delivery_attempts WHERE delivery_id IN"
            " (SELECT id FROM webhook_deliveries WHERE endpoint_id = %s)",
            endpoint_id,
        )
        await self._s.execute("DELETE FROM webhook_deliveries WHERE endpoint_id = %s", endpoint_id)
        await self._s.execute("DELETE FROM webhook_endpoints WHERE id = %s", endpoint_id)

    async def count_by_state(self) -> dict[str, int]:
        rows = await self._s.rows(
            "SELECT state, COUNT(*) AS n FROM webhook_endpoints GROUP BY state"
        )
        counts = {str(state): 0 for state in EndpointState}
        counts.update({r["state"]: int(r["n"]) for r in rows})
        return counts

    def _row_of(self, e: WebhookEndpoint) -> dict[str, Any]:
        d = self._s.dialect
        return {
            "id": e.id,
            "user_id": e.user_id,
            "url": e.url,
            "event_types": json.dumps(list(e.event_types)),
            "description": e.description,
            "secret": e.secret,
            "previous_secret": e.previous_secret,
            "previous_secret_expires_at": d.to_db(e.previous_secret_expires_at),
            "state": str(e.state),
            "failing_since": d.to_db(e.failing_since),
            "after_sequence": e.after_sequence,
            "created_at": d.to_db(e.created_at),
            "updated_at": d.to_db(e.updated_at),
        }

    def _to_endpoint(self, r: Row) -> WebhookEndpoint:
        d = self._s.dialect
        created_at, updated_at = d.from_db(r["created_at"]), d.from_db(r["updated_at"])
        assert created_at is not None and updated_at is not None
        return WebhookEndpoint(
            id=r["id"],
            user_id=int(r["user_id"]),
            url=r["url"],
            event_types=tuple(json.loads(r["event_types"])),
            description=r["description"],
            secret=r["secret"],
            created_at=created_at,
            updated_at=updated_at,
            after_sequence=int(r["after_sequence"]),
            state=EndpointState(r["state"]),
            previous_secret=r["previous_secret"],
            previous_secret_expires_at=d.from_db(r["previous_secret_expires_at"]),
            failing_since=d.from_db(r["failing_since"]),
        )
