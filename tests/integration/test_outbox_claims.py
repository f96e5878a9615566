"""Claiming outbox rows: concurrent claimers never share a row (SQLite's lease is proven, not
assumed), a dead claimer's lease expires, and an aggregate's events go out in write order."""

from __future__ import annotations

import asyncio
import json
import sys
import uuid
from dataclasses import replace
from datetime import datetime, timedelta

import pytest
import redis

from payout_service.domain.events import DomainEvent
from payout_service.infrastructure.clock import SystemClock
from payout_service.infrastructure.db.unit_of_work import SqlUnitOfWorkFactory
from payout_service.infrastructure.outbox.claims import ClaimPolicy, claim_rows
from payout_service.infrastructure.outbox.status import retry_dead
from payout_service.infrastructure.settings import Settings
from tests.integration.processes import (
    AUDITED_ONLY,
    BrokerKeys,
    audited_events,
    outbox_counts,
    publish_all,
    relay_in_process,
    write_events,
)
from tests.processes import PROJECT_ROOT, Output, free_port, service_environment

ROWS = 1_500
CLAIMERS = 3


class SetClock:
    def __init__(self, now: datetime) -> None:
        self.moment = now

    def now(self) -> datetime:
        return self.moment


def event(aggregate: str, n: int) -> DomainEvent:
    return DomainEvent(AUDITED_ONLY, "payout", aggregate, {"n": n})


def published_order(keys: BrokerKeys) -> list[tuple[str, int]]:
    return [(e["aggregate_id"], e["payload"]["n"]) for e in keys.envelopes()]


def per_aggregate(order: list[tuple[str, int]]) -> dict[str, list[int]]:
    grouped: dict[str, list[int]] = {}
    for aggregate, n in order:
        grouped.setdefault(aggregate, []).append(n)
    return grouped


def unreachable_redis(settings: Settings) -> Settings:
    """A broker URL nothing listens on: every publish fails as it would with Redis down."""
    return replace(settings, redis_url=f"redis://127.0.0.1:{free_port()}/0")


async def test_claimers_in_separate_processes_never_claim_the_same_row(
    outbox_settings: Settings, db: SqlUnitOfWorkFactory
) -> None:
    # Given a backlog and three claimer processes, each with the relay's claim_rows
    await write_events(db, audited_events(ROWS))
    go_key = f"{outbox_settings.broker_namespace}:go"
    env = service_environment(
        DATABASE_URL=outbox_settings.database_url, REDIS_URL=outbox_settings.redis_url
    )
    claimers = [
        await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "tests.integration.claim_probe",
            f"claimer-{i}",
            "5",
            go_key,
            env=env,
            cwd=PROJECT_ROOT,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        for i in range(CLAIMERS)
    ]
    outputs = [Output(c) for c in claimers]
    try:
        for output in outputs:
            await output.wait_for("ready")

        # When they are let go at the same moment and claim batches of 5 until none is left
        client = redis.Redis.from_url(outbox_settings.redis_url)
        client.rpush(go_key, *["go"] * CLAIMERS)
        client.close()
        for claimer in claimers:
            await asyncio.wait_for(claimer.wait(), 60)
    finally:
        for claimer in claimers:
            if claimer.returncode is None:
                claimer.kill()
                await claimer.wait()
    for output in outputs:
        await output.closed()

    # Then every row was claimed exactly once. On MariaDB they also ran side by side (two shares
    # at least); SQLite's busy handler can hand one writer every turn, so there the proof is that
    # three processes contending from the same instant never claimed a row twice.
    claimed = [
        json.loads(next(line for line in output.lines if line.startswith("[")))
        for output in outputs
    ]
    everything = [row_id for ids in claimed for row_id in ids]
    assert len(everything) == len(set(everything)) == ROWS
    sharers = sum(1 for ids in claimed if ids)
    assert sharers >= (1 if outbox_settings.is_sqlite else 2), [len(i) for i in claimed]
    assert await outbox_counts(db) == {"published": ROWS}


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_sqlite_lease_of_a_dead_claimer_holds_until_it_expires(
    outbox_settings: Settings, db: SqlUnitOfWorkFactory
) -> None:
    # Given rows leased for 30 s by a claimer that died before settling them
    await write_events(db, audited_events(3))
    start = SystemClock().now() + timedelta(seconds=1)
    dead = ClaimPolicy(10, max_attempts=10, lease=timedelta(seconds=30), owner="dead")
    with pytest.raises(RuntimeError):
        async with claim_rows(db, dead, start) as (rows, _):
            assert len(rows) == 3
            raise RuntimeError("killed between claim and settle")

    # When another claimer tries within the lease, and again after it
    other = replace(dead, owner="other")
    async with claim_rows(db, other, start + timedelta(seconds=29)) as (within, _):
        pass
    async with claim_rows(db, other, start + timedelta(seconds=31)) as (after, outcome):
        outcome.published.extend(row.id for row in after)

    # Then it got nothing while the lease held, and all three rows once it had expired
    assert within == []
    assert len(after) == 3
    assert await outbox_counts(db) == {"published": 3}


async def test_an_aggregates_events_are_published_in_write_order_through_failures(
    outbox_settings: Settings, db: SqlUnitOfWorkFactory, broker_keys: BrokerKeys
) -> None:
    # Given interleaved events of two aggregates
    await write_events(
        db, [event("A", 1), event("B", 1), event("A", 2), event("B", 2), event("A", 3)]
    )
    clock = SetClock(SystemClock().now() + timedelta(seconds=1))

    # When the first publish fails (Redis unreachable) and each first event waits its backoff
    down = relay_in_process(db, unreachable_redis(outbox_settings), clock=clock)
    up = relay_in_process(db, outbox_settings, clock=clock)
    assert await down.publish_pending() == 0
    clock.moment += timedelta(seconds=0.1)
    held_back = await publish_all(up)
    # And then the backoff passes
    clock.moment += timedelta(seconds=1)
    published = await publish_all(up)

    # Then nothing of either aggregate overtook its failed first event, and all went in order
    assert held_back == 0
    assert published == 5
    assert per_aggregate(published_order(broker_keys)) == {"A": [1, 2, 3], "B": [1, 2]}


async def test_a_claimed_row_holds_back_its_aggregates_later_rows_from_another_claimer(
    outbox_settings: Settings, db: SqlUnitOfWorkFactory, broker_keys: BrokerKeys
) -> None:
    # Given A1, A2 and B1, and one relay holding a claim on A1 (a lock on MySQL, a lease on
    # SQLite) while it publishes
    first_a, _, _ = await write_events(db, [event("A", 1), event("A", 2), event("B", 1)])
    holder = relay_in_process(db, outbox_settings, owner="holder")
    other = relay_in_process(db, outbox_settings, owner="other")
    policy = ClaimPolicy(10, 10, timedelta(seconds=30), owner=f"holder-{uuid.uuid4().hex[:6]}")

    go = asyncio.Event()

    async def other_pass() -> int:
        await go.wait()
        return await other.publish_pending()

    # (a task made before the claim: inside it, Tortoise would nest the pass in the claim's
    # transaction, on the same connection)
    during = asyncio.create_task(other_pass())
    async with claim_rows(db, policy, SystemClock().now(), [first_a]) as (rows, outcome):
        assert [r.message_id for r in rows] == [first_a]
        # When another relay runs a pass meanwhile
        go.set()
        await during
        outcome.published.extend(r.id for r in rows)
    after = await publish_all(holder)

    # Then it published B1 only: A1 is claimed, and A2 waits for it
    assert (during.result(), after) == (1, 1)
    assert per_aggregate(published_order(broker_keys)) == {"B": [1], "A": [2]}
    assert await outbox_counts(db) == {"published": 3}


async def test_a_dead_row_holds_back_its_aggregate_until_retried(
    outbox_settings: Settings, db: SqlUnitOfWorkFactory, broker_keys: BrokerKeys
) -> None:
    # Given A1 and A2, and A1 dead after its only allowed publish attempt failed
    await write_events(db, [event("A", 1), event("A", 2)])
    settings = replace(outbox_settings, relay_max_attempts=1)
    assert await relay_in_process(db, unreachable_redis(settings)).publish_pending() == 0
    assert await outbox_counts(db) == {"dead": 1, "pending": 1}

    # When Redis is back: a relay pass, then an operator's retry and another pass
    before_retry = await publish_all(relay_in_process(db, settings))
    retried = await retry_dead(db, SystemClock().now(), None)
    after_retry = await publish_all(relay_in_process(db, settings))

    # Then A2 waited for A1, and both went out in order
    assert (before_retry, retried, after_retry) == (0, 1, 2)
    assert per_aggregate(published_order(broker_keys)) == {"A": [1, 2]}


async def test_a_relay_pass_leaves_young_rows_to_the_fast_path(
    outbox_settings: Settings, db: SqlUnitOfWorkFactory, broker_keys: BrokerKeys
) -> None:
    # Given a relay that leaves rows younger than 1 s alone, and two rows just committed
    settings = replace(outbox_settings, relay_min_age_ms=1_000)
    first, _ = await write_events(db, audited_events(2))
    clock = SetClock(SystemClock().now() + timedelta(milliseconds=100))
    relay = relay_in_process(db, settings, clock=clock)

    # When it runs a pass over the outbox, the fast path claims the first row by name, and
    # the relay runs again once the rows are older than a second
    young = await relay.publish_pending()
    fast_path = await relay.publish_pending([first])
    clock.moment += timedelta(seconds=1)
    old = await relay.publish_pending()

    # Then the pass skipped both, the fast path took its row at once, and the relay the other
    assert (young, fast_path, old) == (0, 1, 1)
    assert len(broker_keys.envelopes()) == 2


async def test_a_relay_pass_holding_its_claim_does_not_hide_fresh_rows_from_the_fast_path(
    outbox_settings: Settings, db: SqlUnitOfWorkFactory
) -> None:
    # Given rows old enough for the relay's pass and two rows just committed
    ten_seconds_ago = SystemClock().now() - timedelta(seconds=10)
    old = await write_events(db, [event(f"old-{n}", n) for n in range(3)], at=ten_seconds_ago)
    fresh = await write_events(db, [event(f"fresh-{n}", n) for n in range(2)])
    claims = db.read_committed()
    relay = ClaimPolicy(100, 10, timedelta(seconds=30), owner="relay", min_age=timedelta(seconds=1))
    fast_path = ClaimPolicy(100, 10, timedelta(seconds=30), owner="fast-path")
    go = asyncio.Event()
    claimed_by_fast_path: list[str] = []
    fast_path_has_its_rows = asyncio.Event()

    async def fast_path_claim() -> None:
        await go.wait()
        async with claim_rows(claims, fast_path, SystemClock().now(), fresh) as (rows, outcome):
            claimed_by_fast_path.extend(r.message_id for r in rows)
            fast_path_has_its_rows.set()
            outcome.published.extend(r.id for r in rows)

    # When the fast path claims its rows by name while the relay's pass holds its claim (on
    # MySQL, a SKIP LOCKED scan whose transaction is still open)
    during = asyncio.create_task(fast_path_claim())  # made before the claim: see above
    # The pass waits for the fast path's claim, not for its marking: a pass holds its claim only
    # while it publishes, and waiting here for the fast path's marking as well made a cycle out of
    # any lock the marking might wait for (the test failed after the 50 s lock wait, now and then)
    async with claim_rows(claims, relay, SystemClock().now()) as (rows, outcome):
        go.set()
        await asyncio.wait_for(fast_path_has_its_rows.wait(), 10)
        outcome.published.extend(r.id for r in rows)
    await during

    # Then each took its own rows, the fast path while the pass held its claim
    assert sorted(r.message_id for r in rows) == sorted(old)
    assert sorted(claimed_by_fast_path) == sorted(fresh)
    assert await outbox_counts(db) == {"published": 5}
