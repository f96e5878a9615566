"""Claiming outbox rows so that two relays (or a relay and the web fast path) never publish the
same row at once, and rows of one aggregate go out in the order they were written.

MySQL/MariaDB: `SELECT ... FOR UPDATE SKIP LOCKED` inside one transaction that stays open while
the rows are published and is committed with their new status; a crash rolls the claim back.
SQLite has no row locks and Tortoise ignores select_for_update there, so a claim is a lease:
one conditional UPDATE stamps `claimed_by`/`claimed_until`, and only the holder may mark the
rows; an expired lease (the holder died) makes them claimable again.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from payout_service.infrastructure.db.outbox import OUTBOX_COLUMNS, OutboxRow
from payout_service.infrastructure.db.session import SqlSession
from payout_service.infrastructure.db.unit_of_work import SqlUnitOfWorkFactory

# An earlier unpublished row of the same aggregate holds back the later ones; a dead one too,
# until an operator retries it (`outbox retry-dead`), or its aggregate's events would go out of
# order. So one pass takes at most one row of an aggregate: the relay goes again at once.
_IN_ORDER = (
    " AND NOT EXISTS (SELECT 1 FROM outbox_messages e WHERE e.aggregate_id = o.aggregate_id"
    " AND e.status IN ('pending', 'dead') AND e.id < o.id)"
)


@dataclass
class Outcome:
    published: list[int] = field(default_factory=list)
    failed: dict[int, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ClaimPolicy:
    """`min_age`: a pass over the whole outbox skips rows younger than this (the fast path's);
    a claim of named rows (the fast path's own) takes them at once."""

    batch_size: int
    max_attempts: int
    lease: timedelta
    owner: str
    min_age: timedelta = timedelta(0)


def _selection(message_ids: Sequence[str] | None) -> tuple[str, list[Any]]:
    if not message_ids:
        return "", []
    return f" AND o.message_id IN ({', '.join(['%s'] * len(message_ids))})", list(message_ids)


@asynccontextmanager
async def claim_rows(
    uow: SqlUnitOfWorkFactory,
    policy: ClaimPolicy,
    now: datetime,
    ids: Sequence[str] | None = None,
) -> AsyncIterator[tuple[list[OutboxRow], Outcome]]:
    """Yields the claimed rows and an Outcome to fill; marks the rows on leaving."""
    outcome = Outcome()
    ready_by = now if ids else now - policy.min_age
    async with uow() as tx:
        if tx.session.dialect.is_sqlite:
            rows = await _lease(tx.session, policy, now, ready_by, ids)
            await tx.commit()
        else:
            rows = await _lock(tx.session, policy, ready_by, ids)
            if not rows:
                yield [], outcome
                return
            yield rows, outcome
            await _mark_published(tx.session, policy, rows, outcome, now)
            await tx.commit()
            return
    if not rows:
        yield [], outcome
        return
    yield rows, outcome
    async with uow() as tx:
        await _mark_published(
            tx.session, policy, rows, outcome, now, guard=(" AND claimed_by = %s", [policy.owner])
        )
        await tx.commit()


async def _lock(
    s: SqlSession, policy: ClaimPolicy, ready_by: datetime, ids: Sequence[str] | None
) -> list[OutboxRow]:
    only, values = _selection(ids)
    found = await s.rows(
        f"SELECT {_prefixed(OUTBOX_COLUMNS)} FROM outbox_messages o WHERE o.status = 'pending'"
        f" AND o.available_at <= %s{only}{_IN_ORDER} ORDER BY o.id LIMIT %s"
        " FOR UPDATE SKIP LOCKED",
        s.dialect.to_db(ready_by),
        *values,
        policy.batch_size,
    )
    return [OutboxRow.from_db(r, s.dialect) for r in found]


async def _lease(
    s: SqlSession,
    policy: ClaimPolicy,
    now: datetime,
    ready_by: datetime,
    ids: Sequence[str] | None,
) -> list[OutboxRow]:
    only, values = _selection(ids)
    moment = s.dialect.to_db(now)
    until = s.dialect.to_db(now + policy.lease)
    await s.execute(
        "UPDATE outbox_messages SET claimed_by = %s, claimed_until = %s WHERE id IN ("
        " SELECT o.id FROM outbox_messages o WHERE o.status = 'pending' AND o.available_at <= %s"
        f" AND (o.claimed_until IS NULL OR o.claimed_until < %s){only}{_IN_ORDER}"
        " ORDER BY o.id LIMIT %s)",
        policy.owner,
        until,
        s.dialect.to_db(ready_by),
        moment,
        *values,
        policy.batch_size,
    )
    found = await s.rows(
        f"SELECT {OUTBOX_COLUMNS} FROM outbox_messages WHERE claimed_by = %s AND claimed_until = %s"
        " AND status = 'pending' ORDER BY id",
        policy.owner,
        until,
    )
    return [OutboxRow.from_db(r, s.dialect) for r in found]


async def _mark_published(
    s: SqlSession,
    policy: ClaimPolicy,
    rows: list[OutboxRow],
    outcome: Outcome,
    now: datetime,
    guard: tuple[str, list[Any]] = ("", []),
) -> None:
    """`guard`: a condition (and its values) every row must still meet to be marked: under a
    lease, still ours; unclaimed, still pending. A row lock needs none."""
    moment = s.dialect.to_db(now)
    mine, owner = guard
    if outcome.published:
        marks = ", ".join(["%s"] * len(outcome.published))
        await s.execute(
            "UPDATE outbox_messages SET status = 'published', published_at = %s,"
            f" claimed_by = NULL, claimed_until = NULL WHERE id IN ({marks}){mine}",
            moment,
            *outcome.published,
            *owner,
        )
    by_id = {r.id: r for r in rows}
    for row_id, error in outcome.failed.items():
        attempts = by_id[row_id].attempts + 1
        status = "dead" if attempts >= policy.max_attempts else "pending"
        retry_at = s.dialect.to_db(now + _backoff(attempts))
        await s.execute(
            "UPDATE outbox_messages SET status = %s, attempts = %s, last_error = %s,"
            " available_at = %s, claimed_by = NULL, claimed_until = NULL WHERE id = %s" + mine,
            status,
            attempts,
            error[:2000],
            retry_at,
            row_id,
            *owner,
        )


async def mark_unclaimed(
    uow: SqlUnitOfWorkFactory,
    policy: ClaimPolicy,
    rows: list[OutboxRow],
    outcome: Outcome,
    now: datetime,
) -> None:
    """Settles rows published without a claim (the fast path's opening rows), as a claim's are
    marked, but only while they are still pending: a row a relay has meanwhile taken over is
    left for that relay to mark."""
    async with uow() as tx:
        await _mark_published(
            tx.session, policy, rows, outcome, now, guard=(" AND status = 'pending'", [])
        )
        await tx.commit()


def _backoff(attempts: int) -> timedelta:
    """0.5 s, 1 s, 2 s ... capped at 5 minutes between publish attempts of one row."""
    return timedelta(seconds=min(300.0, 0.5 * 2 ** (attempts - 1)))


def _prefixed(columns: str) -> str:
    return ", ".join(f"o.{c.strip()}" for c in columns.split(","))
