"""`payout-service`: one command-line entry point for every operator task.

Settings come from the environment over the project's .env and, while `make run` is up, its
var/run.env: a command in a second terminal acts on the running stack. A setting the service
cannot use stops any command with one line on stderr and exit code 2.
"""

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
from datetime import timedelta
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import TYPE_CHECKING

from payout_service.account_commands import (
    add_accounts_arguments,
    add_api_key_actions,
    add_users_arguments,
)
from payout_service.batch_commands import add_batch_arguments
from payout_service.command_database import with_database
from payout_service.command_tree import Commands, add_command, add_group
from payout_service.infrastructure.clock import SystemClock
from payout_service.infrastructure.dotenv import DotenvError
from payout_service.infrastructure.environment_files import (
    ConfiguredEnvironment,
    configured_environment,
)
from payout_service.infrastructure.logs import configure_logging
from payout_service.infrastructure.settings import Settings, SettingsError
from payout_service.message_commands import add_message_commands
from payout_service.operator_commands import add_operator_commands

if TYPE_CHECKING:
    from payout_service.application.reconcile_payouts import ReconcilePayouts, ReconcileReport
    from payout_service.infrastructure.db.unit_of_work import SqlUnitOfWorkFactory

BAD_SETTING = 2


def main(argv: list[str] | None = None) -> int:
    _dump_stacks_on_sigusr1()
    args = _parser().parse_args(argv)
    environment: ConfiguredEnvironment | None = None
    try:
        environment = configured_environment()
        settings = Settings.from_env(environment.values, environment.root)
        if args.needs_redis and not settings.redis_url:
            raise SettingsError(_no_redis(args), "REDIS_URL")
        configure_logging(settings)
        return int(args.handler(settings, args) or 0)
    except (SettingsError, DotenvError) as error:
        print(f"payout-service: {_explained(error, environment)}", file=sys.stderr)
        return BAD_SETTING


def _explained(
    error: SettingsError | DotenvError, environment: ConfiguredEnvironment | None
) -> str:
    """The error, and the file that set the variable when one did: that is where to fix it."""
    variable = getattr(error, "variable", None)
    file = environment.files.get(variable) if environment and variable else None
    return f"{error} (set in {file})" if file else str(error)


def _no_redis(args: argparse.Namespace) -> str:
    command = " ".join(filter(None, [args.command, getattr(args, "action", None)]))
    return (
        f"REDIS_URL is not set: `payout-service {command}` needs the broker's Redis. Start the"
        " stack with `make run` (it writes its REDIS_URL to var/run.env) or set REDIS_URL"
    )


def _dump_stacks_on_sigusr1() -> None:
    """`kill -USR1 <pid>` prints every thread's stack to stderr: where a process that does not
    come up, or does not stop, is waiting. Not where stderr is no file (main() called from
    a test that captures it)."""
    with contextlib.suppress(AttributeError, ValueError, io.UnsupportedOperation):
        faulthandler.register(signal.SIGUSR1, all_threads=True)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="payout-service",
        description=__doc__,
        epilog="Each command has its own --help, with an example: payout-service outbox --help",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    parser.set_defaults(needs_redis=False)  # a leaf that needs Redis says so (command_tree)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _add_process_commands(commands)
    _add_setup_commands(commands)
    add_message_commands(commands)
    add_operator_commands(commands)
    batch = commands.add_parser(
        "batch", help="payout batches from CSV files: submit and follow, status"
    )
    batch.set_defaults(handler=_batch)
    add_batch_arguments(batch)
    _add_retention_commands(commands)
    return parser


def _version() -> str:
    try:
        return version("payout-service")
    except PackageNotFoundError:
        return "(not installed)"


def _add_process_commands(commands: Commands) -> None:
    """The long-running processes of the Procfile, and `run`, which starts them all."""
    add_command(
        commands,
        "run",
        "migrate, seed the demo data and start every Procfile process",
        ["payout-service run", "PORT=9000 payout-service run    # ports 9000, 9100, ..."],
        _run,
    )
    add_command(
        commands,
        "web",
        "serve the HTTP API on HOST:PORT, with WEB_CONCURRENCY processes",
        ["PORT=8000 payout-service web", "WEB_CONCURRENCY=4 payout-service web"],
        _web,
    )
    add_command(
        commands,
        "relay",
        "publish committed outbox rows to the broker until stopped; metrics on PORT",
        ["PORT=8100 payout-service relay"],
        _relay,
        needs_redis=True,
    )
    worker = add_command(
        commands,
        "worker",
        "run Dramatiq workers on QUEUEs; metrics on PORT",
        ["PORT=8200 payout-service worker events --processes 1 --threads 4"],
        _worker,
        needs_redis=True,
    )
    worker.add_argument("queues", nargs="+", metavar="QUEUE")
    worker.add_argument("--processes", type=int, default=1)
    worker.add_argument(
        "--threads",
        type=int,
        default=None,
        help="messages handled at once per process (default: PROVIDER_SEND_CONCURRENCY on the"
        " provider-send queue, else 4)",
    )
    add_command(
        commands,
        "dashboard",
        "serve the Dramatiq dashboard on HOST:PORT",
        ["PORT=8700 payout-service dashboard"],
        _dashboard,
        needs_redis=True,
    )
    add_command(
        commands,
        "provider-mock",
        "serve the stand-in payment provider on HOST:PORT",
        ["PORT=8500 MOCK_PROVIDER_MODE=random payout-service provider-mock"],
        _provider_mock,
    )
    reconcile = add_command(
        commands,
        "reconcile",
        "ask the provider about accepted payouts whose outcome is late"
        " (and successful ones that may have come back: RECONCILE_RETURN_WINDOW_DAYS)",
        ["payout-service reconcile", "payout-service reconcile --repeat"],
        _reconcile,
    )
    reconcile.add_argument(
        "--repeat", action="store_true", help="every RECONCILE_INTERVAL_SECONDS until stopped"
    )


def _add_setup_commands(commands: Commands) -> None:
    add_command(
        commands,
        "migrate",
        "bring the database schema up to date",
        ["payout-service migrate"],
        _migrate,
    )
    add_command(
        commands,
        "seed",
        "create the demo user, balances and API key (idempotent)",
        ["payout-service seed"],
        _seed,
    )
    api_key = add_group(
        commands,
        "api-key",
        "the API keys users call the service with",
        ["payout-service api-key create --user 123 --label checkout"],
    )
    create = add_command(
        api_key,
        "create",
        "create an API key for a user and print it once (only its hash is kept)",
        ["payout-service api-key create --user 123 --label checkout"],
        _api_key_create,
    )
    create.add_argument("--user", type=int, required=True, metavar="ID")
    create.add_argument("--label", default="", help="what the key is for")
    add_api_key_actions(api_key)
    for action in ("list", "revoke"):
        api_key.choices[action].set_defaults(handler=_api_keys, needs_redis=False)
    users = commands.add_parser("users", help="the users who pay out: create")
    users.set_defaults(handler=_users, needs_redis=False)
    add_users_arguments(users)
    accounts = commands.add_parser(
        "accounts", help="a user's accounts: open one, credit money arriving"
    )
    accounts.set_defaults(handler=_accounts, needs_redis=False)
    add_accounts_arguments(accounts)
    webhook = add_group(
        commands,
        "webhook",
        "provider webhooks by hand",
        ["payout-service webhook sign --file webhook.json"],
    )
    sign = add_command(
        webhook,
        "sign",
        "print the X-Provider-Signature header for a body, signed with the first secret of"
        " PROVIDER_WEBHOOK_SECRETS",
        [
            "payout-service webhook sign --file webhook.json",
            '  X-Provider-Signature: t=1767225600,v1=5f0c...   (curl -H "$(...)" sends it)',
        ],
        _webhook_sign,
    )
    sign.add_argument("--file", required=True, help="the exact body bytes to sign")


def _add_retention_commands(commands: Commands) -> None:
    idempotency = add_group(
        commands, "idempotency", "idempotency-key chores", ["payout-service idempotency purge"]
    )
    add_command(
        idempotency,
        "purge",
        "delete keys past IDEMPOTENCY_KEY_TTL_HOURS",
        ["payout-service idempotency purge"],
        _idempotency_purge,
    )
    client_events = add_group(
        commands, "events", "the public event log's chores", ["payout-service events purge"]
    )
    add_command(
        client_events,
        "purge",
        "delete client events past EVENT_RETENTION_DAYS",
        ["payout-service events purge"],
        _client_events_purge,
    )


def _migrate(settings: Settings, _: argparse.Namespace) -> None:
    from payout_service.infrastructure.db.database import close_database
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

    created = with_database(settings, lambda uow: seed_demo(uow, SystemClock().now()))
    print(f"demo user {DEMO_USER_ID} {'created' if created else 'already present'}")
    print(f"demo API key: {DEMO_API_KEY}")


def _api_key_create(settings: Settings, args: argparse.Namespace) -> None:
    from payout_service.application.authenticate import new_api_key
    from payout_service.infrastructure.db.seed import add_api_key

    key = new_api_key()

    async def work(uow: SqlUnitOfWorkFactory) -> None:
        async with uow() as tx:
            await add_api_key(tx.session, args.user, key, args.label, SystemClock().now())
            await tx.commit()

    with_database(settings, work)
    print(key)


def _idempotency_purge(settings: Settings, _: argparse.Namespace) -> None:
    from payout_service.infrastructure.db.maintenance import purge_expired_idempotency_keys

    count = with_database(
        settings, lambda uow: purge_expired_idempotency_keys(uow, SystemClock().now())
    )
    print(f"expired idempotency keys purged: {count}")


def _client_events_purge(settings: Settings, _: argparse.Namespace) -> None:
    from payout_service.application.purge_client_events import purge_client_events

    cutoff = SystemClock().now() - timedelta(days=max(settings.event_retention_days, 1))
    count = with_database(settings, lambda uow: purge_client_events(uow, cutoff))
    print(f"client events purged: {count}")


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

    with_database(settings, work)
    metrics_server.shutdown()


def _webhook_sign(settings: Settings, args: argparse.Namespace) -> int:
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


def _users(settings: Settings, args: argparse.Namespace) -> int:
    from payout_service.account_commands import users_command

    return users_command(settings, args, with_database)


def _accounts(settings: Settings, args: argparse.Namespace) -> int:
    from payout_service.account_commands import accounts_command

    return accounts_command(settings, args, with_database)


def _api_keys(settings: Settings, args: argparse.Namespace) -> int:
    from payout_service.account_commands import api_key_command

    return api_key_command(settings, args, with_database)


def _batch(settings: Settings, args: argparse.Namespace) -> int:
    from payout_service.batch_commands import batch_command

    return batch_command(settings, args, with_database)


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
    """One pass; with --repeat, one pass per RECONCILE_INTERVAL_SECONDS until SIGTERM/SIGINT,
    serving GET /metrics on PORT: the payouts its passes end are counted there."""
    from prometheus_client import start_http_server

    from payout_service.bootstrap import build_reconciler
    from payout_service.infrastructure.metrics import PrometheusMetrics

    metrics = PrometheusMetrics.for_process()
    server = (
        start_http_server(settings.port, settings.host, metrics.registry)[0]
        if args.repeat
        else None
    )

    async def work(uow: SqlUnitOfWorkFactory) -> None:
        uow.metrics = metrics
        reconcile, provider = build_reconciler(settings, uow)
        try:
            if args.repeat:
                await _reconcile_repeatedly(reconcile, settings.reconcile_interval_seconds)
            else:
                print(_reconciled(await reconcile()))
        finally:
            await provider.close()

    with_database(settings, work)
    if server is not None:
        server.shutdown()


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


def _web(settings: Settings, _: argparse.Namespace) -> int:
    """WEB_CONCURRENCY 1: this process serves; more: it runs that many that do."""
    if settings.web_concurrency > 1 and settings.port == 0:
        # each process would listen on a port of its own choosing: no tier behind one port
        raise SettingsError(
            "PORT must be a port number, not 0, when WEB_CONCURRENCY is above 1: its processes"
            " share one port",
            "PORT",
        )
    if settings.web_concurrency > 1:
        from payout_service.web.process_tier import run_web_tier

        return run_web_tier(settings)
    from payout_service.web.server import run_web

    run_web(settings)
    return 0


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
    from payout_service.run_command import other_run, run_every_process

    running = other_run(settings)
    if running is not None:
        print(f"payout-service: {running}", file=sys.stderr)
        return BAD_SETTING
    _migrate(settings, args)
    _seed(settings, args)
    return run_every_process(settings)


if __name__ == "__main__":
    sys.exit(main())
