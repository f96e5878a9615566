"""A payout's end is counted once, when the ledger settles its hold, however often the event is
delivered."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from payout_service.application.messages import Envelope
from payout_service.application.metrics import NoMetrics
from payout_service.application.settle_ledger import SettleLedger
from payout_service.domain import events
from payout_service.infrastructure.clock import SystemClock
from payout_service.infrastructure.db.unit_of_work import SqlUnitOfWorkFactory
from tests.integration.helpers import payout_body, post_payout


@dataclass
class CountingMetrics(NoMetrics):
    finished: list[str] = field(default_factory=list)
    debited: int = 0

    def payout_finished(self, outcome: str) -> None:
        self.finished.append(outcome)

    def account_debited(self) -> None:
        self.debited += 1


def _ended(payout: dict[str, Any], event: str, message_id: str) -> Envelope:
    return Envelope(
        message_id=message_id,
        event=event,
        aggregate_type="payout",
        aggregate_id=payout["id"],
        payload={
            "payout_id": payout["id"],
            "user_id": payout["user_id"],
            "amount_minor": payout["amount_minor"],
            "currency": payout["currency"],
        },
        headers={},
        occurred_at=datetime.now(UTC),
    )


async def test_a_success_delivered_twice_counts_one_success_and_one_debit(
    api: Any, auth: Any, db: SqlUnitOfWorkFactory
) -> None:
    # Given a payout holding funds, and the ledger consumer counting into a metrics port
    payout = await (await post_payout(api, auth, payout_body(), key="o-1")).json()
    metrics = CountingMetrics()
    settle = SettleLedger(db, SystemClock(), metrics)
    succeeded = _ended(payout, events.PAYOUT_SUCCEEDED, "m-success")
    # When its success is delivered twice
    assert await settle(succeeded) is True
    assert await settle(succeeded) is False
    # Then one success and one debit are counted
    assert metrics.finished == ["succeeded"]
    assert metrics.debited == 1


async def test_a_failure_counts_a_failure_and_no_debit(
    api: Any, auth: Any, db: SqlUnitOfWorkFactory
) -> None:
    payout = await (await post_payout(api, auth, payout_body(), key="o-2")).json()
    metrics = CountingMetrics()
    await SettleLedger(db, SystemClock(), metrics)(
        _ended(payout, events.PAYOUT_FAILED, "m-failure")
    )
    assert metrics.finished == ["failed"]
    assert metrics.debited == 0
