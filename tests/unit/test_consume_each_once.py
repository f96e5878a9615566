"""A batch whose events a concurrent delivery applies at the same time is tried again at once,
applying only what the other did not: no broker retry, no error logged for a duplicate. So is a
batch the database gave up on over locks."""

from collections.abc import Sequence

import pytest

from payout_service.application.consume import BATCH_TRIES, consume_each_once
from payout_service.application.messages import Envelope
from payout_service.application.ports import TransactionConflict, UniqueViolation, UnitOfWork
from tests.unit.fakes import START, FakeClock, FakeDatabase, FakeUnitOfWorkFactory

CONSUMER = "keep_books"


def envelope(n: int) -> Envelope:
    return Envelope(
        message_id=f"msg-{n}",
        event="payout.processing",
        aggregate_type="payout",
        aggregate_id=f"p-{n}",
        payload={},
        headers={},
        occurred_at=START,
    )


async def test_a_batch_that_raced_a_concurrent_delivery_applies_the_rest_at_once(
    database: FakeDatabase,
):
    # Given a batch of three events, and a concurrent delivery of the second one that commits
    # just before our first try does
    batch = [envelope(1), envelope(2), envelope(3)]
    applied: list[list[str]] = []

    async def effect(uow: UnitOfWork, fresh: Sequence[Envelope]) -> None:
        applied.append([e.message_id for e in fresh])

    async def concurrent_delivery() -> None:
        database.committed.processed.add((CONSUMER, "msg-2"))

    database.before_next_commit = concurrent_delivery
    # When the batch is consumed
    count = await consume_each_once(
        FakeUnitOfWorkFactory(database), FakeClock(START), CONSUMER, batch, effect
    )
    # Then the first try rolled back on the duplicate, and the second applied the other two
    assert applied == [["msg-1", "msg-2", "msg-3"], ["msg-1", "msg-3"]]
    assert count == 2
    assert {m for c, m in database.committed.processed if c == CONSUMER} == {
        "msg-1",
        "msg-2",
        "msg-3",
    }


async def test_a_batch_that_keeps_colliding_is_left_to_the_broker(database: FakeDatabase):
    # Given a concurrent delivery committing one of our events before each of our tries
    batch = [envelope(n) for n in range(1, BATCH_TRIES + 2)]
    tries = 0

    async def effect(uow: UnitOfWork, fresh: Sequence[Envelope]) -> None:
        nonlocal tries
        tries += 1
        taken = fresh[0].message_id

        async def concurrent_delivery() -> None:
            database.committed.processed.add((CONSUMER, taken))

        database.before_next_commit = concurrent_delivery

    # When the batch is consumed
    # Then it raises after BATCH_TRIES tries, for the broker to retry it later
    with pytest.raises(UniqueViolation):
        await consume_each_once(
            FakeUnitOfWorkFactory(database), FakeClock(START), CONSUMER, batch, effect
        )
    assert tries == BATCH_TRIES


async def test_a_batch_the_database_gave_up_on_is_tried_again_at_once(database: FakeDatabase):
    # Given a batch whose first try the database gives up on (a deadlock)
    batch = [envelope(1), envelope(2)]
    applied: list[list[str]] = []

    async def effect(uow: UnitOfWork, fresh: Sequence[Envelope]) -> None:
        applied.append([e.message_id for e in fresh])
        if len(applied) == 1:
            raise TransactionConflict("Deadlock found when trying to get lock")

    # When the batch is consumed
    count = await consume_each_once(
        FakeUnitOfWorkFactory(database), FakeClock(START), CONSUMER, batch, effect
    )
    # Then the second try applied it all, and nothing of the first stayed
    assert applied == [["msg-1", "msg-2"], ["msg-1", "msg-2"]]
    assert count == 2
    assert {m for c, m in database.committed.processed if c == CONSUMER} == {"msg-1", "msg-2"}
