"""client_events: the public event log, numbered per user under the lock of the user's counter
(user_event_sequences)."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from typing import Any

from payout_service.application.ports import NewClientEvent
from payout_service.domain.client_events import ClientEvent, EndpointState, new_event_id
from payout_service.infrastructure.db import statements as sql
from payout_service.infrastructure.db.session import Row, SqlSession
from payout_service.infrastructure.db.webhook_endpoints import SqlWebhookEndpoints

# More users than this in one transaction: their counters are moved on together (three
# statements), not one statement each.
_ONE_BY_ONE = 3
EVENTS_PER_INSERT = 500  # rows per multi-row INSERT (a batch writes thousands)
_COLUMNS = "event_id, type, user_id, sequence, payout_id, payout_version, created_at, data"


class SqlClientEventLog:
    def __init__(self, session: SqlSession) -> None:
        self._s = session

    async def append(self, new: Sequence[NewClientEvent], now: datetime) -> Sequence[ClientEvent]:
        return await self._append(new, now, self._take)

    async def append_heard(self, new: Sequence[NewClientEvent], now: datetime) -> set[int]:
        users = sorted({n.user_id for n in new})
        if self._s.dialect.is_sqlite:  # its one writer keeps the endpoints as they are
            await self.append(new, now)
            return await SqlWebhookEndpoints(self._s).users_with_endpoints(users, locking=True)
        if len(users) > _ONE_BY_ONE:
            return await self._append_heard_together(new, now, users)
        # MySQL: each user's counter answers for the user's endpoints too, a statement fewer
        # per transaction; a counter created now answers nothing, and is asked after.
        heard: set[int] = set()
        created: list[int] = []

        async def take_heard(user_id: int, count: int) -> int:
            answer = await self._s.insert(
                sql.TAKE_EVENT_SEQUENCES_HEARD,
                user_id,
                count,
                user_id,
                str(EndpointState.DISABLED),
            )
            if not answer:
                created.append(user_id)
                return count
            if answer % 2:
                heard.add(user_id)
            return answer // 2

        await self._append(new, now, take_heard)
        endpoints = SqlWebhookEndpoints(self._s)
        return heard | await endpoints.users_with_endpoints(created, locking=True)

    async def _append_heard_together(
        self, new: Sequence[NewClientEvent], now: datetime, users: list[int]
    ) -> set[int]:
        """append_heard of many users' events in three statements, not one per user: every
        counter moved on (and locked, in user order) by one upsert, read back under the lock it
        holds, and then the endpoints read under lock, as one user's statement reads them."""
        counts = {user_id: len(theirs) for user_id, theirs in _by_user(new).items()}
        await self._s.execute(
            "INSERT INTO user_event_sequences (user_id, last_sequence) VALUES "
            + ", ".join(["(%s, %s)"] * len(users))
            + " ON DUPLICATE KEY UPDATE last_sequence = last_sequence + VALUES(last_sequence)",
            *(value for user_id in users for value in (user_id, counts[user_id])),
        )
        rows = await self._s.rows(
            "SELECT user_id, last_sequence FROM user_event_sequences"
            + self._s.dialect.using_index("PRIMARY")
            + f" WHERE user_id IN ({', '.join(['%s'] * len(users))})"
            + self._s.dialect.for_update,
            *users,
        )
        last = {int(r["user_id"]): int(r["last_sequence"]) for r in rows}

        async def taken(user_id: int, count: int) -> int:
            return last[user_id]

        await self._append(new, now, taken)
        return await SqlWebhookEndpoints(self._s).users_with_endpoints(users, locking=True)

    async def _append(
        self,
        new: Sequence[NewClientEvent],
        now: datetime,
        take: Callable[[int, int], Awaitable[int]],
    ) -> Sequence[ClientEvent]:
        """`take(user_id, count)` moves the user's counter on by `count` and returns the new
        last sequence."""
        if not new:
            return []
        numbered = []
        for user_id, theirs in _by_user(new).items():
            last = await take(user_id, len(theirs))
            first = last - len(theirs) + 1
            numbered += [
                ClientEvent(
                    n.event_id or new_event_id(),
                    n.type,
                    user_id,
                    first + i,
                    n.payout_id,
                    n.payout_version,
                    now,
                    n.data,
                )
                for i, n in enumerate(theirs)
            ]
        moment = self._s.dialect.to_db(now)
        for start in range(0, len(numbered), EVENTS_PER_INSERT):
            chunk = numbered[start : start + EVENTS_PER_INSERT]
            values: list[Any] = []
            for e in chunk:
                values += [
                    e.id,
                    e.type,
                    e.user_id,
                    e.sequence,
                    e.payout_id,
                    e.payout_version,
                    moment,
                    json.dumps(e.data, separators=(",", ":")),
                ]
            rows = ", ".join(["(%s, %s, %s, %s, %s, %s, %s, %s)"] * len(chunk))
            await self._s.execute(f"INSERT INTO client_events ({_COLUMNS}) VALUES {rows}", *values)
        return numbered

    async def _take(self, user_id: int, count: int) -> int:
        """Moves the user's counter on by `count`, creating it at the user's first event (its
        row stays locked until the transaction ends), and returns the new last sequence: one
        statement, where an upsert and a read of the counter were two."""
        if self._s.dialect.is_sqlite:
            rows = await self._s.rows(
                "INSERT INTO user_event_sequences (user_id, last_sequence) VALUES (%s, %s)"
                " ON CONFLICT (user_id)"
                " DO UPDATE SET last_sequence = last_sequence + excluded.last_sequence"
                " RETURNING last_sequence",
                user_id,
                count,
            )
            return int(rows[0]["last_sequence"])
        return await self._s.insert(sql.TAKE_EVENT_SEQUENCES, user_id, count) or count

    async def last_sequence(self, user_id: int) -> int:
        rows = await self._s.rows(
            "SELECT last_sequence FROM user_event_sequences WHERE user_id = %s"
            + self._s.dialect.for_update,
            user_id,
        )
        return int(rows[0]["last_sequence"]) if rows else 0

    async def page(
        self,
        user_id: int,
        after_sequence: int,
        limit: int,
        event_type: str | None = None,
        payout_id: str | None = None,
    ) -> Sequence[ClientEvent]:
        where = ["user_id = %s", "sequence > %s"]
        values: list[Any] = [user_id, after_sequence]
        if event_type is not None:
            where.append("type = %s")
            values.append(event_type)
        if payout_id is not None:
            where.append("payout_id = %s")
            values.append(payout_id)
        rows = await self._s.rows(
            f"SELECT {_COLUMNS} FROM client_events WHERE {' AND '.join(where)}"
            " ORDER BY sequence LIMIT %s",
            *values,
            limit,
        )
        return [self._to_event(r) for r in rows]

    async def get(self, event_id: str) -> ClientEvent | None:
        rows = await self._s.rows(
            f"SELECT {_COLUMNS} FROM client_events WHERE event_id = %s", event_id
        )
        return self._to_event(rows[0]) if rows else None

    async def of_payout(self, payout_id: str, up_to_version: int) -> Sequence[ClientEvent]:
        rows = await self._s.rows(
            f"SELECT {_COLUMNS} FROM client_events WHERE payout_id = %s AND payout_version <= %s"
            " ORDER BY payout_version",
            payout_id,
            up_to_version,
        )
        return [self._to_event(r) for r in rows]

    async def purge(self, created_before: datetime, limit: int) -> int:
        """Deletes up to `limit` of the oldest events created before the moment."""
        rows = await self._s.rows(
            "SELECT id FROM client_events WHERE created_at < %s ORDER BY id LIMIT %s",
            self._s.dialect.to_db(created_before),
            limit,
        )
        ids = [int(r["id"]) for r in rows]
        if not ids:
            return 0
        marks = ", ".join(["%s"] * len(ids))
        return await self._s.execute(f"DELETE FROM client_events WHERE id IN ({marks})", *ids)

    def _to_event(self, r: Row) -> ClientEvent:
        created_at = self._s.dialect.from_db(r["created_at"])
        assert created_at is not None
        version = r["payout_version"]
        return ClientEvent(
            id=r["event_id"],
            type=r["type"],
            user_id=int(r["user_id"]),
            sequence=int(r["sequence"]),
            payout_id=r["payout_id"],
            payout_version=int(version) if version is not None else None,
            created_at=created_at,
            data=json.loads(r["data"]),
        )


def _by_user(new: Sequence[NewClientEvent]) -> dict[int, list[NewClientEvent]]:
    """By user, in user id order: the order a transaction takes their counters in, so two
    transactions of the same users (creates sharing one) never wait for each other's."""
    grouped: dict[int, list[NewClientEvent]] = defaultdict(list)
    for n in new:
        grouped[n.user_id].append(n)
    return dict(sorted(grouped.items()))
