"""An event committed with its state change reaches each of its consumers once in effect; a
rolled-back transaction publishes nothing. Real MariaDB/SQLite, Redis and `dramatiq` worker."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from payout_service.bootstrap import Services, build_services
from payout_service.domain import events
from payout_service.infrastructure.clock import SystemClock
from payout_service.infrastructure.db.dialect import dialect_for_url
from payout_service.infrastructure.db.seed import DEMO_USER_ID
from payout_service.infrastructure.db.unit_of_work import SqlUnitOfWorkFactory
from payout_service.infrastructure.outbox.fast_path import OutboxFastPath
from payout_service.infrastructure.settings import Settings
from tests.integration.helpers import add_listening_endpoint, payout_body, post_payout
from tests.integration.processes import (
    BrokerKeys,
    effects,
    environment,
    eventually,
    outbox_counts,
    publish_all,
    relay_in_process,
    running_worker,
    scalar,
    write_events,
)


@pytest.fixture
async def outbox_services(
    outbox_settings: Settings, db: SqlUnitOfWorkFactory
) -> AsyncIterator[Services]:
    yield build_services(outbox_settings)


@pytest.fixture
async def outbox_api(outbox_services: Services, aiohttp_client: Any) -> TestClient[Any, Any]:
    """The real app, its outbox fast path publishing to this test's broker namespace."""
    from payout_service.web.app import create_app

    client: TestClient[Any, Any] = await aiohttp_client(create_app(outbox_services))
    return client


LEDGER_ROWS = "SELECT COUNT(*) AS n FROM account_ledger_entries"


async def finish_payout(db: SqlUnitOfWorkFactory, payout_id: str) -> None:
    """The provider reported success: the state change and its event in one transaction."""
    now = SystemClock().now()
    async with db({"request_id": "req-finish"}) as tx:
        payout = await tx.payouts.get_for_update(payout_id)
        assert payout is not None
        payout.start_processing(now)
        payout.succeed(now)
        await tx.payouts.update(payout)
        await tx.commit()


async def balances(db: SqlUnitOfWorkFactory) -> tuple[int, int]:
    async with db() as tx:
        rows = await tx.session.rows(
            "SELECT balance_minor, held_minor FROM user_accounts"
            " WHERE user_id = %s AND currency = 'USD'",
            DEMO_USER_ID,
        )
    return int(rows[0]["balance_minor"]), int(rows[0]["held_minor"])


async def test_committed_event_reaches_each_consumer_once_even_when_delivered_again(
    outbox_api: TestClient[Any, Any],
    outbox_services: Services,
    outbox_settings: Settings,
    db: SqlUnitOfWorkFactory,
    auth: dict[str, str],
    broker_keys: BrokerKeys,
    tmp_path: Path,
) -> None:
    # Given a payout created through the API and then finished (the finishing transaction
    # settled the hold), its three outbox rows left unpublished as an earlier version left its
    # rows, without the books' mark: the books consumer's to keep (the user has a webhook
    # endpoint, so each of the payout's events has its row)
    await add_listening_endpoint(db)
    created = await post_payout(outbox_api, auth, payout_body(amount="150.00"))
    assert created.status == 201, await created.text()
    payout_id = (await created.json())["id"]
    await eventually(lambda: outbox_counts(db), lambda c: c == {"published": 1})
    balance_before, held_before = await balances(db)
    await finish_payout(db, payout_id)
    assert await balances(db) == (balance_before - 15000, held_before - 15000)
    ledger_rows = await scalar(db, LEDGER_ROWS)
    async with db() as tx:
        await tx.session.execute("UPDATE outbox_messages SET status = 'pending', headers = '{}'")
        await tx.commit()
    assert await publish_all(relay_in_process(db, outbox_settings)) == 3

    # When a real worker consumes the events queue
    env = environment(outbox_settings, tmp_path)
    async with running_worker(env, ["events"]):
        applied = await eventually(
            lambda: effects(db),
            lambda e: e.get("keep_books") == 3,
            what="the events applied by the books consumer",
        )
        await eventually(lambda: broker_keys.drained(), what="the events queue drained")

        # And every row is delivered once more (a relay that died before marking them)
        async with db() as tx:
            await tx.session.execute("UPDATE outbox_messages SET status = 'pending'")
            await tx.commit()
        assert await publish_all(relay_in_process(db, outbox_settings)) == 3
        await eventually(lambda: broker_keys.drained(), what="the redelivery consumed")

    # Then the books consumer applied each event once, and changed nothing the transactions had
    # kept: three audit rows, and the money moved once
    assert applied == {"keep_books": 3, "audit_logs": 3}
    assert await effects(db) == applied
    assert await balances(db) == (balance_before - 15000, held_before - 15000)
    assert await scalar(db, LEDGER_ROWS) == ledger_rows


def with_fast_path(
    db: SqlUnitOfWorkFactory, settings: Settings
) -> tuple[SqlUnitOfWorkFactory, OutboxFastPath]:
    """A unit of work whose commits a started fast path publishes, as the web process wires
    them (stop() the fast path when done)."""
    fast_path = OutboxFastPath(relay_in_process(db, settings), max_batch=50)
    uow = SqlUnitOfWorkFactory(dialect_for_url(settings.database_url))
    uow.on_commit = fast_path.committed
    fast_path.start()
    return uow, fast_path


async def test_rolled_back_transaction_publishes_nothing(
    outbox_settings: Settings,
    db: SqlUnitOfWorkFactory,
    broker_keys: BrokerKeys,
) -> None:
    # Given a unit of work whose commits the fast path publishes, wired as the web process's
    uow, fast_path = with_fast_path(db, outbox_settings)
    now = SystemClock().now()

    # When a transaction writes an event and then fails
    with pytest.raises(RuntimeError, match="after the outbox write"):
        async with uow() as tx:
            await tx.outbox.add(
                events.DomainEvent(events.PAYOUT_CREATED, "payout", "p-rolled-back"), {}, now
            )
            raise RuntimeError("after the outbox write")
    # And a committed one follows it, which the fast path publishes at once
    async with uow() as tx:
        await tx.outbox.add(
            events.DomainEvent(events.PAYOUT_CREATED, "payout", "p-committed"), {}, now
        )
        await tx.commit()
    await eventually(lambda: outbox_counts(db), lambda c: c == {"published": 1})
    await fast_path.stop()

    # Then only the committed event was stored and published, and the relay finds nothing more
    assert [e["aggregate_id"] for e in broker_keys.envelopes()] == ["p-committed"]
    assert await relay_in_process(db, outbox_settings).publish_pending() == 0
    assert broker_keys.queued() == 1


async def test_the_fast_path_sends_a_first_event_as_written_and_a_later_one_in_order(
    outbox_settings: Settings,
    db: SqlUnitOfWorkFactory,
    broker_keys: BrokerKeys,
) -> None:
    # Given a fast path wired as in the web process, and payout "p-earlier" whose first event
    # waits unpublished
    uow, fast_path = with_fast_path(db, outbox_settings)
    now = SystemClock().now()
    await write_events(db, [events.DomainEvent(events.PAYOUT_CREATED, "payout", "p-earlier")])

    # When one transaction writes a later event of that payout and the first event of another
    async with uow() as tx:
        await tx.outbox.add(
            events.DomainEvent(events.PAYOUT_SUCCEEDED, "payout", "p-earlier"), {}, now
        )
        await tx.outbox.add(events.DomainEvent(events.PAYOUT_CREATED, "payout", "p-new"), {}, now)
        await tx.commit()
    await eventually(lambda: outbox_counts(db), lambda c: c.get("published") == 1)
    await fast_path.stop()

    # Then the new payout's first event went out at once, as written, and the later event of the
    # other payout waits for that payout's first one
    assert {(e["aggregate_id"], e["event"]) for e in broker_keys.envelopes("events")} == {
        ("p-new", events.PAYOUT_CREATED)
    }
    assert await outbox_counts(db) == {"published": 1, "pending": 2}
    # and the relay sends the two in later passes, the first one first
    relay = relay_in_process(db, replace(outbox_settings, relay_min_age_ms=0))
    assert await publish_all(relay) == 2
    assert await outbox_counts(db) == {"published": 3}


async def test_a_later_event_held_back_a_moment_goes_out_from_the_fast_path_not_the_relay(
    outbox_settings: Settings,
    db: SqlUnitOfWorkFactory,
    broker_keys: BrokerKeys,
) -> None:
    # Given a fast path wired as in the web process, and payout "p-earlier" whose first event
    # another process has written and is about to publish
    relay = relay_in_process(db, outbox_settings)
    fast_path = OutboxFastPath(relay, max_batch=50)
    uow = SqlUnitOfWorkFactory(dialect_for_url(outbox_settings.database_url))
    uow.on_commit = fast_path.committed
    tried = asyncio.Event()
    claim = relay.publish_named

    async def observed_claim(message_ids: Sequence[str]) -> list[str]:
        held_back = await claim(message_ids)
        tried.set()
        return held_back

    relay.publish_named = observed_claim  # type: ignore[method-assign]
    fast_path.start()
    (earlier,) = await write_events(
        db, [events.DomainEvent(events.PAYOUT_CREATED, "payout", "p-earlier")]
    )

    # When a transaction here writes the payout's next event, which the fast path's claim must
    # hold back
    async with uow() as tx:
        await tx.outbox.add(
            events.DomainEvent(events.PAYOUT_SUCCEEDED, "payout", "p-earlier"),
            {},
            SystemClock().now(),
        )
        await tx.commit()
    await asyncio.wait_for(tried.wait(), timeout=10)
    assert await outbox_counts(db) == {"pending": 2}
    # And the other process then publishes the first event (its own claim of that row)
    other = relay_in_process(db, replace(outbox_settings, relay_min_age_ms=0), owner="other")
    assert await other.publish_pending([earlier]) == 1

    # Then the fast path sends the later event a moment after, in order, with no relay pass
    await eventually(lambda: outbox_counts(db), lambda c: c == {"published": 2}, timeout=5)
    await fast_path.stop()
    assert [e["event"] for e in broker_keys.envelopes("events")] == [
        events.PAYOUT_CREATED,
        events.PAYOUT_SUCCEEDED,
    ]
