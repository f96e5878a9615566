"""Chaos: N payouts driven through every process type (web, relay, events, inbox, provider-send,
notify, provider-mock in `random` mode) while a random process type is SIGKILLed at random
moments and restarted, and Redis and MariaDB (private ones, started here) are each stopped and
restarted once.

The mock provider runs in its widened `random` mode: it also takes payouts and then answers 500,
times out after taking them, answers a broken 2xx, answers 409 to retries, and duplicates and
reorders its webhooks; its payouts persist in a file, so its truth survives its restarts. It sends
back CHAOS_RETURN_PERCENT (default 5) of its paid payouts half a second after paying them, and
reconciliation looks for returns too, so money also comes back while everything dies. Among the
single payouts go CHAOS_BATCHES batches of CHAOS_BATCH_ITEMS items (default 2 of 20), some
cancelled: each batch's counters must match its items, and it completes once when they end.

Then, once the system is quiet: every payout final or reconcilable, every outbox row published,
every return the mock made applied, credited once, every client event delivered to the demo
user's webhook endpoint (signed, each payout's in order, whatever was killed), `payout-service
ledger verify` clean, no double debit, each webhook applied once, one audit row per event, and
`payout-service provider audit` finds no double-pay risk and no unrecorded payment. Small by
default (CHAOS_PAYOUTS=30, CHAOS_SECONDS=20); larger with e.g.
`CHAOS_PAYOUTS=500 CHAOS_SECONDS=120 pytest tests/chaos`. CHAOS_SEED repeats a run.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
import os
import random
import shutil
import sqlite3
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import asyncmy
import pytest
import redis.asyncio as aioredis
from aiohttp import web

from payout_service.application.event_routes import ROUTES
from payout_service.infrastructure.broker import NAMESPACE
from payout_service.infrastructure.db.seed import DEMO_API_KEY, DEMO_USER_ID
from tests.chaos.cluster import PROCESS_TYPES, Cluster
from tests.chaos.private_servers import PrivateMariaDB
from tests.private_redis import PrivateRedis
from tests.processes import Output, free_port, service_environment, start_command

PAYOUTS = int(os.environ.get("CHAOS_PAYOUTS", "30"))
# Batches sent among the single payouts (every other one per_item; every third cancelled once).
BATCHES = int(os.environ.get("CHAOS_BATCHES", "2"))
BATCH_ITEMS = int(os.environ.get("CHAOS_BATCH_ITEMS", "20"))
SECONDS = float(os.environ.get("CHAOS_SECONDS", "20"))
SEED = int(os.environ.get("CHAOS_SEED", str(random.randrange(1_000_000))))
OUTAGE_SECONDS = 2.0
CREATE_GIVE_UP_SECONDS = 60.0
SETTLE_TIMEOUT_SECONDS = 90.0
SECRET = "whsec_chaos_0123456789"
AUTH = {"Authorization": f"Bearer {DEMO_API_KEY}"}
QUEUES = sorted({c.queue for consumers in ROUTES.values() for c in consumers})
RETURN_PERCENT = os.environ.get("CHAOS_RETURN_PERCENT", "5")
FINAL = ("success", "failed", "cancelled", "returned")
# provider-send's deliberate stop when an attempt's outcome is unknown (a timeout): the payout
# stays processing for an operator to check with the provider, never failed on a guess.
GAVE_UP = "needs_review"


@dataclass
class ClientReceiver:
    """The demo user's webhook endpoint (every event type): records each delivery it receives,
    in arrival order, once its signature checks out."""

    arrivals: list[dict[str, Any]] = field(default_factory=list)
    forged: int = 0
    secret: str = ""
    after_sequence: int = 0
    _runner: web.AppRunner | None = None
    _port: int = 0

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/hook", self._receive)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        self._port = free_port()
        await web.TCPSite(self._runner, "127.0.0.1", self._port).start()

    async def register(self, base_url: str) -> None:
        body = {"url": f"http://127.0.0.1:{self._port}/hook", "event_types": ["*"]}
        async with aiohttp.ClientSession() as session:
            for _ in range(60):  # bounded: the web process is up, but be patient with it
                with contextlib.suppress(aiohttp.ClientError):
                    async with session.post(
                        f"{base_url}/api/webhook-endpoints", json=body, headers=AUTH
                    ) as response:
                        if response.status == 201:
                            created = await response.json()
                            self.secret = created["secret"]
                            self.after_sequence = int(created["after_sequence"])
                            return
                await asyncio.sleep(0.5)
        raise AssertionError("the webhook endpoint could not be registered")

    async def _receive(self, request: web.Request) -> web.Response:
        body = await request.read()
        header = request.headers.get("Payout-Signature", "")
        t = dict(p.split("=", 1) for p in header.split(",") if "=" in p).get("t", "")
        expected = hmac.new(self.secret.encode(), f"{t}.".encode() + body, hashlib.sha256)
        if f"v1={expected.hexdigest()}" not in header.split(","):
            self.forged += 1
            return web.Response(status=400)
        self.arrivals.append(json.loads(body))
        return web.Response(status=204)

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()


@dataclass
class Drive:
    created: dict[str, str] = field(default_factory=dict)  # external_reference -> payout id
    gave_up: list[str] = field(default_factory=list)
    retries: int = 0
    cancels: int = 0
    batches: dict[str, str] = field(default_factory=dict)  # Idempotency-Key -> batch id
    batch_cancels: int = 0


@dataclass
class World:
    cluster: Cluster
    redis: PrivateRedis
    mariadb: PrivateMariaDB
    database_url: str
    environment: dict[str, str]
    base_url: str
    mock_db_path: Path
    client: ClientReceiver


def servers_installed() -> None:
    """Like the other real services: skipped locally without them, a failure in CI."""
    missing = [name for name in ("redis-server", "mariadbd", "mariadb-install-db")
               if not shutil.which(name) and not Path("/usr/sbin", name).exists()]  # fmt: skip
    if missing:
        message = f"{', '.join(missing)} not installed (scripts/test-services installs them)"
        pytest.fail(message) if os.environ.get("CI") else pytest.skip(message)


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    servers_installed()
    redis_server, mariadb = PrivateRedis(tmp_path, durable=True), PrivateMariaDB(tmp_path)
    await asyncio.gather(redis_server.start(), mariadb.initialise())
    web_port, mock_port = free_port(), free_port()
    database_url = mariadb.url("payouts_chaos")
    environment = service_environment(
        DATABASE_URL=database_url,
        REDIS_URL=redis_server.url,
        PROVIDER_WEBHOOK_SECRETS=SECRET,
        PROVIDER_BASE_URL=f"http://127.0.0.1:{mock_port}",
        PROVIDER_CONNECT_TIMEOUT_MS="500",
        PROVIDER_TOTAL_TIMEOUT_MS="1000",
        PROVIDER_SEND_MAX_ATTEMPTS="8",
        PROVIDER_SEND_FIRST_BACKOFF_MS="200",
        PROVIDER_SEND_MAX_BACKOFF_MS="1000",
        MOCK_PROVIDER_MODE="random",
        MOCK_PROVIDER_DB_PATH=str(tmp_path / "mock-provider.sqlite3"),
        MOCK_PROVIDER_STALL_MS="1500",
        MOCK_PROVIDER_STEP_DELAY_MS="100",
        MOCK_PROVIDER_WEBHOOK_URL=f"http://127.0.0.1:{web_port}/api/webhooks/provider",
        MOCK_PROVIDER_RETURN_PERCENT=RETURN_PERCENT,
        MOCK_PROVIDER_RETURN_DELAY_MS="500",
        RECONCILE_RETURN_WINDOW_DAYS="1",
        # The final pass asks about every success in the window at once (a running reconciler
        # would cover it batch by batch, pass after pass).
        RECONCILE_BATCH_SIZE="5000",
        ACTOR_MAX_RETRIES="30",
        ACTOR_MIN_BACKOFF_MS="200",
        ACTOR_MAX_BACKOFF_MS="2000",
        RELAY_POLL_INTERVAL_MS="100",
        RELAY_MIN_AGE_MS="500",
        RELAY_LEASE_SECONDS="5",
        BROKER_HEARTBEAT_TIMEOUT_MS="3000",
        BROKER_MAINTENANCE_CHANCE="200000",
        RECONCILE_AFTER_SECONDS="0",
        RECONCILE_STALLED_SEND_SECONDS="5",
        SHUTDOWN_TIMEOUT_SECONDS="5",
        DATABASE_POOL_SIZE="5",
        METRICS_DIR=str(tmp_path / "metrics"),
        LOG_LEVEL="INFO",
        PATH=os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")]),
    )
    for command in (("migrate",), ("seed",)):
        code, text = await run_cli(*command, env=environment)
        assert code == 0, text
    cluster = Cluster(environment, web_port, mock_port)
    client = ClientReceiver()
    try:
        await cluster.start()
        await client.start()
        await client.register(f"http://127.0.0.1:{web_port}")
        yield World(
            cluster,
            redis_server,
            mariadb,
            database_url,
            environment,
            f"http://127.0.0.1:{web_port}",
            tmp_path / "mock-provider.sqlite3",
            client,
        )
    finally:
        await client.stop()
        await cluster.stop()
        await asyncio.gather(redis_server.stop(), mariadb.stop())


async def run_cli(*args: str, env: dict[str, str]) -> tuple[int, str]:
    process = await start_command(*args, env=env)
    output = Output(process)
    await asyncio.wait_for(process.wait(), 120)
    await output.closed()
    return int(process.returncode or 0), output.text()


async def create_until_answered(
    session: aiohttp.ClientSession, base_url: str, n: int, drive: Drive
) -> None:
    """As a careful client would: the same Idempotency-Key until a definite answer."""
    reference = f"chaos-{n}"
    body = {
        "user_id": DEMO_USER_ID,
        "amount": "1.00",
        "currency": "USD",
        "wallet": f"W{n}",
        "external_reference": reference,
    }
    headers = {**AUTH, "Idempotency-Key": reference}
    loop = asyncio.get_running_loop()
    deadline = loop.time() + CREATE_GIVE_UP_SECONDS
    while loop.time() < deadline:
        try:
            async with session.post(
                f"{base_url}/api/payouts", json=body, headers=headers
            ) as response:
                if response.status == 201:
                    drive.created[reference] = (await response.json())["id"]
                    break
                text = await response.text()
                retryable = response.status >= 500 or "idempotency_key_in_flight" in text
                assert retryable, f"create {reference}: {response.status} {text}"
        except (aiohttp.ClientError, TimeoutError):
            pass
        drive.retries += 1
        await asyncio.sleep(0.2)  # back off before the retry, as a client does
    else:
        drive.gave_up.append(reference)
        return
    if n % 7 == 3:  # some are cancelled at once: 200 before the send, 409 after acceptance
        await cancel_once(session, base_url, drive.created[reference], drive)


async def create_batch_until_answered(
    session: aiohttp.ClientSession, base_url: str, k: int, drive: Drive
) -> None:
    """A batch, as a careful client sends it: the same key until a definite answer."""
    key = f"chaos-batch-{k}"
    body = {
        "mode": "per_item" if k % 2 else "all_or_nothing",
        "items": [
            {
                "amount": "1.00",
                "currency": "USD",
                "wallet": f"WB{k}-{i}",
                "external_reference": f"{key}-{i}",
            }
            for i in range(BATCH_ITEMS)
        ],
    }
    headers = {**AUTH, "Idempotency-Key": key}
    loop = asyncio.get_running_loop()
    deadline = loop.time() + CREATE_GIVE_UP_SECONDS
    while loop.time() < deadline:
        try:
            async with session.post(
                f"{base_url}/api/payout-batches", json=body, headers=headers
            ) as response:
                if response.status == 201:
                    drive.batches[key] = (await response.json())["id"]
                    break
                text = await response.text()
                retryable = response.status >= 500 or "idempotency_key_in_flight" in text
                assert retryable, f"batch {key}: {response.status} {text}"
        except (aiohttp.ClientError, TimeoutError):
            pass
        drive.retries += 1
        await asyncio.sleep(0.2)
    else:
        drive.gave_up.append(key)
        return
    if k % 3 == 2:
        for _ in range(50):
            with contextlib.suppress(aiohttp.ClientError, TimeoutError):
                url = f"{base_url}/api/payout-batches/{drive.batches[key]}/cancel"
                # a bulk cancel may ask the provider about items: longer than a create
                slow = aiohttp.ClientTimeout(total=60)
                async with session.post(url, headers=AUTH, timeout=slow) as response:
                    if response.status == 200:
                        drive.batch_cancels += (await response.json())["cancelled"]
                        return
            await asyncio.sleep(0.2)


async def cancel_once(
    session: aiohttp.ClientSession, base_url: str, payout_id: str, drive: Drive
) -> None:
    for _ in range(50):
        try:
            async with session.post(
                f"{base_url}/api/payouts/{payout_id}/cancel", headers=AUTH
            ) as response:
                if response.status in (200, 409):
                    drive.cancels += response.status == 200
                    return
        except (aiohttp.ClientError, TimeoutError):
            pass
        await asyncio.sleep(0.2)


async def drive_payouts(world: World, drive: Drive) -> None:
    """PAYOUTS creations spread evenly over SECONDS, and BATCHES batches among them."""
    batch_at = {(2 * k + 1) * PAYOUTS // (2 * BATCHES): k for k in range(BATCHES)}
    timeout = aiohttp.ClientTimeout(total=5)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        loop = asyncio.get_running_loop()
        started = loop.time()
        tasks = []
        for n in range(PAYOUTS):
            await asyncio.sleep(max(0.0, started + n * SECONDS / PAYOUTS - loop.time()))
            tasks.append(
                asyncio.create_task(create_until_answered(session, world.base_url, n, drive))
            )
            if n in batch_at:
                create = create_batch_until_answered(session, world.base_url, batch_at[n], drive)
                tasks.append(asyncio.create_task(create))
        await asyncio.gather(*tasks)


async def unleash_chaos(world: World, rng: random.Random) -> None:
    """SIGKILLs a random process type every 0.5-2 s; Redis and MariaDB go away once each."""
    loop = asyncio.get_running_loop()
    started = loop.time()
    outages: list[tuple[float, Any]] = [(0.3, world.redis), (0.6, world.mariadb)]
    while loop.time() - started < SECONDS:
        await asyncio.sleep(rng.uniform(0.5, 2.0))
        if outages and loop.time() - started >= outages[0][0] * SECONDS:
            _, server = outages.pop(0)
            await server.stop()
            await asyncio.sleep(OUTAGE_SECONDS)  # the outage itself
            await server.start()
            server.restarts += 1
        else:
            world.cluster.kill(rng.choice(PROCESS_TYPES).name)
    for _, server in outages:  # a short run still has both outages
        await server.restart()


async def query(world: World, statement: str) -> list[tuple[Any, ...]]:
    connection = await asyncmy.connect(
        host="127.0.0.1",
        port=world.mariadb.port,
        user=world.mariadb.user,
        password=world.mariadb.password,
        db="payouts_chaos",
    )
    try:
        async with connection.cursor() as cursor:
            await cursor.execute(statement)
            return list(await cursor.fetchall())
    finally:
        connection.close()


async def queued_messages(world: World) -> int:
    client = aioredis.Redis.from_url(world.redis.url)
    try:
        total = 0
        for queue in QUEUES:
            for suffix in ("", ".DQ"):
                total += await client.hlen(f"{NAMESPACE}:{queue}{suffix}.msgs")
        return total
    finally:
        await client.close()


async def redis_state(world: World) -> dict[str, int]:
    """Every key of the broker with its size: where unconsumed messages sit."""
    client = aioredis.Redis.from_url(world.redis.url)
    try:
        sizes = {}
        async for key in client.scan_iter(f"{NAMESPACE}:*"):
            kind = (await client.type(key)).decode()
            size = {"hash": client.hlen, "list": client.llen, "set": client.scard,
                    "zset": client.zcard}.get(kind)  # fmt: skip
            sizes[key.decode()] = await size(key) if size else -1
        return sizes
    finally:
        await client.close()


async def unsettled(world: World) -> dict[str, int]:
    """What is still moving: non-zero counts mean wait."""
    (counts,) = await query(
        world,
        "SELECT"
        " (SELECT COUNT(*) FROM outbox_messages WHERE status <> 'published'),"
        " (SELECT COUNT(*) FROM payouts WHERE status = 'pending'"
        "   OR (status = 'processing' AND provider_payout_id IS NULL AND NOT " + GAVE_UP + ")),"
        " (SELECT COUNT(*) FROM provider_webhook_events WHERE processed_at IS NULL),"
        " (SELECT COUNT(*) FROM webhook_deliveries WHERE status = 'pending')",
    )
    moving = dict(zip(("outbox", "payouts", "inbox", "deliveries"), map(int, counts), strict=True))
    moving["queued"] = await queued_messages(world)
    moving["returns"] = returns_to_come(world)
    return {k: v for k, v in moving.items() if v}


def returns_to_come(world: World) -> int:
    """The mock's paid payouts drawn to come back that have not yet: their return is news the
    service has still to hear."""
    if not world.mock_db_path.exists():
        return 0
    with contextlib.closing(sqlite3.connect(world.mock_db_path, timeout=5)) as store:
        (count,) = store.execute(
            "SELECT COUNT(*) FROM mock_payouts WHERE status = 'success' AND returns_at IS NOT NULL"
        ).fetchone()
    return int(count)


async def delivery_faults(world: World) -> tuple[list[str], list[str]]:
    """The client events of the demo user the endpoint never received, and those it first
    received after a later version of their payout."""
    logged = await query(
        world,
        f"SELECT event_id FROM client_events WHERE user_id = {DEMO_USER_ID}"
        f" AND sequence > {world.client.after_sequence}",
    )
    received = {a["id"] for a in world.client.arrivals}
    undelivered = [event_id for (event_id,) in logged if event_id not in received]
    first_seen: set[str] = set()
    newest: dict[str, int] = {}
    out_of_order = []
    for arrival in world.client.arrivals:
        if arrival["id"] in first_seen or arrival["payout_id"] is None:
            continue
        first_seen.add(arrival["id"])
        payout, version = arrival["payout_id"], int(arrival["payout_version"])
        if version < newest.get(payout, 0):
            out_of_order.append(arrival["id"])
        newest[payout] = max(version, newest.get(payout, 0))
    return undelivered, out_of_order


def mock_returned(world: World) -> list[str]:
    """Our payout ids (the mock's references) of the payouts the mock returned."""
    with contextlib.closing(sqlite3.connect(world.mock_db_path, timeout=5)) as store:
        found = store.execute("SELECT reference FROM mock_payouts WHERE status = 'returned'")
        return [reference for (reference,) in found]


async def until_quiet(world: World, timeout: float) -> dict[str, int]:
    """Polls until nothing moves (nothing announces it) or the timeout; what still moves."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    moving = await unsettled(world)
    while moving and loop.time() < deadline:
        await asyncio.sleep(0.5)
        moving = await unsettled(world)
    return moving


def provider_disagreements(audit_text: str) -> dict[str, int]:
    """The counts of `provider audit`'s "disagreements: kind n, ..." line."""
    line = next((ln for ln in audit_text.splitlines() if ln.startswith("disagreements:")), "")
    pairs = (item.split() for item in line.removeprefix("disagreements:").split(","))
    return {kind: int(count) for kind, count in (p for p in pairs if len(p) == 2)}


async def first_rows(world: World, statement: str) -> list[tuple[Any, ...]]:
    return (await query(world, statement))[:5]


INVARIANTS: dict[str, str] = {
    "payouts with a ledger line doubled": "SELECT payout_id, kind, COUNT(*) FROM"
    " account_ledger_entries WHERE account_id IS NOT NULL AND payout_id IS NOT NULL"
    " GROUP BY payout_id, kind HAVING COUNT(*) > 1",
    "payouts both debited and released": "SELECT payout_id FROM account_ledger_entries"
    " WHERE account_id IS NOT NULL AND kind IN ('debit', 'release')"
    " GROUP BY payout_id HAVING COUNT(DISTINCT kind) > 1",
    "final payouts whose hold is not settled as their status says": "SELECT p.id, p.status"
    " FROM payouts p WHERE p.status IN ('success', 'failed', 'cancelled', 'returned')"
    " AND NOT EXISTS (SELECT 1 FROM account_ledger_entries e WHERE e.payout_id = p.id"
    " AND e.account_id IS NOT NULL"
    " AND e.kind = IF(p.status IN ('success', 'returned'), 'debit', 'release'))",
    "returned payouts without their return credit": "SELECT p.id FROM payouts p"
    " WHERE p.status = 'returned' AND NOT EXISTS (SELECT 1 FROM account_ledger_entries e"
    " WHERE e.payout_id = p.id AND e.account_id IS NOT NULL AND e.kind = 'return')",
    "payouts with more than one outcome event": "SELECT aggregate_id FROM outbox_messages"
    " WHERE event_name IN ('payout.succeeded', 'payout.failed', 'payout.cancelled')"
    " GROUP BY aggregate_id HAVING COUNT(*) > 1",
    "webhook outcomes applied more than once": "SELECT payout_id, status FROM"
    " provider_webhook_events WHERE result = 'applied'"
    " AND status IN ('success', 'failed', 'returned')"
    " GROUP BY payout_id, status HAVING COUNT(*) > 1",
    "batches whose counters disagree with their items": "SELECT b.id FROM payout_batches b"
    " WHERE b.item_count <> (SELECT COUNT(*) FROM payouts p WHERE p.batch_id = b.id)"
    " OR b.succeeded <> (SELECT COUNT(*) FROM payouts p WHERE p.batch_id = b.id"
    " AND p.status IN ('success', 'returned'))"
    " OR b.failed <> (SELECT COUNT(*) FROM payouts p WHERE p.batch_id = b.id"
    " AND p.status = 'failed')"
    " OR b.cancelled <> (SELECT COUNT(*) FROM payouts p WHERE p.batch_id = b.id"
    " AND p.status = 'cancelled')"
    " OR b.returned <> (SELECT COUNT(*) FROM payouts p WHERE p.batch_id = b.id"
    " AND p.status = 'returned')",
    "batches not completed exactly once when their items ended": "SELECT b.id, b.status,"
    " COUNT(o.id) FROM payout_batches b LEFT JOIN outbox_messages o ON o.aggregate_id = b.id"
    " AND o.event_name = 'payout_batch.completed'"
    " GROUP BY b.id, b.status, b.succeeded, b.failed, b.cancelled, b.item_count"
    " HAVING COUNT(o.id) <> IF(b.succeeded + b.failed + b.cancelled = b.item_count, 1, 0)"
    " OR (b.status = 'processing') <> (b.succeeded + b.failed + b.cancelled < b.item_count)",
    "outbox rows not published": "SELECT id, event_name, status FROM outbox_messages"
    " WHERE status <> 'published'",
    "events without exactly one audit row": "SELECT o.id, o.event_name, COUNT(a.id) FROM"
    " outbox_messages o LEFT JOIN audit_logs a ON a.aggregate_id = o.aggregate_id"
    " AND a.event_name = o.event_name GROUP BY o.id, o.event_name HAVING COUNT(a.id) <> 1",
}


DOUBLING = (
    "payouts with a ledger line doubled",
    "payouts with more than one outcome event",
    "webhook outcomes applied more than once",
    "batches not completed exactly once when their items ended",
)


async def test_nothing_is_lost_or_doubled_while_processes_and_servers_die(world: World) -> None:
    rng = random.Random(SEED)
    drive = Drive()
    # When payouts are driven through the service while processes and servers die
    await asyncio.gather(drive_payouts(world, drive), unleash_chaos(world, rng))
    await world.cluster.all_ready()
    # and, once quiet, the reconciler has asked the provider about what it accepted
    still_moving = await until_quiet(world, SETTLE_TIMEOUT_SECONDS)
    code, text = await run_cli("reconcile", env=world.environment)
    assert code == 0, text
    still_moving = await until_quiet(world, SETTLE_TIMEOUT_SECONDS / 3)

    statuses = dict(await query(world, "SELECT status, COUNT(*) FROM payouts GROUP BY status"))
    stored = dict(await query(world, "SELECT external_reference, id FROM payouts"))
    lost = [r for r, pid in drive.created.items() if stored.get(r) != pid] + drive.gave_up
    items = dict(await query(world, "SELECT batch_id, COUNT(*) FROM payouts GROUP BY batch_id"))
    lost += [key for key, batch_id in drive.batches.items() if items.get(batch_id, 0) == 0]
    reconcilable = int(statuses.get("processing", 0))
    (operator,) = await query(world, "SELECT COUNT(*) FROM payouts WHERE " + GAVE_UP)
    broken = {name: await first_rows(world, sql) for name, sql in INVARIANTS.items()}
    doubled = sum([len(await query(world, INVARIANTS[name])) for name in DOUBLING])
    ledger_code, ledger_text = await run_cli(
        "ledger", "verify", "--in-flight-seconds", "0", env=world.environment
    )
    ledger_verdict = next((line for line in ledger_text.splitlines() if "ledger" in line), "?")
    audit_code, audit_text = await run_cli(
        "provider", "audit", "--since", "1d", env=world.environment
    )
    audit = provider_disagreements(audit_text)
    returned_there = mock_returned(world)
    ours = dict(await query(world, "SELECT id, CONCAT(status, IF(needs_review, '+review', ''))"
                                   " FROM payouts"))  # fmt: skip
    unreturned = {p: ours.get(p) for p in returned_there if ours.get(p) != "returned"}
    undelivered, out_of_order = await delivery_faults(world)
    kills, restarts = world.cluster.kills, world.cluster.restarts
    print(
        f"\nchaos (seed {SEED}): payouts {len(drive.created)} of {PAYOUTS} in {SECONDS:g} s"
        f" ({dict(sorted(statuses.items()))}, reconcilable {reconcilable}"
        f" (for an operator: {operator[0]}),"
        f" cancelled at once {drive.cancels}, client retries {drive.retries});"
        f" batches {len(drive.batches)} of {BATCHES} x {BATCH_ITEMS} items"
        f" ({drive.batch_cancels} items cancelled with their batch);"
        f" kills {sum(kills.values())} {dict(kills)}; restarts {sum(restarts.values())}"
        f" {dict(restarts)} + redis {world.redis.restarts} + mariadb {world.mariadb.restarts};"
        f" lost = {len(lost)}, doubled = {doubled}; ledger verify: {ledger_verdict};"
        f" provider audit: double-pay risks {audit.get('double_pay_risk')}, unrecorded payments"
        f" {audit.get('unrecorded_payment')}, {audit}; returned by the mock"
        f" {len(returned_there)}, not returned here {unreturned}; client webhooks received"
        f" {len(world.client.arrivals)}, undelivered {len(undelivered)}, out of order"
        f" {len(out_of_order)}, forged {world.client.forged}"
    )

    # Then nothing was lost, nothing doubled, and everything settled
    assert lost == [], lost
    assert doubled == 0
    stuck = await query(
        world,
        "SELECT id, status, provider_payout_id, send_attempts, last_error FROM payouts"
        " WHERE status = 'pending' OR (status = 'processing' AND provider_payout_id IS NULL)",
    )
    assert still_moving == {}, (
        f"never settled: {still_moving}\nstuck payouts: {stuck}\n"
        f"redis: {await redis_state(world)}\n{world.cluster.log_tail()}"
    )
    assert {k: v for k, v in broken.items() if v} == {}
    assert ledger_code == 0, ledger_text
    assert (audit.get("double_pay_risk"), audit.get("unrecorded_payment")) == (0, 0), audit_text
    assert audit_code == 0, audit_text
    # And every return the provider made came back to its user, unless it is an operator's to
    # settle (a return reported for a payout that never learnt of its success)
    assert {p: s for p, s in unreturned.items() if not (s or "").endswith("+review")} == {}
    # And the client's endpoint received every event of its user, each payout's in order
    assert (undelivered, out_of_order, world.client.forged) == ([], [], 0)
    assert sum(kills.values()) >= 3 and world.redis.restarts == world.mariadb.restarts == 1
    assert set(statuses) <= {*FINAL, "processing"}
