"""The operator's outbox commands: one relay pass, status, dead rows retried, and the purges of
published rows and of processed messages. The first test runs them as `payout-service`
processes; the others run them in this process (commands_in_process), as cli.py does."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from payout_service.infrastructure.clock import SystemClock
from payout_service.infrastructure.db.unit_of_work import SqlUnitOfWorkFactory
from payout_service.infrastructure.settings import Settings
from tests.integration.commands_in_process import InProcessCommands
from tests.integration.processes import (
    BrokerKeys,
    audited_events,
    environment,
    outbox_counts,
    run_command,
    scalar,
    write_events,
)
from tests.processes import free_port


async def age_rows(db: SqlUnitOfWorkFactory, statement: str, hours: float, *values: object) -> None:
    """Sets the timestamp named in `statement` to `hours` ago."""
    moment = SystemClock().now() - timedelta(hours=hours)
    async with db() as tx:
        await tx.session.execute(statement, tx.session.dialect.to_db(moment), *values)
        await tx.commit()


async def test_outbox_process_publishes_one_pass_of_at_most_limit_rows(
    outbox_settings: Settings, db: SqlUnitOfWorkFactory, broker_keys: BrokerKeys, tmp_path: Path
) -> None:
    # Given a backlog of 8
    await write_events(db, audited_events(8))
    env = environment(outbox_settings, tmp_path)

    # When an operator runs one pass limited to 5, then looks at the status
    processed = await run_command(env, "outbox", "process", "--limit", "5")
    status = await run_command(env, "outbox", "status")

    # Then 5 went out and 3 wait
    assert "outbox rows published: 5" in processed
    assert len(broker_keys.envelopes()) == 5
    assert "backlog: 3" in status and "dead: 0" in status


async def test_dead_rows_show_in_status_and_retry_dead_sends_them_again(
    outbox_settings: Settings,
    db: SqlUnitOfWorkFactory,
    broker_keys: BrokerKeys,
    tmp_path: Path,
    commands: InProcessCommands,
) -> None:
    # Given three rows whose publishing failed twice with Redis unreachable (2 attempts allowed)
    await write_events(db, audited_events(3))
    down = environment(
        outbox_settings,
        tmp_path,
        REDIS_URL=f"redis://127.0.0.1:{free_port()}/0",
        RELAY_MAX_ATTEMPTS="2",
    )
    await commands.ok(down, "outbox", "process")
    await age_rows(db, "UPDATE outbox_messages SET available_at = %s", 0.01)  # backoff over
    await commands.ok(down, "outbox", "process")

    # When an operator looks, retries the dead rows, and runs a pass with Redis reachable
    up = environment(outbox_settings, tmp_path)
    status = await commands.ok(up, "outbox", "status")
    failures = await scalar(
        db,
        "SELECT COUNT(*) AS n FROM outbox_messages WHERE attempts = 2 AND last_error LIKE %s",
        "%Connection%",
    )
    retried = await commands.ok(up, "outbox", "retry-dead")
    await commands.ok(up, "outbox", "process")

    # Then the status showed them dead with their errors kept, and the retry delivered them
    assert "dead: 3" in status and "backlog: 0" in status
    assert failures == 3
    assert "dead outbox rows back to pending: 3" in retried
    assert await outbox_counts(db) == {"published": 3}
    assert len(broker_keys.envelopes()) == 3


async def test_outbox_purge_deletes_only_published_rows_past_retention(
    outbox_settings: Settings, db: SqlUnitOfWorkFactory, tmp_path: Path, commands: InProcessCommands
) -> None:
    # Given published rows 100 h and 1 h old, and an unpublished one 100 h old
    old, recent, waiting = await write_events(db, audited_events(3))
    async with db() as tx:
        await tx.session.execute(
            "UPDATE outbox_messages SET status = 'published' WHERE message_id IN (%s, %s)",
            old,
            recent,
        )
        await tx.commit()
    published_at = "UPDATE outbox_messages SET published_at = %s WHERE message_id = %s"
    await age_rows(db, published_at, 100, old)
    await age_rows(db, published_at, 1, recent)
    created_at = "UPDATE outbox_messages SET created_at = %s WHERE message_id = %s"
    await age_rows(db, created_at, 100, waiting)

    # When the purge runs with a 72 h retention
    env = environment(outbox_settings, tmp_path, OUTBOX_RETENTION_HOURS="72")
    purged = await commands.ok(env, "outbox", "purge")

    # Then only the old published row is gone
    assert "published outbox rows purged: 1" in purged
    assert await outbox_counts(db) == {"published": 1, "pending": 1}


async def test_processed_messages_purge_keeps_at_least_seven_days(
    outbox_settings: Settings, db: SqlUnitOfWorkFactory, tmp_path: Path, commands: InProcessCommands
) -> None:
    # Given processed-message rows 10, 3 and 0 days old
    now = SystemClock().now()
    async with db() as tx:
        for days in (10, 3, 0):
            await tx.processed_messages.remember(
                "keep_books", f"m-{days}", now - timedelta(days=days)
            )
        await tx.commit()

    # When the purge runs with a retention set below the 7-day floor
    env = environment(outbox_settings, tmp_path, PROCESSED_MESSAGE_RETENTION_DAYS="1")
    purged = await commands.ok(env, "processed-messages", "purge")

    # Then only the 10-day-old row went
    assert "processed-message rows purged: 1" in purged
    assert await scalar(db, "SELECT COUNT(*) AS n FROM processed_messages") == 2
