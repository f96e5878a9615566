"""A group's step locks its payouts in one statement and writes them in one (lock_all,
writing_together), and reads in between answer what a statement per payout would have read."""

from __future__ import annotations

from datetime import timedelta

import pytest

from payout_service.domain.money import Money
from payout_service.domain.payout import Payout, PayoutStatus
from payout_service.infrastructure.clock import SystemClock
from payout_service.infrastructure.db.session import SqlSession
from payout_service.infrastructure.db.unit_of_work import SqlUnitOfWorkFactory
from tests.integration.helpers import DEMO_USER_ID

IDS = [f"bbbbbbbb-0000-4000-8000-00000000000{n}" for n in (3, 1, 2)]
COUNTED = ("Com_select", "Com_update")


async def _given_pending(db: SqlUnitOfWorkFactory) -> None:
    now = SystemClock().now()
    async with db() as tx:
        for n, payout_id in enumerate(IDS):
            await tx.payouts.add(
                Payout.create(
                    payout_id=payout_id,
                    user_id=DEMO_USER_ID,
                    amount=Money.parse(f"{n + 1}.00", "USD", max_minor=10_000),
                    wallet=f"W{n}",
                    external_reference=f"together-{n}",
                    now=now,
                )
            )
        await tx.commit()


async def _counters(session: SqlSession) -> dict[str, int]:
    found = await session.rows(
        "SHOW SESSION STATUS WHERE Variable_name IN ('Com_select', 'Com_update')"
    )
    return {row["Variable_name"]: int(row["Value"]) for row in found}


async def test_a_groups_payouts_are_read_and_written_as_one_statement_each_would(
    db: SqlUnitOfWorkFactory,
) -> None:
    # Given three pending payouts
    await _given_pending(db)
    later = SystemClock().now() + timedelta(seconds=1)
    # When one transaction locks them together and, writing together, takes each to the
    # provider, reading each back and one by its new provider payout id on the way
    async with db() as tx:
        await tx.payouts.lock_all(IDS)
        async with tx.payouts.writing_together():
            for n, payout_id in enumerate(IDS):
                payout = await tx.payouts.get_for_update(payout_id)
                assert payout is not None and payout.status is PayoutStatus.PENDING
                payout.start_processing(later)
                payout.record_provider_acceptance(f"prov-together-{n}", later)
                await tx.payouts.update(payout)
                again = await tx.payouts.get_for_update(payout_id)
                assert again is not None and again.provider_payout_id == f"prov-together-{n}"
                assert again.events == []  # the events are the first copy's, written once
            holder = await tx.payouts.id_for_provider_payout_id("prov-together-0")
        await tx.commit()
    # Then the lookup found the payout whose update was held back, and every change stands
    assert holder == IDS[0]
    async with db() as tx:
        for n, payout_id in enumerate(IDS):
            stored = await tx.payouts.get(payout_id)
            assert stored is not None
            assert (stored.status, stored.provider_payout_id, stored.version) == (
                PayoutStatus.PROCESSING,
                f"prov-together-{n}",
                2,
            )
            assert stored.updated_at == later
        # and each payout's events were written once: created, then processing
        rows = await tx.session.rows(
            "SELECT aggregate_id, event_name FROM audit_logs WHERE aggregate_id IN (%s, %s, %s)",
            *IDS,
        )
    started = [r["aggregate_id"] for r in rows if r["event_name"] == "payout.processing"]
    assert sorted(started) == sorted(IDS)


@pytest.mark.parametrize("database_url", ["mysql"], indirect=True)
async def test_three_payouts_are_locked_by_one_select_and_written_by_one_update(
    db: SqlUnitOfWorkFactory,
) -> None:
    # Given three pending payouts
    await _given_pending(db)
    now = SystemClock().now()
    # When a transaction locks them together and updates each within writing_together
    async with db() as tx:
        before = await _counters(tx.session)
        await tx.payouts.lock_all(IDS)
        async with tx.payouts.writing_together():
            for payout_id in IDS:
                payout = await tx.payouts.get_for_update(payout_id)
                assert payout is not None
                payout.start_processing(now)
                await tx.payouts.update(payout)
        after = await _counters(tx.session)
        await tx.commit()
    # Then MariaDB ran one SELECT and one UPDATE, where a payout at a time runs three of each
    assert {name: after[name] - before[name] for name in COUNTED} == {
        "Com_select": 1,
        "Com_update": 1,
    }
