"""webhook_deliveries and webhook_delivery_attempts: each client event to each endpoint, until
delivered or given up, with every POST it took.

A chain's next delivery is its lowest pending chain_position (index endpoint_id, chain, status,
chain_position). A claim is one conditional UPDATE of `leased_until`, atomic on MySQL and SQLite
alike, so no row lock is held while the delivery is posted.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from payout_service.application.ports import DeliveryClaim
from payout_service.domain.client_events import (
    ClientEvent,
    Delivery,
    DeliveryAttempt,
    DeliveryStatus,
    delivery_chain,
)
from payout_service.infrastructure.db.client_events import SqlClientEventLog
from payout_service.infrastructure.db.session import Row, SqlSession
from payout_service.infrastructure.db.webhook_endpoints import SqlWebhookEndpoints

_COLUMNS = (
    "id, endpoint_id, event_id, sequence, chain, chain_position, status, attempts,"
    " next_attempt_at, leased_until, last_status_code, last_error, created_at, finished_at"
)
_INSERTED = (
    "endpoint_id, event_id, sequence, chain, chain_position, status, attempts, next_attempt_at,"
    " created_at"
)
_PENDING = DeliveryStatus.PENDING.value
# The chain's lowest pending delivery, for a row `d` of webhook_deliveries.
_IS_HEAD = (
    " AND NOT EXISTS (SELECT 1 FROM webhook_deliveries e WHERE e.endpoint_id = d.endpoint_id"
    " AND e.chain = d.chain AND e.status = 'pending' AND e.chain_position < d.chain_position)"
)
_ERROR_EXCERPT = 500
_REPLAY_PAGE = 500


class SqlWebhookDeliveries:
    def __init__(self, session: SqlSession) -> None:
        self._s = session

    async def list_for_endpoint(
        self, endpoint_id: str, status: DeliveryStatus | None, limit: int, before_id: int | None
    ) -> Sequence[Delivery]:
        where: list[str] = ["endpoint_id = %s"]
        values: list[Any] = [endpoint_id]
        if status is not None:
            where.append("status = %s")
            values.append(str(status))
        if before_id is not None:
            where.append("id < %s")
            values.append(before_id)
        rows = await self._s.rows(
            f"SELECT {_COLUMNS} FROM webhook_deliveries WHERE {' AND '.join(where)}"
            " ORDER BY id DESC LIMIT %s",
            *values,
            limit,
        )
        return await self._with_attempts(rows)

    async def get(self, delivery_id: int) -> Delivery | None:
        rows = await self._s.rows(
            f"SELECT {_COLUMNS} FROM webhook_deliveries WHERE id = %s", delivery_id
        )
        found = await self._with_attempts(rows)
        return found[0] if found else None

    async def retry(self, delivery_id: int, now: datetime) -> None:
        await self._s.execute(
            "UPDATE webhook_deliveries SET status = %s, next_attempt_at = %s, finished_at = NULL"
            " WHERE id = %s",
            _PENDING,
            self._s.dialect.to_db(now),
            delivery_id,
        )

    async def replay(self, endpoint_id: str, after_sequence: int, now: datetime) -> int:
        endpoint = await SqlWebhookEndpoints(self._s).get(endpoint_id)
        if endpoint is None:
            return 0
        log, count, after = SqlClientEventLog(self._s), 0, after_sequence
        while page := await log.page(endpoint.user_id, after, _REPLAY_PAGE):
            after = page[-1].sequence
            wanted = [e for e in page if endpoint.subscribes_to(e.type)]
            existing = await self._existing(endpoint_id, wanted)
            await self._insert(endpoint_id, [e for e in wanted if e.id not in existing], now)
            if existing:
                marks = ", ".join(["%s"] * len(existing))
                await self._s.execute(
                    "UPDATE webhook_deliveries SET status = %s, next_attempt_at = %s,"
                    f" finished_at = NULL WHERE endpoint_id = %s AND event_id IN ({marks})",
                    _PENDING,
                    self._s.dialect.to_db(now),
                    endpoint_id,
                    *existing,
                )
            count += len(wanted)
        return count

    async def add_missing(
        self, endpoint_id: str, events: Sequence[ClientEvent], now: datetime
    ) -> int:
        existing = await self._existing(endpoint_id, events)
        missing = [e for e in events if e.id not in existing]
        await self._insert(endpoint_id, missing, now)
        return len(missing)

    async def due_chains(self, endpoint_id: str, now: datetime, limit: int) -> Sequence[str]:
        moment = self._s.dialect.to_db(now)
        rows = await self._s.rows(
            "SELECT d.chain FROM webhook_deliveries d WHERE d.endpoint_id = %s"
            " AND d.status = 'pending' AND d.next_attempt_at <= %s"
            f" AND (d.leased_until IS NULL OR d.leased_until <= %s){_IS_HEAD}"
            " ORDER BY d.next_attempt_at, d.id LIMIT %s",
            endpoint_id,
            moment,
            moment,
            limit,
        )
        return [str(r["chain"]) for r in rows]

    async def claim_next(
        self, endpoint_id: str, chain: str, now: datetime, lease_until: datetime
    ) -> DeliveryClaim:
        d = self._s.dialect
        rows = await self._s.rows(
            f"SELECT {_COLUMNS} FROM webhook_deliveries WHERE endpoint_id = %s AND chain = %s"
            " AND status = 'pending' ORDER BY chain_position LIMIT 1",
            endpoint_id,
            chain,
        )
        if not rows:
            return DeliveryClaim()
        head = self._to_delivery(rows[0], ())
        leased_until = d.from_db(rows[0]["leased_until"])
        if leased_until is not None and leased_until > now:
            return DeliveryClaim(leased_until=leased_until)
        if head.next_attempt_at > now:
            return DeliveryClaim()
        taken = await self._s.execute(
            "UPDATE webhook_deliveries SET leased_until = %s WHERE id = %s AND status = 'pending'"
            " AND (leased_until IS NULL OR leased_until <= %s)",
            d.to_db(lease_until),
            head.id,
            d.to_db(now),
        )
        if taken != 1:  # another claimer got there between the read and the update
            return DeliveryClaim(leased_until=lease_until)
        return DeliveryClaim(head)

    async def release(self, delivery_id: int) -> None:
        await self._s.execute(
            "UPDATE webhook_deliveries SET leased_until = NULL WHERE id = %s", delivery_id
        )

    async def record_attempt(
        self,
        delivery_id: int,
        attempt: DeliveryAttempt,
        status: DeliveryStatus,
        next_attempt_at: datetime,
    ) -> None:
        d = self._s.dialect
        error = attempt.error[:_ERROR_EXCERPT] if attempt.error else None
        finished = None if status is DeliveryStatus.PENDING else attempt.attempted_at
        await self._s.execute(
            "INSERT INTO webhook_delivery_attempts (delivery_id, attempted_at, status_code,"
            " latency_ms, error) VALUES (%s, %s, %s, %s, %s)",
            delivery_id,
            d.to_db(attempt.attempted_at),
            attempt.status_code,
            attempt.latency_ms,
            error,
        )
        # `status` is assigned last: MySQL evaluates the assignments in order, each seeing
        # the ones before it, and the cases test the status the row had.
        await self._s.execute(
            "UPDATE webhook_deliveries SET attempts = attempts + 1, last_status_code = %s,"
            " last_error = %s, leased_until = NULL,"
            " next_attempt_at = CASE WHEN status = 'pending' THEN %s ELSE next_attempt_at END,"
            " finished_at = CASE WHEN status = 'pending' THEN %s ELSE finished_at END,"
            " status = CASE WHEN status = 'pending' THEN %s ELSE status END WHERE id = %s",
            attempt.status_code,
            error,
            d.to_db(next_attempt_at),
            d.to_db(finished),
            str(status),
            delivery_id,
        )

    async def overdue_endpoints(self, due_before: datetime, limit: int) -> Sequence[str]:
        moment = self._s.dialect.to_db(due_before)
        rows = await self._s.rows(
            "SELECT DISTINCT d.endpoint_id FROM webhook_deliveries d"
            " JOIN webhook_endpoints w ON w.id = d.endpoint_id"
            " WHERE d.status = 'pending' AND d.next_attempt_at < %s"
            " AND (d.leased_until IS NULL OR d.leased_until <= %s) AND w.state <> 'disabled'"
            " ORDER BY d.endpoint_id LIMIT %s",
            moment,
            moment,
            limit,
        )
        return [str(r["endpoint_id"]) for r in rows]

    async def _existing(self, endpoint_id: str, events: Sequence[ClientEvent]) -> set[str]:
        if not events:
            return set()
        marks = ", ".join(["%s"] * len(events))
        rows = await self._s.rows(
            "SELECT event_id FROM webhook_deliveries WHERE endpoint_id = %s"
            f" AND event_id IN ({marks})",
            endpoint_id,
            *(e.id for e in events),
        )
        return {str(r["event_id"]) for r in rows}

    async def _insert(self, endpoint_id: str, events: Sequence[ClientEvent], now: datetime) -> None:
        if not events:
            return
        moment = self._s.dialect.to_db(now)
        values: list[Any] = []
        for event in events:
            chain, position = delivery_chain(event)
            values += [endpoint_id, event.id, event.sequence, chain, position, _PENDING, 0]
            values += [moment, moment]
        rows = ", ".join(["(%s, %s, %s, %s, %s, %s, %s, %s, %s)"] * len(events))
        await self._s.execute(
            f"INSERT INTO webhook_deliveries ({_INSERTED}) VALUES {rows}", *values
        )

    async def _with_attempts(self, rows: Sequence[Row]) -> list[Delivery]:
        if not rows:
            return []
        ids = [int(r["id"]) for r in rows]
        marks = ", ".join(["%s"] * len(ids))
        found = await self._s.rows(
            "SELECT delivery_id, attempted_at, status_code, latency_ms, error"
            f" FROM webhook_delivery_attempts WHERE delivery_id IN ({marks}) ORDER BY id",
            *ids,
        )
        attempts: dict[int, list[DeliveryAttempt]] = defaultdict(list)
        for a in found:
            attempted_at = self._s.dialect.from_db(a["attempted_at"])
            assert attempted_at is not None
            code = a["status_code"]
            attempts[int(a["delivery_id"])].append(
                DeliveryAttempt(
                    attempted_at,
                    int(code) if code is not None else None,
                    int(a["latency_ms"]),
                    a["error"],
                )
            )
        return [self._to_delivery(r, tuple(attempts[int(r["id"])])) for r in rows]

    def _to_delivery(self, r: Row, attempt_log: tuple[DeliveryAttempt, ...]) -> Delivery:
        d = self._s.dialect
        next_attempt_at, created_at = d.from_db(r["next_attempt_at"]), d.from_db(r["created_at"])
        assert next_attempt_at is not None and created_at is not None
        code = r["last_status_code"]
        return Delivery(
            id=int(r["id"]),
            endpoint_id=r["endpoint_id"],
            event_id=r["event_id"],
            sequence=int(r["sequence"]),
            chain=r["chain"],
            chain_position=int(r["chain_position"]),
            status=DeliveryStatus(r["status"]),
            attempts=int(r["attempts"]),
            next_attempt_at=next_attempt_at,
            created_at=created_at,
            last_status_code=int(code) if code is not None else None,
            last_error=r["last_error"],
            finished_at=d.from_db(r["finished_at"]),
            attempt_log=attempt_log,
        )
