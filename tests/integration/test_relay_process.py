"""`payout-service relay` as a real process: killed mid-batch, run twice at once, stopped with
SIGTERM. Every row ends published and every consumer effect happens once."""

from __future__ import annotations

import asyncio
import signal
import urllib.request
from dataclasses import replace
from pathlib import Path

from payout_service.infrastructure.db.unit_of_work import SqlUnitOfWorkFactory
from payout_service.infrastructure.settings import Settings
from tests.integration.processes import (
    BrokerKeys,
    audited_events,
    effects,
    environment,
    eventually,
    outbox_counts,
    running_relay,
    running_relays,
    running_worker,
    write_events,
)

BACKLOG = 3_000
KILL_ATTEMPTS = 10


async def consume_all(
    settings: Settings, scratch: Path, db: SqlUnitOfWorkFactory, keys: BrokerKeys, rows: int
) -> dict[str, int]:
    """Runs a real worker until the events queue is empty; returns the consumers' effects."""
    async with running_worker(environment(settings, scratch), ["events"]):
        await eventually(keys.drained, timeout=120, what="the events queue drained")
    return await effects(db)


async def killed_as_a_batch_reaches_redis(
    env: dict[str, str], db: SqlUnitOfWorkFactory, keys: BrokerKeys
) -> tuple[int, int]:
    """Runs a relay and, as soon as a new message of it reaches Redis, freezes it (SIGSTOP) and
    kills it (SIGKILL). Returns the events in Redis at the freeze and the rows marked published
    after the kill."""
    async with running_relay(env) as relay:
        seen = keys.queued()
        await eventually(
            keys.queued, lambda n: n > seen, timeout=60, what="a batch", max_pause=0.001
        )
        relay.process.send_signal(signal.SIGSTOP)
        in_redis = len(keys.envelopes())
        assert await relay.stop(signal.SIGKILL) == -signal.SIGKILL
    return in_redis, (await outbox_counts(db)).get("published", 0)


async def test_relay_killed_between_publishing_and_marking_delivers_every_event_once_in_effect(
    outbox_settings: Settings, db: SqlUnitOfWorkFactory, broker_keys: BrokerKeys, tmp_path: Path
) -> None:
    # Given a backlog of audit events, and a relay publishing it in batches of 100
    settings = replace(outbox_settings, relay_batch_size=100)
    await write_events(db, audited_events(BACKLOG))
    env = environment(settings, tmp_path, RELAY_LEASE_SECONDS="1")

    # When the relay is killed with SIGKILL after it published rows and before it marked them
    # (a kill that landed after the marking is followed by another relay and another kill)
    for _ in range(KILL_ATTEMPTS):
        in_redis, marked = await killed_as_a_batch_reaches_redis(env, db, broker_keys)
        if in_redis > marked:
            break
    assert in_redis > marked, (in_redis, marked)  # those rows will go out twice

    # And it is started again until the backlog is gone
    async with running_relay(env):
        await eventually(
            lambda: outbox_counts(db), lambda c: c == {"published": BACKLOG}, timeout=60
        )

    # Then every row was published, the unmarked ones twice, and each consumer applied each
    # event once
    assert len(broker_keys.envelopes()) == in_redis + (BACKLOG - marked)
    applied = await consume_all(settings, tmp_path, db, broker_keys, BACKLOG)
    assert applied == {"keep_books": BACKLOG, "audit_logs": BACKLOG}


async def test_two_relays_over_one_backlog_publish_each_row_once(
    outbox_settings: Settings, db: SqlUnitOfWorkFactory, broker_keys: BrokerKeys, tmp_path: Path
) -> None:
    # Given two relays running at once, in batches of 50
    settings = replace(outbox_settings, relay_batch_size=50)
    first_env, second_env = environment(settings, tmp_path), environment(settings, tmp_path)
    async with running_relays(first_env, second_env):
        # When a backlog is committed under them
        await write_events(db, audited_events(BACKLOG))
        await eventually(
            lambda: outbox_counts(db), lambda c: c == {"published": BACKLOG}, timeout=60
        )
        shares = [await published_by(first_env), await published_by(second_env)]

    # Then no row was published twice, and each event was applied once; on MySQL both relays
    # took part (SQLite has one writer at a time, and one relay may win every turn)
    assert sum(shares) == BACKLOG, shares
    assert min(shares) > 0 or settings.is_sqlite, shares
    assert len(broker_keys.envelopes()) == BACKLOG
    applied = await consume_all(settings, tmp_path, db, broker_keys, BACKLOG)
    assert applied == {"keep_books": BACKLOG, "audit_logs": BACKLOG}


async def test_relay_stops_on_sigterm_after_settling_its_batch(
    outbox_settings: Settings, db: SqlUnitOfWorkFactory, broker_keys: BrokerKeys, tmp_path: Path
) -> None:
    # Given a relay busy with a backlog, in batches of 400
    settings = replace(outbox_settings, relay_batch_size=400)
    await write_events(db, audited_events(BACKLOG))
    async with running_relay(environment(settings, tmp_path)) as relay:
        await eventually(
            lambda: len(broker_keys.envelopes()), lambda n: n > 600, timeout=60, what="a batch"
        )

        # When it is sent SIGTERM in the middle of a batch
        code = await relay.stop(signal.SIGTERM, timeout=30)

    # Then it exits cleanly, having marked every row it had published, and none twice
    assert code == 0, relay.output.text()
    assert any("relay stopped" in line for line in relay.output.lines)
    counts = await outbox_counts(db)
    assert counts["published"] == len(broker_keys.envelopes()) < BACKLOG
    assert counts["published"] % 400 == 0  # whole batches only


async def published_by(env: dict[str, str]) -> int:
    """The relay's own count of published rows, from its /metrics."""

    def scrape() -> str:
        url = f"http://127.0.0.1:{env['PORT']}/metrics"
        with urllib.request.urlopen(url, timeout=5) as response:
            return str(response.read().decode())

    text = await asyncio.to_thread(scrape)
    for line in text.splitlines():
        if line.startswith("outbox_messages_published_total "):
            return int(float(line.split()[1]))
    raise AssertionError(f"no outbox_messages_published_total in:\n{text}")
