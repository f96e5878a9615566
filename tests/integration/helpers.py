"""Small shared steps of the API tests: request bodies, posting, problems, row counts and
metrics scrapes."""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote, urlsplit

import asyncmy
from aiohttp import ClientResponse
from aiohttp.test_utils import TestClient
from prometheus_client.parser import text_string_to_metric_families

from payout_service.domain.client_events import (
    WebhookEndpoint,
    new_endpoint_id,
    new_endpoint_secret,
)
from payout_service.infrastructure.clock import SystemClock
from payout_service.infrastructure.db.seed import DEMO_USER_ID, add_api_key, open_account
from payout_service.infrastructure.db.unit_of_work import SqlUnitOfWorkFactory

# The tables a create-payout request writes to; a refused request leaves all four as they were.
WRITTEN_TABLES = ("payouts", "outbox_messages", "account_ledger_entries", "idempotency_keys")


def payout_body(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "user_id": DEMO_USER_ID,
        "amount": "150.00",
        "currency": "USD",
        "wallet": "W1",
        "external_reference": "ref-1",
    }
    body.update(changes)
    return body


async def post_payout(
    api: TestClient, auth: dict[str, str], body: dict[str, Any], key: str = "key-1"
) -> ClientResponse:
    return await api.post("/api/payouts", json=body, headers={**auth, "Idempotency-Key": key})


async def problem(response: ClientResponse, status: int) -> dict[str, Any]:
    """Asserts an RFC 9457 problem with this status and returns its body."""
    assert response.status == status, await response.text()
    assert response.content_type == "application/problem+json"
    body: dict[str, Any] = await response.json(content_type=None)
    assert body["status"] == status
    assert body["type"].startswith("/problems/")
    assert body["title"] and body["detail"]
    return body


def error_fields(body: dict[str, Any]) -> set[str]:
    return {error["field"] for error in body["errors"]}


async def rows(db: SqlUnitOfWorkFactory, statement: str, *values: Any) -> list[dict[str, Any]]:
    async with db() as tx:
        return [dict(row) for row in await tx.session.rows(statement, *values)]


async def written_rows(db: SqlUnitOfWorkFactory) -> dict[str, int]:
    counts = {}
    for table in WRITTEN_TABLES:
        (row,) = await rows(db, f"SELECT COUNT(*) AS n FROM {table}")
        counts[table] = int(row["n"])
    return counts


async def held_minor(db: SqlUnitOfWorkFactory, user_id: int = DEMO_USER_ID) -> int:
    (row,) = await rows(
        db,
        "SELECT held_minor FROM user_accounts WHERE user_id = %s AND currency = %s",
        user_id,
        "USD",
    )
    return int(row["held_minor"])


async def hold_entries(db: SqlUnitOfWorkFactory, user_id: int = DEMO_USER_ID) -> list[int]:
    """The amounts of the 'hold' ledger entries on the user's USD account."""
    entries = await rows(
        db,
        "SELECT e.amount_minor FROM account_ledger_entries e"
        " JOIN user_accounts a ON a.id = e.account_id"
        " WHERE a.user_id = %s AND a.currency = %s AND e.kind = %s",
        user_id,
        "USD",
        "hold",
    )
    return [int(e["amount_minor"]) for e in entries]


async def add_user(
    db: SqlUnitOfWorkFactory, user_id: int, api_key: str, usd_minor: int = 1_000_000
) -> dict[str, str]:
    """A second user with an API key and a funded USD account; returns its auth header."""
    now = SystemClock().now()
    async with db() as tx:
        await tx.session.execute(
            "INSERT INTO users (id, name, created_at) VALUES (%s, %s, %s)",
            user_id,
            f"User {user_id}",
            tx.session.dialect.to_db(now),
        )
        await add_api_key(tx.session, user_id, api_key, "test", now)
        account = await open_account(tx.session, user_id, "USD", now)
        deposit = account.deposit(usd_minor)
        await tx.accounts.save_balances(account, now)
        await tx.accounts.append_entry(deposit, now)
        await tx.commit()
    return {"Authorization": f"Bearer {api_key}"}


Samples = dict[str, dict[tuple[tuple[str, str], ...], float]]


async def scrape(api: TestClient) -> Samples:
    """GET /metrics, as each sample's value by its name and sorted labels."""
    response = await api.get("/metrics")
    assert response.status == 200
    assert response.headers["Content-Type"].startswith("text/plain")
    samples: Samples = {}
    for family in text_string_to_metric_families(await response.text()):
        samples.setdefault(family.name, {})
        for sample in family.samples:
            samples.setdefault(sample.name, {})[tuple(sorted(sample.labels.items()))] = sample.value
    return samples


async def mysql_connection(url: str, autocommit: bool = False) -> Any:
    """A connection of its own to the MariaDB database of `url`, outside the service's pools:
    another transaction, as another process would hold it."""
    parts = urlsplit(url)
    return await asyncmy.connect(
        host=parts.hostname,
        port=parts.port or 3306,
        user=unquote(parts.username or ""),
        password=unquote(parts.password or ""),
        database=parts.path.lstrip("/"),
        autocommit=autocommit,
    )


async def add_listening_endpoint(
    db: SqlUnitOfWorkFactory, user_id: int = DEMO_USER_ID
) -> WebhookEndpoint:
    """An enabled endpoint of the user for every event type, that nothing delivers to in the
    test: the user's client-visible events then get their outbox rows to notify
    (event_routes.UNHEARD)."""
    now = SystemClock().now()
    endpoint = WebhookEndpoint(
        id=new_endpoint_id(),
        user_id=user_id,
        url="http://127.0.0.1:9/listening",
        event_types=("*",),
        description="",
        secret=new_endpoint_secret(),
        created_at=now,
        updated_at=now,
    )
    async with db() as tx:
        await tx.webhook_endpoints.add(endpoint)
        await tx.commit()
    return endpoint
