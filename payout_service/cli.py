"""`payout-service`: one command-line entry point for every operator task."""

# Each command imports what only it needs inside its handler, not at the top of this module: an
# operator command (`seed`, `outbox status`, `webhook sign`) then starts without loading the web
# app, Dramatiq, prometheus-client and the rest of what the long-running processes use.

from __future__ import annotations

import argparse
import asyncio
import contextlib
import faulthandler
import io
import logging
import signal
import sys
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from payout_service.batch_commands import add_batch_arguments
from payout_service.infrastructure.clock import SystemClock
from payout_service.infrastructure.db.database import close_database, open_database
from payout_service.infrastructure.db.dialect import dialect_for_url
from payout_service.infrastructure.db.unit_of_work import SqlUnitOfWorkFactory
from payout_service.infrastructure.logs import configure_logging
from payout_service.infrastructure.settings import Settings

if TYPE_CHECKING:
    from payout_service.application.reconcile_payouts import ReconcilePayouts, ReconcileReport

T = TypeVar("T")
# How long a payout's change may take to reach the ledger before `ledger verify` misses its entry.
LEDGER_IN_FLIGHT_SECONDS = 300


def main(argv: list[str] | None = None) -> int:
    _dump_stacks_on_sigusr1()
    parser = _parser()
    args = parser.parse_args(argv)
    settings = Settings.from_env()
    configure_logging(settings)
    return int(args.handler(settings, args) or 0)


def _dump_stacks_on_sigusr1() -> None:
    """`kill -USR1 <pid>` prints every thread's stack to stderr: where a process that does not
    come up, or does not stop, is waiting. Not where stderr is no file (main() called from
    a test that captures it)."""
    with contextlib.suppress(AttributeError, ValueError, io.UnsupportedOperation):
        faulthandler.register(signal.SIGUSR1, all_threads=True)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="payout-service", description=__doc__)
    commands = parser.add_subparsers(required=True, metavar="COMMAND")

    def command(
        name: str, handler: Callable[..., int | None], help_: str
    ) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=help_, description=help_)
        sub.set_defaults(handler=handler)
        return sub

    command("run", _run, "migrate, seed the demo data and start every Procfile process")
    command("web", _web, "serve the HTTP API on HOST:PORT")
    worker = command("worker", _worker, "run Dramatiq workers on QUEUEs; metrics on PORT")
    worker.add_argument("queues", nargs="+", metavar="QUEUE")
    worker.add_argument("--processes", type=int, default=1)
    worker.add_argument(
        "--threads",
        type=int,
        default=None,
        help="messages handled at once per process (default: PROVIDER_SEND_CONCURRENCY on the"
        " provider-send queue, else 4)",
    )
    command("dashboard", _dashboard, "serve the Dramatiq dashboard on HOST:PORT")
    command("migrate", _migrate, "bring the database schema up to date")
    command("seed", _seed, "create the demo user, balances and API key (idempotent)")
    api_key = command("api-key", _api_key, "create an API key for a user and print it once")
    api_key.add_argument("--user", type=int, required=True)
    api_key.add_argument("--label", default="")
    idem = command("idempotency", _idempotency, "idempotency-key chores")
    idem.add_argument("action", choices=["purge"], help="purge: delete expired keys")
    command("relay", _relay, "publish committed outbox rows to the broker until stopped")
    outbox = command("outbox", _outbox, "outbox chores: one relay pass, status, retry, purge")
    outbox.add_argument("action", choices=["process", "status", "retry-dead", "purge"])
    outbox.add_argument("--limit", type=int, default=50, help="process: rows in the pass")
    outbox.add_argument("--id", help="retry-dead: one message id instead of all")
    client_events = command("events", _client_events, "the public event log's chores")
    client_events.add_argument(
        "action", choices=["purge"], help="purge: delete events past EVENT_RETENTION_DAYS"
    )
    inbox_ = command("processed-messages", _processed, "consumer-inbox chores")
    inbox_.add_argument("action", choices=["purge"], help="purge rows past their retention")
    dead = command("dead-letters", _dead_letters, "messages that exhausted their retries")
    dead.add_argument("action", choices=["list", "replay"])
    dead.add_argument("message_id", nargs="?", help="replay: one message id")
    dead.add_argument("--all", action="store_true", help="replay: every dead letter")
    webhook = command("webhook", _webhook, "print the X-Provider-Signature header for a body")
    webhook.add_argument("action", choices=["sign"])
    webhook.add_argument("--file", required=True, help="the exact body bytes to sign")
    inbox = command("inbox", _inbox, "webhook inbox: apply unprocessed events once, or status")
    inbox.add_argument("action", choices=["process", "status"])
    inbox.add_argument("--limit", type=int, default=50, help="process: events in the pass")
    inbox.add_argument(
        "--retry-not-found", action="store_true", help="process: retry payout_not_found events"
    )
    ledger = command("ledger", _ledger, "check the ledger's invariants; non-zero exit if broken")
    ledger.add_argument("action", choices=["verify"])
    ledger.add_argument(
        "--in-flight-seconds",
        type=int,
        default=LEDGER_IN_FLIGHT_SECONDS,
        help="a payout that changed this recently may still have its ledger entry on its way;"
        " 0 when the service is quiet (default %(default)s)",
    )
    command("provider-mock", _provider_mock, "serve the stand-in payment provider on HOST:PORT")
    payouts = command("payouts", _payouts, "the review queue: list flagged payouts, resolve one")
    payouts.add_argument("action", choices=["review", "resolve"])
    payouts.add_argument("payout_id", nargs="?", help="resolve: the payout")
    payouts.add_argument("--limit", type=int, default=100, help="review: payouts listed")
    payouts.add_argument(
        "--outcome", choices=["success", "failed"], help="resolve: force it (with --reason)"
    )
    payouts.add_argument("--reason", help="resolve: why, kept in the audit log")
    payouts.add_argument(
        "--i-checked-with-the-provider",
        action="store_true",
        help="resolve: force an outcome although the provider's lookup did not say 'never taken'",
    )
    payouts.add_argument("--operator", default=None, help="resolve: who decides (default: $USER)")
    batch = command("batch", _batch, "payout batches from CSV files: submit and follow, status")
    add_batch_arguments(batch)
    provider = command("provider", _provider, "compare every payout with the provider's record")
    provider.add_argument("action", choices=["audit"])
    provider.add_argument("--since", default="7d", help="ISO-8601 time, or 7d / 12h / 30m ago")
    provider.add_argument(
        "--tolerance-seconds",
        type=int,
        default=None,
        help="how long the provider may be final before we are (PROVIDER_AUDIT_TOLERANCE_SECONDS)",
    )
    reconcile = command(
        "reconcile",
        _reconcile,
        "ask the provider about accepted payouts whose outcome is late"
        " (and successful ones that may have come back: RECONCILE_RETURN_WINDOW_DAYS)",
    )
    reconcile.add_argument(
        "--repeat", action="store_true", help="every RECONCILE_INTERVAL_SECONDS until stopped"
    )
    return parser


def _with_database(settings: Settings, work: Callable[[SqlUnitOfWorkFactory], Awaitable[T]]) -> T:
    async def run() -> T:
        await open_database(settings)
        try:
            return await work(SqlUnitOfWorkFactory(dialect_for_url(settings.database_url)))
        finally:
            await close_database()

    return asyncio.run(run())


def _migrate(settings: Settings, _: argparse.Namespace) -> None:
    from payout_service.infrastructure.db.migrations import apply_migrations

    async def run() -> list[str]:
        try:
            return await apply_migrations(settings)
        finally:
            await close_database()

    applied = asyncio.run(run())
    print(f"migrations applied: {', '.join(applied) if applied else 'none needed'}")


def _seed(settings: Settings, _: argparse.Namespace) -> None:
    from payout_service.infrastructure.db.seed import DEMO_API_KEY, DEMO_USER_ID, seed_demo

    created = _with_database(settings, lambda uow: seed_demo(uow, SystemClock().now()))
    print(f"demo user {DEMO_USER_ID} {'created' if created else 'already present'}")
    print(f"demo API key: {DEMO_API_KEY}")


def _api_key(settings: Settings, args: argparse.Namespace) -> None:
    from payout_service.application.authenticate import new_api_key
    from payout_service.infrastructure.db.seed import add_api_key

    key = new_api_key()

    async def work(uow: SqlUnitOfWorkFactory) -> None:
        async with uow() as tx:
            await add_api_key(tx.session, args.user, key, args.label, SystemClock().now())
            await tx.commit()

    _with_database(settings, work)
    print(key)


def _idempotency(settings: Settings, _: argparse.Namespace) -> None:
    from payout_service.infrastructure.db.maintenance import purge_expired_idempotency_keys

    count = _with_database(
        settings, lambda uow: purge_expired_idempotency_keys(uow, SystemClock().now())
    )
    print(f"expired idempotency keys purged: {count}")


def _relay(settings: Settings, _: argparse.Namespace) -> None:
    """Runs until SIGTERM/SIGINT; the batch in hand is finished and settled before it exits."""
    from prometheus_client import start_http_server

    from payout_service.bootstrap import build_relay
    from payout_service.infrastructure.metrics import PrometheusMetrics

    metrics = PrometheusMetrics.for_process()
    metrics_server = start_http_server(settings.port, settings.host, metrics.registry)[0]

    async def work(uow: SqlUnitOfWorkFactory) -> None:
        relay = build_relay(settings, uow, metrics)
        stop, wake = asyncio.Event(), asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        log = logging.getLogger("payout_service.relay")
        log.info("relay started")
        await relay.run(stop, settings.relay_poll_interval_ms / 1000, wake)
        log.info("relay stopped: the last batch is published and settled")

    _with_database(settings, work)
    metrics_server.shutdown()


def _outbox(settings: Settings, args: argparse.Namespace) -> None:
    from dataclasses import replace

    from payout_service.bootstrap import build_relay
    from payout_service.infrastructure.outbox import status as outbox

    now = SystemClock().now()
    if args.action == "process":
        limited = replace(settings, relay_batch_size=args.limit)
        count = _with_database(limited, lambda uow: build_relay(limited, uow).publish_pending())
        print(f"outbox rows published: {count}")
    elif args.action == "status":
        state = _with_database(settings, lambda uow: outbox.outbox_status(uow, now))
        print(f"backlog: {state.backlog}")
        print(f"oldest unpublished age: {state.oldest_unpublished_age_seconds:.1f} s")
        print(f"dead: {state.dead}")
    elif args.action == "retry-dead":
        count = _with_database(settings, lambda uow: outbox.retry_dead(uow, now, args.id))
        print(f"dead outbox rows back to pending: {count}")
    else:
        cutoff = now - outbox.retention(hours=settings.outbox_retention_hours)
        count = _with_database(settings, lambda uow: outbox.purge_published(uow, cutoff))
        print(f"published outbox rows purged: {count}")


def _processed(settings: Settings, _: argparse.Namespace) -> None:
    from payout_service.infrastructure.outbox import status as outbox

    days = max(settings.processed_message_retention_days, 7)  # never below NServiceBus's 7 days
    cutoff = SystemClock().now() - outbox.retention(days=days)
    count = _with_database(settings, lambda uow: outbox.purge_processed_messages(uow, cutoff))
    print(f"processed-message rows purged: {count}")


def _client_events(settings: Settings, _: argparse.Namespace) -> None:
    from payout_service.application.purge_client_events import purge_client_events

    cutoff = SystemClock().now() - timedelta(days=max(settings.event_retention_days, 1))
    count = _with_database(settings, lambda uow: purge_client_events(uow, cutoff))
    print(f"client events purged: {count}")


def _dead_letters(settings: Settings, args: argparse.Namespace) -> int:
    from payout_service.infrastructure.broker import build_broker
    from payout_service.infrastructure.dead_letters import list_dead_letters, replay_dead_letters

    broker = build_broker(settings)
    if args.action == "list":
        letters = list_dead_letters(broker)
        for letter in letters:
            print(
                f"{letter.message_id}  {letter.queue}/{letter.actor}  "
                f"{letter.died_at.isoformat()}  {letter.error}"
            )
        print(f"dead letters: {len(letters)}")
        return 0
    if not args.all and not args.message_id:
        print("name a message id or pass --all", file=sys.stderr)
        return 2
    count = replay_dead_letters(broker, None if args.all else args.message_id)
    print(f"dead letters replayed: {count}")
    return 0


def _webhook(settings: Settings, args: argparse.Namespace) -> int:
    """Signs with the first configured secret, as the provider would with its current one."""
    import time

    from payout_service.infrastructure.webhook_signature import (
        SIGNATURE_HEADER,
        signature_header,
    )

    if not settings.webhook_secrets:
        print("PROVIDER_WEBHOOK_SECRETS is empty: nothing to sign with", file=sys.stderr)
        return 2
    body = Path(args.file).read_bytes()
    header = signature_header(body, settings.webhook_secrets[:1], int(time.time()))
    print(f"{SIGNATURE_HEADER}: {header}")
    return 0


def _inbox(settings: Settings, args: argparse.Namespace) -> None:
    from payout_service.application.apply_webhook import ApplyWebhook
    from payout_service.infrastructure.db.inbox_status import inbox_status

    if args.action == "process":
        results = _with_database(
            settings,
            lambda uow: ApplyWebhook(uow, SystemClock()).process_pending(
                args.limit, args.retry_not_found
            ),
        )
        for r in results:
            print(f"inbox event {r.inbox_event_id}: {r.result} (payout {r.payout_id or '-'})")
        print(f"inbox events processed: {len(results)}")
        return
    state = _with_database(settings, inbox_status)
    for result, count in sorted(state.by_result.items()):
        print(f"{result}: {count}")
    print(f"unprocessed: {state.unprocessed}")
    print(f"payload conflicts: {state.payload_conflicts}")


def _ledger(settings: Settings, args: argparse.Namespace) -> int:
    from payout_service.infrastructure.db.ledger_verification import verify_ledger

    quiet_since = SystemClock().now() - timedelta(seconds=max(args.in_flight_seconds, 0))
    report = _with_database(settings, lambda uow: verify_ledger(uow, quiet_since))
    print(
        f"accounts: {report.accounts}  postings: {report.postings}  "
        f"debits: {report.total_debits_minor}  credits: {report.total_credits_minor}"
    )
    for violation in report.violations:
        print(f"VIOLATION: {violation}")
    print("ledger clean" if report.clean else f"ledger violations: {len(report.violations)}")
    return 0 if report.clean else 1


def _payouts(settings: Settings, args: argparse.Namespace) -> int:
    from payout_service.operator_commands import default_operator, payouts_command

    args.operator = args.operator or default_operator()
    return payouts_command(settings, args, _with_database)


def _batch(settings: Settings, args: argparse.Namespace) -> int:
    from payout_service.batch_commands import batch_command

    return batch_command(settings, args, _with_database)


def _provider(settings: Settings, args: argparse.Namespace) -> int:
    from payout_service.operator_commands import provider_command

    return provider_command(settings, args, _with_database)


def _provider_mock(settings: Settings, _: argparse.Namespace) -> None:
    from payout_service.provider_mock.app import run_mock
    from payout_service.provider_mock.provider import MockConfig

    config = MockConfig.from_settings(settings)
    logging.getLogger("payout_service.provider_mock").info(
        "provider mock serving",
        extra={"url": f"http://{settings.host}:{settings.port}/", "mode": str(config.mode)},
    )
    run_mock(config, settings.host, settings.port)


def _reconcile(settings: Settings, args: argparse.Namespace) -> None:
    """One pass; with --repeat, one pass per RECONCILE_INTERVAL_SECONDS until SIGTERM/SIGINT."""
    from payout_service.bootstrap import build_reconciler

    async def work(uow: SqlUnitOfWorkFactory) -> None:
        reconcile, provider = build_reconciler(settings, uow)
        try:
            if args.repeat:
                await _reconcile_repeatedly(reconcile, settings.reconcile_interval_seconds)
            else:
                print(_reconciled(await reconcile()))
        finally:
            await provider.close()

    _with_database(settings, work)


async def _reconcile_repeatedly(reconcile: ReconcilePayouts, interval_seconds: int) -> None:
    """A failed pass (the database away, say) is logged, and the next one tried."""
    log = logging.getLogger("payout_service.reconciliation")
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        asyncio.get_running_loop().add_signal_handler(sig, stop.set)
    while not stop.is_set():
        try:
            log.info(_reconciled(await reconcile()))
        except Exception:
            log.exception("reconciliation pass failed; trying again next interval")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), interval_seconds)


def _reconciled(report: ReconcileReport) -> str:
    outcomes = ", ".join(f"{k}: {n}" for k, n in sorted(report.outcomes.items()))
    return (
        f"payouts checked: {report.checked}  {outcomes or 'nothing applied'}"
        f"  provider errors: {report.provider_errors}"
    )


def _web(settings: Settings, _: argparse.Namespace) -> None:
    from payout_service.web.server import run_web

    run_web(settings)


def _worker(settings: Settings, args: argparse.Namespace) -> None:
    from payout_service.infrastructure.worker_process import (
        dramatiq_command,
        exec_worker,
        worker_threads,
    )

    threads = args.threads if args.threads is not None else worker_threads(args.queues, settings)
    command = dramatiq_command(
        args.queues, args.processes, threads, settings.shutdown_timeout_seconds
    )
    exec_worker(settings, command, port=settings.port)


def _dashboard(settings: Settings, _: argparse.Namespace) -> None:
    """Serves until SIGTERM/SIGINT; the dashboard keeps no state, so stopping is immediate."""
    from waitress import create_server

    from payout_service.infrastructure.dashboard import dashboard_app

    server = create_server(dashboard_app(settings), host=settings.host, port=settings.port)
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    logging.getLogger("payout_service.dashboard").info(
        "dashboard serving", extra={"url": f"http://{settings.host}:{settings.port}/"}
    )
    try:
        server.run()
    except KeyboardInterrupt:
        pass
    finally:
        server.close()


def _run(settings: Settings, args: argparse.Namespace) -> int:
    """The embedded first run: everything on this machine, stopped together by Ctrl-C."""
    from payout_service.run_command import run_every_process

    _migrate(settings, args)
    _seed(settings, args)
    return run_every_process(settings)


if __name__ == "__main__":
    sys.exit(main())
