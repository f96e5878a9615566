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
from tests.integration.outbox_support import (
    BrokerKeys,
    audited_events,
    effects,
    environment,
    eventually,
    outbox_counts,
    running_relay,
    running_worker,
    write_events,
)

BACKLOG = 3_000


async def consume_all(
    settings: Settings, scratch: Path, db: SqlUnitOfWorkFactory, keys: BrokerKeys, rows: int
) -> dict[str, int]:
    """Runs a real worker until the events queue is empty; returns the consumers' effects."""
    async with running_worker(environment(settings, scratch), ["events"]):
        await eventually(keys.drained, timeout=120, what="the events queue drained")
    return await effects(db)


async def test_relay_killed_mid_batch_and_restarted_delivers_every_event_once_in_effect(
    outbox_settings: Settings, db: SqlUnitOfWorkFactory, broker_keys: BrokerKeys, tmp_path: Path
) -> None:
    # Given a backlog of audit events, and a relay publishing it in batches of 1000
    settings = replace(outbox_settings, relay_batch_size=1000)
    await write_events(db, audited_events(BACKLOG))
    env = environment(settings, tmp_path, RELAY_LEASE_SECONDS="2")

    # When the relay is killed with SIGKILL in the middle of its second batch
    async with running_relay(env) as relay:
        await eventually(
            broker_keys.queued,
            lambda n: n > 1500,
            timeout=60,
            what="the second batch under way",
            max_pause=0.001,
        )
        assert await relay.stop(signal.SIGKILL) == -signal.SIGKILL
    in_redis = broker_keys.queued()
    marked = (await outbox_counts(db)).get("published", 0)
    # (the kill landed between publishing rows and marking them: they will go out twice)
    assert in_redis > marked, (in_redis, marked)

    # And it is started again until the backlog is gone
    async with running_relay(env):
        await eventually(
            lambda: outbox_counts(db), lambda c: c == {"published": BACKLOG}, timeout=60
        )

    # Then every row was published, the unmarked ones twice, and each consumer applied each
    # event once
    assert broker_keys.queued() == in_redis + (BACKLOG - marked)
    applied = await consume_all(settings, tmp_path, db, broker_keys, BACKLOG)
    assert applied == {"record_audit": BACKLOG, "audit_logs": BACKLOG}


async def test_two_relays_over_one_backlog_publish_each_row_once(
    outbox_settings: Settings, db: SqlUnitOfWorkFactory, broker_keys: BrokerKeys, tmp_path: Path
) -> None:
    # Given two relays running at once, in batches of 50
    settings = replace(outbox_settings, relay_batch_size=50)
    first_env, second_env = environment(settings, tmp_path), environment(settings, tmp_path)
    async with running_relay(first_env), running_relay(second_env):
        # When a backlog is committed under them
        await write_events(db, audited_events(BACKLOG))
        await eventually(
            lambda: outbox_counts(db), lambda c: c == {"published": BACKLOG}, timeout=60
        )
        shares = [await published_by(first_env), await published_by(second_env)]

    # Then both took part, no row was published twice, and each event was applied once
    assert sum(shares) == BACKLOG and min(shares) > 0, shares
    assert broker_keys.queued() == BACKLOG
    applied = await consume_all(settings, tmp_path, db, broker_keys, BACKLOG)
    assert applied == {"record_audit": BACKLOG, "audit_logs": BACKLOG}


async def test_relay_stops_on_sigterm_after_settling_its_batch(
    outbox_settings: Settings, db: SqlUnitOfWorkFactory, broker_keys: BrokerKeys, tmp_path: Path
) -> None:
    # Given a relay busy with a backlog, in batches of 400
    settings = replace(outbox_settings, relay_batch_size=400)
    await write_events(db, audited_events(BACKLOG))
    async with running_relay(environment(settings, tmp_path)) as relay:
        await eventually(broker_keys.queued, lambda n: n > 600, timeout=60, what="a batch")

        # When it is sent SIGTERM in the middle of a batch
        code = await relay.stop(signal.SIGTERM, timeout=30)

    # Then it exits cleanly, having marked every row it had published, and none twice
    assert code == 0, relay.output.text()
    assert any("relay stopped" in line for line in relay.output.lines)
    counts = await outbox_counts(db)
    assert counts["published"] == broker_keys.queued() < BACKLOG
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
