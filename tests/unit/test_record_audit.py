"""The audit consumer takes batches: each event audited once, whatever the batches repeat."""

from datetime import UTC, datetime

import pytest

from payout_service.application.messages import Envelope
from payout_service.application.ports import UniqueViolation
from payout_service.application.record_audit import RecordAudit
from tests.unit.fakes import FakeClock, FakeDatabase, FakeUnitOfWorkFactory


def envelope(n: int) -> Envelope:
    return Envelope(
        message_id=f"m-{n}",
        event="payout.created",
        aggregate_type="payout",
        aggregate_id=f"p-{n}",
        payload={"n": n},
        headers={"request_id": f"req-{n}"},
        occurred_at=datetime(2026, 1, 1, tzinfo=UTC),
    )


@pytest.fixture
def record_audit(database: FakeDatabase) -> RecordAudit:
    return RecordAudit(FakeUnitOfWorkFactory(database), FakeClock())


def audited(database: FakeDatabase) -> list[str]:
    return [e.message_id for e in database.committed.audit]


async def test_a_batch_is_audited_once_per_event_and_its_redelivery_adds_nothing(
    database: FakeDatabase, record_audit: RecordAudit
) -> None:
    batch = [envelope(n) for n in range(3)]

    first = await record_audit(batch)
    again = await record_audit(batch)

    assert (first, again) == (3, 0)
    assert audited(database) == ["m-0", "m-1", "m-2"]


async def test_a_batch_overlapping_an_earlier_one_audits_only_its_new_events(
    database: FakeDatabase, record_audit: RecordAudit
) -> None:
    await record_audit([envelope(0), envelope(1)])

    applied = await record_audit([envelope(1), envelope(2), envelope(2)])

    assert applied == 1
    assert audited(database) == ["m-0", "m-1", "m-2"]


async def test_a_concurrent_overlapping_batch_rolls_ours_back_and_the_retry_adds_the_rest(
    database: FakeDatabase, record_audit: RecordAudit
) -> None:
    # Given another delivery of m-1 and m-2 that commits while our batch is in its transaction
    async def other_delivery_commits() -> None:
        await record_audit([envelope(1), envelope(2)])

    database.before_next_commit = other_delivery_commits

    # When our batch of m-0..m-2 commits, then is retried (as Dramatiq's Retries would)
    with pytest.raises(UniqueViolation):
        await record_audit([envelope(0), envelope(1), envelope(2)])
    retried = await record_audit([envelope(0), envelope(1), envelope(2)])

    # Then ours rolled back whole, and its retry audited only what the other had not
    assert retried == 1
    assert sorted(audited(database)) == ["m-0", "m-1", "m-2"]
