"""A payout's end is counted once, when the books consumer settles its hold, however often the
event is delivered."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from payout_service.application.keep_books import KeepBooks
from payout_service.application.messages import Envelope
from payout_service.application.metrics import NoMetrics
from payout_service.domain import events
from payout_service.infrastructure.clock import SystemClock
from payout_service.infrastructure.db.unit_of_work import SqlUnitOfWorkFactory
from tests.integration.helpers import payout_body, post_payout


@dataclass
class CountingMetrics(NoMetrics):
    finished: list[tuple[str, str | None]] = field(default_factory=list)
    returned: list[str] = field(default_factory=list)
    debited: int = 0

    def payout_finished(self, outcome: str, failure_code: str | None) -> None:
        self.finished.append((outcome, failure_code))

    def payout_returned(self, failure_code: str) -> None:
        self.returned.append(failure_code)

    def account_debited(self) -> None:
        self.debited += 1


def _ended(
    payout: dict[str, Any], event: str, message_id: str, failure_code: str | None = None
) -> Envelope:
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
            **({"failure_code": failure_code} if failure_code else {}),
        },
        headers={},
        occurred_at=datetime.now(UTC),
    )


async def test_a_success_delivered_twice_counts_one_success_and_one_debit(
    api: Any, auth: Any, db: SqlUnitOfWorkFactory
) -> None:
    # Given a payout holding funds, and the books consumer counting into a metrics port
    payout = await (await post_payout(api, auth, payout_body(), key="o-1")).json()
    metrics = CountingMetrics()
    keep_books = KeepBooks(db, SystemClock(), metrics)
    succeeded = _ended(payout, events.PAYOUT_SUCCEEDED, "m-success")
    # When its success is delivered twice
    assert await keep_books([succeeded]) == 1
    assert await keep_books([succeeded]) == 0
    # Then one success and one debit are counted
    assert metrics.finished == [("succeeded", None)]
    assert metrics.debited == 1


async def test_a_failure_counts_a_failure_with_its_code_and_no_debit(
    api: Any, auth: Any, db: SqlUnitOfWorkFactory
) -> None:
    payout = await (await post_payout(api, auth, payout_body(), key="o-2")).json()
    metrics = CountingMetrics()
    await KeepBooks(db, SystemClock(), metrics)(
        [_ended(payout, events.PAYOUT_FAILED, "m-failure", "account_closed")]
    )
    assert metrics.finished == [("failed", "account_closed")]
    assert metrics.debited == 0


async def test_a_return_delivered_twice_counts_one_return_with_its_code(
    api: Any, auth: Any, db: SqlUnitOfWorkFactory
) -> None:
    # Given a payout whose success the books consumer has settled
    payout = await (await post_payout(api, auth, payout_body(), key="o-3")).json()
    metrics = CountingMetrics()
    keep_books = KeepBooks(db, SystemClock(), metrics)
    assert await keep_books([_ended(payout, events.PAYOUT_SUCCEEDED, "m-paid")]) == 1
    # When its return is delivered twice
    returned = _ended(payout, events.PAYOUT_RETURNED, "m-returned", "no_account")
    assert await keep_books([returned]) == 1
    assert await keep_books([returned]) == 0
    # Then one return is counted, under its code, and the success stays counted once
    assert metrics.returned == ["no_account"]
    assert metrics.finished == [("succeeded", None)]
    assert metrics.debited == 1
