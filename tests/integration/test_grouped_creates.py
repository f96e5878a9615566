"""Concurrent creates sharing one transaction (CreatePayout's groups), on the real database: every
payout whole, each with its own request's headers, each user's events numbered without a gap, the
ledger equal to the balances; a group with one create that cannot be made is made one by one, so
each create gets the answer it would have got alone."""

import asyncio
import json
from typing import Any

import pytest

from payout_service.application.create_payout import CreatePayoutCommand, CreatePayoutResult
from payout_service.application.errors import AccountNotFound, DuplicateReference
from payout_service.application.idempotency import request_fingerprint
from payout_service.bootstrap import build_services
from payout_service.domain.errors import InsufficientFunds
from payout_service.infrastructure.db.ledger_verification import verify_ledger
from tests.integration.helpers import add_user, held_minor, rows

USERS = (501, 502, 503, 504)


def command(user_id: int, n: int, amount: str = "10.00", **changes: Any) -> CreatePayoutCommand:
    body = {
        "user_id": user_id,
        "amount": amount,
        "currency": changes.pop("currency", "USD"),
        "wallet": "W1",
        "external_reference": changes.pop("reference", f"ref-{user_id}-{n}"),
    }
    return CreatePayoutCommand(
        caller_user_id=user_id,
        idempotency_key=f"key-{user_id}-{n}",
        fingerprint=request_fingerprint("POST", "/api/payouts", body),
        headers={"request_id": f"req-{user_id}-{n}"},
        **body,
    )


async def create_all(services: Any, commands: list[CreatePayoutCommand]) -> list[Any]:
    """Every command at once: they all reach the use case in one turn of the loop."""
    return await asyncio.gather(
        *(services.create_payout(c) for c in commands), return_exceptions=True
    )


@pytest.fixture
async def users(db):
    for user_id in USERS:
        await add_user(db, user_id, f"psk_group_{user_id}", usd_minor=100_000)


async def test_concurrent_creates_share_a_transaction_and_each_is_whole(services, db, users):
    # When 24 creates of four users arrive at once
    commands = [command(user_id, n) for n in range(6) for user_id in USERS]
    results = await create_all(services, commands)
    # Then each is created, with its own payout
    assert all(isinstance(r, CreatePayoutResult) and r.status_code == 201 for r in results)
    ids = [json.loads(r.body)["id"] for r in results]
    assert len(set(ids)) == 24
    # And they shared one transaction: its creates have its one moment
    payouts = await rows(db, "SELECT id, user_id, created_at FROM payouts WHERE user_id >= 500")
    assert len(payouts) == 24
    assert len({p["created_at"] for p in payouts}) == 1
    # And each user's funds are held once per payout, the ledger equal to the balances
    for user_id in USERS:
        assert await held_minor(db, user_id) == 6 * 1000
    assert (await verify_ledger(db)).clean
    # And each key replays its own payout
    again = await services.create_payout(commands[5])
    assert (again.replayed, again.body) == (True, results[5].body)
    # And each payout's events carry its own request's id
    for c, payout_id in zip(commands, ids, strict=True):
        (audited,) = await rows(
            db, "SELECT request_id FROM audit_logs WHERE aggregate_id = %s", payout_id
        )
        assert audited["request_id"] == c.headers["request_id"]
    # And each user's client events are numbered 1..6, one per payout
    for user_id in USERS:
        numbered = await rows(
            db,
            "SELECT sequence, payout_id FROM client_events WHERE user_id = %s ORDER BY sequence",
            user_id,
        )
        assert [int(e["sequence"]) for e in numbered] == [1, 2, 3, 4, 5, 6]
        assert {e["payout_id"] for e in numbered} == {
            i for c, i in zip(commands, ids, strict=True) if c.user_id == user_id
        }


async def test_a_create_that_cannot_be_made_fails_alone(services, db, users):
    # Given user 501 has 1 000.00 USD
    # When, at once, good creates arrive beside one too large, one in a currency without an
    # account, and two under one external reference
    commands = [
        command(501, 0),
        command(501, 1, amount="1000.01"),
        command(502, 2),
        command(503, 3, currency="EUR"),
        command(504, 4, reference="shared"),
        command(504, 5, reference="shared"),
        command(502, 6),
    ]
    results = await create_all(services, commands)
    # Then each gets the answer it would have got alone
    assert isinstance(results[1], InsufficientFunds)
    assert isinstance(results[3], AccountNotFound)
    shared = [results[4], results[5]]
    assert sorted(type(r).__name__ for r in shared) == [
        "CreatePayoutResult",
        DuplicateReference.__name__,
    ]
    created = [r for r in results if isinstance(r, CreatePayoutResult)]
    assert [r.status_code for r in created] == [201] * 4
    # And only the made ones hold money, once each
    assert await held_minor(db, 501) == 1000
    assert await held_minor(db, 502) == 2000
    assert await held_minor(db, 503) == 0
    assert await held_minor(db, 504) == 1000
    assert (await verify_ledger(db)).clean
    made = await rows(db, "SELECT id FROM payouts WHERE user_id >= 500")
    assert len(made) == 4


async def test_a_group_takes_accounts_and_counters_in_order_beside_another(
    services, settings, db, users
):
    # Given a second set of services on the same database (its own groups, as a second web
    # process has; they share this process's connection pools)
    other = build_services(settings)
    # When both create for the same users at once, in opposite orders
    mine = [command(u, n) for n in range(5) for u in USERS]
    theirs = [command(u, n) for n in range(5, 10) for u in reversed(USERS)]
    results = await asyncio.gather(create_all(services, mine), create_all(other, theirs))
    # Then all 40 are made, each once, in two transactions: neither failed (a deadlock would
    # have rolled one back, and its creates been made one by one, each at its own moment)
    made = [r for group in results for r in group]
    assert all(isinstance(r, CreatePayoutResult) for r in made), made
    payouts = await rows(db, "SELECT created_at FROM payouts WHERE user_id >= 500")
    assert len({p["created_at"] for p in payouts}) == 2
    for user_id in USERS:
        assert await held_minor(db, user_id) == 10 * 1000
        numbered = await rows(
            db, "SELECT sequence FROM client_events WHERE user_id = %s ORDER BY sequence", user_id
        )
        assert [int(e["sequence"]) for e in numbered] == list(range(1, 11))
    assert (await verify_ledger(db)).clean
