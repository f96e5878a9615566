"""The raw limit: the service's create-payout transaction through plain asyncmy, nothing else.

The statements are the service's own (payout_service.infrastructure.db.statements; the client
event's INSERT, which its adapter builds for many rows, written out below), issued in the order
CreatePayout issues them, with values of the same types and sizes, then the same COMMIT, on
connections set up as the service's transaction pool sets them up (autocommit off: the first
statement starts the transaction, no BEGIN). Before each run,
transaction_shape.py checks the statements, their order and their values' types and sizes
against CreatePayout's. Left out is everything that is not the database's work: HTTP, JSON,
validation, the ORM.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import asyncmy

from bench.harness.bench_database import CURRENCY, ConnectionParams
from payout_service.domain.client_events import new_event_id
from payout_service.infrastructure.db import statements as sql
from payout_service.infrastructure.db.dialect import MYSQL

AMOUNT_MINOR = 100  # "1.00", the amount the wrk script posts
LOCK_ACCOUNT = MYSQL.sql(sql.LOCK_ACCOUNT + MYSQL.for_update)  # as SqlAccountRepository builds it
KEY_TTL = timedelta(hours=24)
# As SqlClientEventLog writes one event on MySQL, numbered with the user's counter
INSERT_CLIENT_EVENT = (
    "INSERT INTO client_events (event_id, type, user_id, sequence, payout_id, payout_version,"
    " created_at, data) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)"
)
# As SqlWebhookEndpoints asks, under lock, for one user whose counter is new
USERS_WITH_ENDPOINTS = (
    "SELECT DISTINCT user_id FROM webhook_endpoints WHERE user_id IN (%s) AND state <> %s"
    + MYSQL.for_share
)
INSERT_AUDIT_ROW = (
    "INSERT INTO audit_logs (message_id, event_name, aggregate_type, aggregate_id, payload,"
    " request_id, occurred_at, recorded_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)"
    " ON DUPLICATE KEY UPDATE message_id = message_id"
)
# provider_payout_id, provider_status, send_attempts, last_error, next_retry_at, completed_at,
# needs_review
_NOT_YET_SENT = (None, None, 0, None, None, None, False)
_VERSION = 1  # a new payout's
# provider_status_at, review_reason, review_since, failure_code, failure_message, returned_at,
# version, batch_id, metadata (NULL when the request has none)
_FRESH = (None, None, None, None, None, None, _VERSION, None, None)


@dataclass(frozen=True, slots=True)
class RawResult:
    transactions: int
    seconds: float

    @property
    def per_second(self) -> float:
        return self.transactions / self.seconds


async def measure_raw(
    database_url: str, users: int, concurrency: int, seconds: float, warmup: float
) -> RawResult:
    """Runs `concurrency` connections flat out; counts commits after the first `warmup` s."""
    params = ConnectionParams.from_url(database_url)
    connections = [await params.connect(autocommit=False) for _ in range(concurrency)]
    numbers = itertools.count()
    run_id = uuid.uuid4().hex[:8]
    start = time.monotonic()
    measure_from, until = start + warmup, start + warmup + seconds

    async def worker(connection: asyncmy.Connection) -> int:
        committed = 0
        while time.monotonic() < until:
            n = next(numbers)
            await create_payout(connection, 1 + n % users, f"raw-{run_id}-{n}")
            committed += measure_from <= time.monotonic() < until
        return committed

    try:
        counts = await asyncio.gather(*(worker(c) for c in connections))
    finally:
        for connection in connections:
            connection.close()
    return RawResult(sum(counts), seconds)


async def create_payout(connection: asyncmy.Connection, user_id: int, key: str) -> None:
    """One create-payout transaction, as the service's would be for a fresh key."""
    now = datetime.now(UTC).replace(tzinfo=None)
    payout_id = str(uuid.uuid4())
    body = _payout_json(payout_id, user_id, key, now)
    posting_id = str(uuid.uuid4())
    async with connection.cursor() as cursor:
        payout = (payout_id, user_id, AMOUNT_MINOR, CURRENCY, "W-bench", key, "pending")
        await cursor.execute(sql.INSERT_PAYOUT, [*payout, *_NOT_YET_SENT, now, now, *_FRESH])
        await cursor.execute(
            sql.INSERT_IDEMPOTENCY_KEY,
            [user_id, key, uuid.uuid4().hex * 2, 201, body, payout_id, now, now + KEY_TTL],
        )
        await cursor.execute(LOCK_ACCOUNT, [user_id, CURRENCY])
        account_id, _, _, balance, held = (await cursor.fetchall())[0]
        await cursor.execute(
            sql.UPDATE_ACCOUNT_BALANCES, [balance, held + AMOUNT_MINOR, now, account_id]
        )
        # The hold's two lines: the user's account is debited, the clearing account credited.
        user_line = (posting_id, account_id, CURRENCY, "debit", "hold", AMOUNT_MINOR)
        clearing_line = (posting_id, None, CURRENCY, "credit", "hold", AMOUNT_MINOR)
        await cursor.execute(
            sql.INSERT_LEDGER_POSTING, [*user_line, payout_id, now, *clearing_line, payout_id, now]
        )
        # The unit of work writes the payout's events on commit: the client-visible event (the
        # payout as the API shows it) numbered under the user's counter, which also answers
        # whether an endpoint of the user hears of it (the bench's users have none), or, when
        # the counter is created now, a read under lock does; the outbox row (marked as booked,
        # and as unheard: it goes to the sender alone), and its audit row.
        await cursor.execute(sql.TAKE_EVENT_SEQUENCES_HEARD, [user_id, 1, user_id, "disabled"])
        answer = cursor.lastrowid
        sequence = answer // 2 or 1
        await cursor.execute(
            INSERT_CLIENT_EVENT,
            [new_event_id(), "payout.created", user_id, sequence, payout_id, _VERSION, now, body],
        )
        if not answer:
            await cursor.execute(USERS_WITH_ENDPOINTS, [user_id, "disabled"])
            await cursor.fetchall()
        payload, message_id = _event_payload(payout_id, user_id, key), str(uuid.uuid4())
        await cursor.execute(
            sql.INSERT_OUTBOX_MESSAGE,
            [message_id, "payout.created", "payout", payout_id, payload, _MARKED, now, now],
        )
        await cursor.execute(
            INSERT_AUDIT_ROW,
            [message_id, "payout.created", "payout", payout_id, payload, _REQUEST_ID, now, now],
        )
    await connection.commit()


_REQUEST_ID = uuid.uuid4().hex
_MARKED = json.dumps(
    {"request_id": _REQUEST_ID, "books": "kept", "endpoints": "none"}, separators=(",", ":")
)


def _payout_json(payout_id: str, user_id: int, reference: str, now: datetime) -> str:
    """The size and shape of payout_representation's JSON: the stored 201 body, and the client
    event's data."""
    moment = now.isoformat(timespec="microseconds") + "Z"
    return (
        f'{{"id":"{payout_id}","user_id":{user_id},"amount":"1.00","amount_minor":100,'
        f'"currency":"USD","wallet":"W-bench","external_reference":"{reference}",'
        '"status":"pending","provider_payout_id":null,"provider_status":null,"send_attempts":0,'
        '"last_error":null,"needs_review":false,"failure_code":null,"failure_message":null,'
        '"next_retry_at":null,"completed_at":null,"returned_at":null,'
        f'"created_at":"{moment}","updated_at":"{moment}","version":{_VERSION},'
        '"batch_id":null,"metadata":{}}'
    )


def _event_payload(payout_id: str, user_id: int, reference: str) -> str:
    return (
        f'{{"payout_id":"{payout_id}","user_id":{user_id},"amount_minor":100,"currency":"USD",'
        f'"status":"pending","external_reference":"{reference}","version":{_VERSION}}}'
    )
