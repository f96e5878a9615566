"""The account lock: concurrent payouts of one account queue on its row (SELECT ... FOR UPDATE on
MariaDB, the single writer on SQLite), so no hold is lost and the account is never overdrawn."""

from __future__ import annotations

import asyncio

from payout_service.infrastructure.db.ledger_verification import verify_ledger
from payout_service.infrastructure.db.seed import DEMO_USER_ID
from tests.integration.helpers import (
    held_minor,
    hold_entries,
    payout_body,
    post_payout,
    problem,
    rows,
)

PAYOUTS = 40
OPENING_BALANCE_MINOR = 1_000_000  # the demo user's seeded 10 000.00 USD


async def balance_minor(db) -> int:
    (row,) = await rows(
        db,
        "SELECT balance_minor FROM user_accounts WHERE user_id = %s AND currency = %s",
        DEMO_USER_ID,
        "USD",
    )
    return int(row["balance_minor"])


async def test_concurrent_payouts_of_one_account_are_all_held(api, auth, db):
    # When 40 payouts of 1.00, each with its own key and reference, reach one account at once
    responses = await asyncio.gather(
        *(
            post_payout(
                api, auth, payout_body(amount="1.00", external_reference=f"ref-{n}"), f"k{n}"
            )
            for n in range(PAYOUTS)
        )
    )
    # Then every one is created and held: no hold overwrote another
    assert [r.status for r in responses] == [201] * PAYOUTS
    assert await hold_entries(db) == [100] * PAYOUTS
    assert await held_minor(db) == PAYOUTS * 100
    # And the balance is untouched, and the stored account agrees with its ledger
    assert await balance_minor(db) == OPENING_BALANCE_MINOR
    report = await verify_ledger(db)
    assert report.clean, report.violations


async def test_two_concurrent_payouts_that_fit_only_one_at_a_time_hold_only_one(api, auth, db):
    # Given 10 000.00 available, when two payouts of 6 000.00 (60 % each) arrive at once
    first, second = await asyncio.gather(
        post_payout(api, auth, payout_body(amount="6000.00", external_reference="ref-a"), "k-a"),
        post_payout(api, auth, payout_body(amount="6000.00", external_reference="ref-b"), "k-b"),
    )
    # Then exactly one is created; the other is refused for insufficient funds
    assert sorted([first.status, second.status]) == [201, 422]
    (refused,) = [r for r in (first, second) if r.status != 201]
    assert (await problem(refused, 422))["code"] == "insufficient_funds"
    # And only the created one is held: the account is not overdrawn
    assert await hold_entries(db) == [600_000]
    assert await held_minor(db) == 600_000
    assert await balance_minor(db) == OPENING_BALANCE_MINOR
    report = await verify_ledger(db)
    assert report.clean, report.violations
