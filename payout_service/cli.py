"""`payout-service`: one command-line entry point for every operator task."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import subprocess
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar

from payout_service.infrastructure.clock import SystemClock
from payout_service.infrastructure.db.database import close_database, open_database
from payout_service.infrastructure.db.dialect import dialect_for_url
from payout_service.infrastructure.db.unit_of_work import SqlUnitOfWorkFactory
from payout_service.infrastructure.settings import Settings

T = TypeVar("T")
PROJECT_ROOT = Path(__file__).resolve().parents[1]


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    settings = Settings.from_env()
    logging.basicConfig(
        level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s %(message)s"
    )
    return int(args.handler(settings, args) or 0)


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
    inbox_ = command("processed-messages", _processed, "consumer-inbox chores")
    inbox_.add_argument("action", choices=["purge"], help="purge rows past their retention")
    dead = command("dead-letters", _dead_letters, "messages that exhausted their retries")
    dead.add_argument("action", choices=["list", "replay"])
    dead.add_argument("message_id", nargs="?", help="replay: one message id")
    dead.add_argument("--all", action="store_true", help="replay: every dead letter")
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
    from payout_service.bootstrap import build_relay

    async def work(uow: SqlUnitOfWorkFactory) -> None:
        relay = build_relay(settings, uow)
        stop, wake = asyncio.Event(), asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        logging.getLogger("payout_service.relay").info("relay started")
        await relay.run(stop, settings.relay_poll_interval_ms / 1000, wake)

    _with_database(settings, work)


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


def _dead_letters(settings: Settings, args: argparse.Namespace) -> int:
    from payout_service.infrastructure.broker import build_broker
    from payout_service.infrastructure.dead_letters import list_dead_letters, replay_dead_letters

    broker = build_broker(settings)
    if args.action == "list":
        letters = list_dead_letters(broker)
        for letter in letters:
            print(f"{letter.message_id}  {letter.queue}/{letter.actor}  "
                  f"{letter.died_at.isoformat()}  {letter.error}")
        print(f"dead letters: {len(letters)}")
        return 0
    if not args.all and not args.message_id:
        print("name a message id or pass --all", file=sys.stderr)
        return 2
    count = replay_dead_letters(broker, None if args.all else args.message_id)
    print(f"dead letters replayed: {count}")
    return 0


def _web(settings: Settings, _: argparse.Namespace) -> None:
    from payout_service.web.server import run_web

    run_web(settings)


def _run(settings: Settings, args: argparse.Namespace) -> int:
    """The embedded first run: everything on this machine, stopped together by Ctrl-C."""
    from payout_service.infrastructure.embedded_redis import EmbeddedRedis

    _migrate(settings, args)
    _seed(settings, args)
    env = dict(os.environ, DATABASE_URL=settings.database_url, PYTHONUNBUFFERED="1")
    with (
        EmbeddedRedis(PROJECT_ROOT / "var" / "redis")
        if not settings.redis_url
        else _Given(settings.redis_url) as redis
    ):
        env["REDIS_URL"] = redis.url
        print(f"Redis: {redis.url}")
        print(f"API:   http://{settings.host}:{settings.port}  (try GET /ready)")
        honcho = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "honcho",
                "start",
                "-f",
                str(PROJECT_ROOT / "Procfile"),
                "-p",
                str(settings.port),
            ],
            env=env,
            cwd=PROJECT_ROOT,
        )
        # Ctrl-C reaches honcho through the terminal's process group; SIGTERM is passed on.
        signal.signal(signal.SIGTERM, lambda *_: honcho.terminate())
        while True:
            try:
                return honcho.wait()
            except KeyboardInterrupt:
                continue


class _Given:
    """An operator-supplied Redis: nothing to start or stop."""

    def __init__(self, url: str) -> None:
        self.url = url

    def __enter__(self) -> _Given:
        return self

    def __exit__(self, *_: object) -> None:
        return None


if __name__ == "__main__":
    sys.exit(main())
