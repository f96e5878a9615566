"""`payout-service outbox|inbox|dead-letters|processed-messages`: the operator's hand on the
messages between the database and the workers.

A command that reads (`status`, `list`) prints lines for people, or with --json the same facts
for scripts. A command that works through many rows (`outbox process`, `inbox process`,
`dead-letters replay --all`) shows its progress on stderr as it goes and ends with one line on
stdout saying what it did.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from payout_service.command_database import with_database
from payout_service.command_tree import (
    Commands,
    add_command,
    add_group,
    add_json_option,
    print_json,
)
from payout_service.infrastructure.clock import SystemClock
from payout_service.infrastructure.settings import Settings
from payout_service.progress_bar import ProgressBar

if TYPE_CHECKING:
    from payout_service.infrastructure.db.unit_of_work import SqlUnitOfWorkFactory
    from payout_service.infrastructure.outbox.relay import OutboxRelay

# `inbox process` applies events in passes of this many, showing its progress after each.
INBOX_PASS = 50


def add_message_commands(commands: Commands) -> None:
    _add_outbox(commands)
    _add_inbox(commands)
    _add_dead_letters(commands)
    processed = add_group(
        commands,
        "processed-messages",
        "the consumers' record of applied message ids",
        ["payout-service processed-messages purge"],
    )
    add_command(
        processed,
        "purge",
        "delete rows past PROCESSED_MESSAGE_RETENTION_DAYS (never fewer than 7 days)",
        ["payout-service processed-messages purge"],
        _purge_processed,
    )


def _add_outbox(commands: Commands) -> None:
    outbox = add_group(
        commands,
        "outbox",
        "the transactional outbox: status, a relay pass, dead rows, purge",
        ["payout-service outbox status --json", "payout-service outbox process --limit 1000"],
    )
    status = add_command(
        outbox,
        "status",
        "backlog, age of the oldest unpublished row, dead rows",
        ["payout-service outbox status", "payout-service outbox status --json"],
        _outbox_status,
    )
    add_json_option(status)
    process = add_command(
        outbox,
        "process",
        "publish pending rows now, in passes of RELAY_BATCH_SIZE, as the relay would",
        ["payout-service outbox process --limit 1000"],
        _outbox_process,
        needs_redis=True,
    )
    process.add_argument(
        "--limit", type=int, default=50, help="rows to publish at most (default %(default)s)"
    )
    retry = add_command(
        outbox,
        "retry-dead",
        "put dead rows (publishing gave up) back to pending, for the relay's next pass",
        ["payout-service outbox retry-dead", "payout-service outbox retry-dead --id MESSAGE_ID"],
        _outbox_retry_dead,
    )
    retry.add_argument("--id", help="one message id instead of all")
    add_command(
        outbox,
        "purge",
        "delete published rows older than OUTBOX_RETENTION_HOURS",
        ["payout-service outbox purge"],
        _outbox_purge,
    )


def _add_inbox(commands: Commands) -> None:
    inbox = add_group(
        commands,
        "inbox",
        "stored provider webhooks: apply the unprocessed ones now, or count them",
        ["payout-service inbox status --json", "payout-service inbox process --limit 500"],
    )
    status = add_command(
        inbox,
        "status",
        "stored webhooks by result, unprocessed ones, payload conflicts",
        ["payout-service inbox status", "payout-service inbox status --json"],
        _inbox_status,
    )
    add_json_option(status)
    process = add_command(
        inbox,
        "process",
        "apply unprocessed webhooks now, oldest first, as the inbox workers would",
        [
            "payout-service inbox process --limit 500",
            "payout-service inbox process --retry-not-found",
        ],
        _inbox_process,
    )
    process.add_argument(
        "--limit", type=int, default=50, help="events to apply at most (default %(default)s)"
    )
    process.add_argument(
        "--retry-not-found",
        action="store_true",
        help="also try again the events whose payout was not found (one pass)",
    )


def _add_dead_letters(commands: Commands) -> None:
    dead = add_group(
        commands,
        "dead-letters",
        "messages that exhausted their retries: list them, enqueue them again",
        ["payout-service dead-letters list", "payout-service dead-letters replay --all"],
    )
    listed = add_command(
        dead,
        "list",
        "every dead letter, oldest first: its id, queue, actor, when it died and why",
        ["payout-service dead-letters list", "payout-service dead-letters list --json"],
        _dead_letters_list,
        needs_redis=True,
    )
    add_json_option(listed)
    replay = add_command(
        dead,
        "replay",
        "enqueue dead letters again with a fresh retry budget (same message id)",
        [
            "payout-service dead-letters replay MESSAGE_ID",
            "payout-service dead-letters replay --all",
        ],
        _dead_letters_replay,
        needs_redis=True,
    )
    which = replay.add_mutually_exclusive_group(required=True)
    which.add_argument("message_id", nargs="?", help="the id `list` shows (or its message id)")
    which.add_argument("--all", action="store_true", help="every dead letter")


def _outbox_status(settings: Settings, args: argparse.Namespace) -> None:
    from payout_service.infrastructure.outbox.status import outbox_status

    now = SystemClock().now()
    state = with_database(settings, lambda uow: outbox_status(uow, now))
    if args.json:
        print_json(dataclasses.asdict(state))
        return
    print(f"backlog: {state.backlog}")
    print(f"oldest unpublished age: {state.oldest_unpublished_age_seconds:.1f} s")
    print(f"dead: {state.dead}")


def _outbox_process(settings: Settings, args: argparse.Namespace) -> None:
    """Passes of at most RELAY_BATCH_SIZE rows until --limit rows are published or a pass
    publishes none (nothing ready, or the broker refusing)."""
    from payout_service.bootstrap import build_relay
    from payout_service.infrastructure.outbox.status import outbox_status

    limit = max(args.limit, 0)

    async def work(uow: SqlUnitOfWorkFactory) -> int:
        backlog = (await outbox_status(uow, SystemClock().now())).backlog
        relays: dict[int, OutboxRelay] = {}
        published = 0
        with ProgressBar(sys.stderr) as bar:
            while published < limit:
                size = min(settings.relay_batch_size, limit - published)
                if size not in relays:
                    relays[size] = build_relay(replace(settings, relay_batch_size=size), uow)
                count = await relays[size].publish_pending()
                published += count
                bar.show(published, min(limit, max(backlog, published)), "published")
                if count == 0:
                    break
        return published

    print(f"outbox rows published: {with_database(settings, work)}")


def _outbox_retry_dead(settings: Settings, args: argparse.Namespace) -> None:
    from payout_service.infrastructure.outbox.status import retry_dead

    now = SystemClock().now()
    count = with_database(settings, lambda uow: retry_dead(uow, now, args.id))
    print(f"dead outbox rows back to pending: {count}")


def _outbox_purge(settings: Settings, _: argparse.Namespace) -> None:
    from payout_service.infrastructure.outbox.status import purge_published, retention

    cutoff = SystemClock().now() - retention(hours=settings.outbox_retention_hours)
    count = with_database(settings, lambda uow: purge_published(uow, cutoff))
    print(f"published outbox rows purged: {count}")


def _purge_processed(settings: Settings, _: argparse.Namespace) -> None:
    from payout_service.infrastructure.outbox.status import purge_processed_messages, retention

    days = max(settings.processed_message_retention_days, 7)  # never below NServiceBus's 7 days
    cutoff = SystemClock().now() - retention(days=days)
    count = with_database(settings, lambda uow: purge_processed_messages(uow, cutoff))
    print(f"processed-message rows purged: {count}")


def _inbox_status(settings: Settings, args: argparse.Namespace) -> None:
    from payout_service.infrastructure.db.inbox_status import inbox_status

    state = with_database(settings, inbox_status)
    if args.json:
        print_json(dataclasses.asdict(state))
        return
    for result, count in sorted(state.by_result.items()):
        print(f"{result}: {count}")
    print(f"unprocessed: {state.unprocessed}")
    print(f"payload conflicts: {state.payload_conflicts}")


def _inbox_process(settings: Settings, args: argparse.Namespace) -> None:
    """Passes of INBOX_PASS events until --limit are applied or a pass applies none. Retrying
    not-found events is one pass: each would be picked again by the next one."""
    from payout_service.application.apply_webhook import ApplyWebhook
    from payout_service.domain.provider_report import ReportOutcome
    from payout_service.infrastructure.db.inbox_status import inbox_status

    limit = max(args.limit, 0)
    retry = args.retry_not_found
    step = limit if retry else INBOX_PASS

    async def work(uow: SqlUnitOfWorkFactory) -> int:
        state = await inbox_status(uow)
        not_found = state.by_result.get(ReportOutcome.PAYOUT_NOT_FOUND, 0) if retry else 0
        waiting = state.unprocessed + not_found
        apply = ApplyWebhook(uow, SystemClock())
        applied = 0
        with ProgressBar(sys.stderr) as bar:
            while applied < limit:
                results = await apply.process_pending(min(step, limit - applied), retry)
                for r in results:
                    print(
                        f"inbox event {r.inbox_event_id}: {r.result} (payout {r.payout_id or '-'})"
                    )
                applied += len(results)
                bar.show(applied, min(limit, max(waiting, applied)), "applied")
                if not results or retry:
                    break
        return applied

    print(f"inbox events processed: {with_database(settings, work)}")


def _dead_letters_list(settings: Settings, args: argparse.Namespace) -> None:
    from payout_service.infrastructure.broker import build_broker
    from payout_service.infrastructure.dead_letters import list_dead_letters

    letters = list_dead_letters(build_broker(settings))
    if args.json:
        shown = [
            {
                "message_id": letter.message_id,
                "dramatiq_message_id": letter.message.message_id,
                "queue": letter.queue,
                "actor": letter.actor,
                "died_at": letter.died_at.isoformat(),
                "error": letter.error,
            }
            for letter in letters
        ]
        print_json({"data": shown, "count": len(shown)})
        return
    for letter in letters:
        print(
            f"{letter.message_id}  {letter.queue}/{letter.actor}  "
            f"{letter.died_at.isoformat()}  {letter.error}"
        )
    print(f"dead letters: {len(letters)}")


def _dead_letters_replay(settings: Settings, args: argparse.Namespace) -> None:
    from dramatiq.middleware import Middleware

    from payout_service.infrastructure.broker import build_broker
    from payout_service.infrastructure.dead_letters import list_dead_letters, replay_dead_letters

    class ShowReplayed(Middleware):
        """Each message the replay enqueues moves the bar on."""

        replayed = 0

        def after_enqueue(self, broker: Any, message: Any, delay: Any) -> None:
            self.replayed += 1
            bar.show(self.replayed, total, "replayed")

    broker = build_broker(settings)
    total = len(list_dead_letters(broker)) if args.all else 1
    with ProgressBar(sys.stderr) as bar:
        broker.add_middleware(ShowReplayed())
        count = replay_dead_letters(broker, None if args.all else args.message_id)
    print(f"dead letters replayed: {count}")
