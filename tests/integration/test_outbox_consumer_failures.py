"""A consumer that fails is retried with backoff and applies its message once; one that keeps
failing ends in Dramatiq's dead-letter set, and `dead-letters replay` delivers it after the fault
is fixed. Real relay, Redis, `dramatiq` worker (with one test-only actor) and database; the
dead-letter commands run in this process, as cli.py runs them (commands_in_process)."""

from __future__ import annotations

import itertools
from pathlib import Path

from payout_service.infrastructure.broker import build_broker
from payout_service.infrastructure.db.unit_of_work import SqlUnitOfWorkFactory
from payout_service.infrastructure.outbox.publisher import DramatiqPublisher
from payout_service.infrastructure.settings import Settings
from tests.integration.commands_in_process import InProcessCommands
from tests.integration.fault_switch import (
    FLAKY_BOOKS,
    MAX_RETRIES,
    MIN_BACKOFF_MS,
    deliveries_key,
    faults_key,
)
from tests.integration.processes import (
    BrokerKeys,
    audited_events,
    effects,
    environment,
    eventually,
    relay_in_process,
    running_worker,
    write_events,
)

FAULT_WORKER = "tests.integration.fault_actors"
APPLIED_ONCE = {"keep_books": 1, "audit_logs": 1}


async def publish_to_flaky_consumer(
    db: SqlUnitOfWorkFactory, settings: Settings, keys: BrokerKeys, failures: int
) -> str:
    """Commits one event and relays it to the flaky books consumer, which will fail the first
    `failures` deliveries. Returns the event's message id."""
    (message_id,) = await write_events(db, audited_events(1))
    keys.client.set(faults_key(settings.broker_namespace, message_id), failures)
    publisher = DramatiqPublisher(build_broker(settings), routes=lambda _: (FLAKY_BOOKS,))
    assert await relay_in_process(db, settings, publisher=publisher).publish_pending() == 1
    return message_id


def delivery_gaps(keys: BrokerKeys, settings: Settings, message_id: str) -> list[float]:
    key = deliveries_key(settings.broker_namespace, message_id)
    starts = [float(t) for t in keys.client.lrange(key, 0, -1)]
    return [later - earlier for earlier, later in itertools.pairwise(starts)]


async def test_consumer_failing_twice_is_retried_with_backoff_and_applied_once(
    outbox_settings: Settings, db: SqlUnitOfWorkFactory, broker_keys: BrokerKeys, tmp_path: Path
) -> None:
    # Given an event whose consumer fails its first two deliveries
    message_id = await publish_to_flaky_consumer(db, outbox_settings, broker_keys, failures=2)

    # When a worker runs until the queue is empty, and the event is delivered once more later
    async with running_worker(environment(outbox_settings, tmp_path), ["faults"], FAULT_WORKER):
        await eventually(lambda: effects(db), lambda e: e == APPLIED_ONCE, timeout=30)
        await eventually(lambda: broker_keys.drained("faults"), what="the faults queue drained")
        await publish_to_flaky_consumer_again(db, outbox_settings)
        await eventually(lambda: broker_keys.drained("faults"), what="the redelivery consumed")

    # Then it was delivered three times, then once more, waiting at least Dramatiq's backoff
    # between tries (min_backoff * 2^retry, halved by the jitter), and applied once
    gaps = delivery_gaps(broker_keys, outbox_settings, message_id)
    assert len(gaps) == 3, gaps
    for retry, gap in enumerate(gaps[:2]):
        assert gap >= MIN_BACKOFF_MS * 2**retry / 2 / 1000, gaps
    assert await effects(db) == APPLIED_ONCE
    assert broker_keys.dead("faults") == 0


async def publish_to_flaky_consumer_again(db: SqlUnitOfWorkFactory, settings: Settings) -> None:
    async with db() as tx:
        await tx.session.execute("UPDATE outbox_messages SET status = 'pending'")
        await tx.commit()
    publisher = DramatiqPublisher(build_broker(settings), routes=lambda _: (FLAKY_BOOKS,))
    assert await relay_in_process(db, settings, publisher=publisher).publish_pending() == 1


async def test_consumer_that_always_fails_is_dead_lettered_and_replayed_after_the_fix(
    outbox_settings: Settings,
    db: SqlUnitOfWorkFactory,
    broker_keys: BrokerKeys,
    tmp_path: Path,
    commands: InProcessCommands,
) -> None:
    # Given an event whose consumer fails every delivery
    message_id = await publish_to_flaky_consumer(db, outbox_settings, broker_keys, failures=1000)
    env = environment(outbox_settings, tmp_path)
    async with running_worker(env, ["faults"], FAULT_WORKER):
        # When its retries run out
        await eventually(lambda: broker_keys.dead("faults"), lambda n: n == 1, timeout=30)
        while_dead = await effects(db)
        listed = await commands.ok(env, "dead-letters", "list")

        # And the fault is fixed but for one more failure, and an operator replays it
        broker_keys.client.set(faults_key(outbox_settings.broker_namespace, message_id), 1)
        replayed = await commands.ok(env, "dead-letters", "replay", "--all")
        await eventually(lambda: effects(db), lambda e: e == APPLIED_ONCE, timeout=30)

    # Then the list showed it with the error of its last delivery, nothing was applied while it
    # was dead, and the replay had a fresh retry budget: it failed once more, then applied once
    deliveries_before_replay = MAX_RETRIES + 1
    assert f"faults/{FLAKY_BOOKS.name}" in listed
    assert f"RuntimeError: injected fault on delivery {deliveries_before_replay}" in listed
    assert "dead letters: 1" in listed
    assert while_dead == {"audit_logs": 0}
    assert "dead letters replayed: 1" in replayed
    gaps = delivery_gaps(broker_keys, outbox_settings, message_id)
    assert len(gaps) == deliveries_before_replay + 1
    assert broker_keys.dead("faults") == 0
    assert await effects(db) == APPLIED_ONCE
