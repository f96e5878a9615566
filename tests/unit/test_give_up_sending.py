"""Giving up after the last retry: fail the payout, unless the provider may be paying it out."""

from collections.abc import Callable, Sequence
from datetime import timedelta

import pytest

from payout_service.application.give_up_sending import GiveUpSending
from payout_service.domain import events
from payout_service.domain.money import Money, currency
from payout_service.domain.payout import Payout, PayoutStatus
from payout_service.domain.send_attempts import SendAttemptResult
from tests.unit.fakes import FakeClock, FakeDatabase, FakeUnitOfWorkFactory

NOW = FakeClock().now()
HEADERS = {"request_id": "req-give-up"}


@pytest.fixture
def database() -> FakeDatabase:
    return FakeDatabase()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(NOW + timedelta(hours=1))


@pytest.fixture
def give_up(database: FakeDatabase, clock: FakeClock) -> GiveUpSending:
    return GiveUpSending(FakeUnitOfWorkFactory(database), clock)


def given(
    database: FakeDatabase,
    change: Callable[[Payout], None] = lambda p: None,
    attempts: Sequence[SendAttemptResult] = (),
) -> None:
    payout = Payout.create(
        payout_id="p-1",
        user_id=7,
        amount=Money(15000, currency("USD")),
        wallet="W-1",
        external_reference="ref-1",
        now=NOW,
    )
    change(payout)
    database.add_payout(payout)
    database.add_send_attempts("p-1", attempts, NOW)


def stored(database: FakeDatabase) -> Payout:
    return database.committed.payouts["p-1"]


def retried(payout: Payout) -> None:
    payout.start_processing(NOW)
    payout.record_send_failure("503 from the provider", NOW + timedelta(minutes=5), NOW)


async def test_a_payout_the_provider_refused_each_time_is_failed(give_up, database, clock):
    # Given a payout whose every attempt was answered with a temporary error
    given(database, retried, [SendAttemptResult.TEMPORARY_ERROR] * 3)
    # When the provider-send runs out of retries
    failed_now = await give_up("p-1", attempts=3, last_error="SendRetryLater", headers=HEADERS)
    # Then the payout failed with the payout's own last error, and payout.failed carries the
    # headers of the message that gave up
    payout = stored(database)
    assert failed_now is True
    assert (payout.status, payout.completed_at) == (PayoutStatus.FAILED, clock.now())
    assert payout.last_error == "gave up after 3 attempts: 503 from the provider"
    failed = [r.headers for r in database.committed.outbox if r.event.name == events.PAYOUT_FAILED]
    assert failed == [HEADERS]


async def test_a_payout_never_sent_is_failed_with_the_last_error(give_up, database):
    # Given a pending payout whose sends all failed before reaching the provider (a database outage)
    given(database)
    # When the provider-send gives up
    failed_now = await give_up("p-1", attempts=8, last_error="database unreachable", headers={})
    # Then it is failed, naming the error the broker saw
    assert failed_now is True
    assert stored(database).status is PayoutStatus.FAILED
    assert stored(database).last_error == "gave up after 8 attempts: database unreachable"


@pytest.mark.parametrize(
    "unanswered",
    [SendAttemptResult.NO_ANSWER, SendAttemptResult.UNKNOWN, SendAttemptResult.SENDING],
)
async def test_a_payout_the_provider_may_hold_is_flagged_for_review_not_failed(
    give_up, database, unanswered
):
    # Given a payout one of whose attempts never got its answer
    given(database, retried, [unanswered, SendAttemptResult.TEMPORARY_ERROR])
    # When the provider-send gives up
    failed_now = await give_up("p-1", attempts=2, last_error="SendRetryLater", headers=HEADERS)
    # Then the payout stays processing, flagged for an operator, with no retry planned and no
    # event that would release its funds
    payout = stored(database)
    assert failed_now is False
    assert (payout.status, payout.needs_review, payout.next_retry_at) == (
        PayoutStatus.PROCESSING,
        True,
        None,
    )
    assert "may hold the payout" in (payout.last_error or "")
    assert database.committed.events_of("p-1") == [events.PAYOUT_CREATED]


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(
            lambda p: (p.start_processing(NOW), p.record_provider_acceptance("prov-1", NOW)),
            id="accepted",
        ),
        pytest.param(lambda p: (p.start_processing(NOW), p.succeed(NOW)), id="succeeded"),
        pytest.param(lambda p: p.cancel(NOW), id="cancelled"),
    ],
)
async def test_a_payout_accepted_or_finished_meanwhile_is_left_as_it_is(give_up, database, change):
    given(database, change)
    before = stored(database)
    outbox_before = len(database.committed.outbox)

    failed_now = await give_up("p-1", attempts=8, last_error="SendRetryLater", headers=HEADERS)

    assert failed_now is False
    assert stored(database) == before
    assert len(database.committed.outbox) == outbox_before


async def test_an_unknown_payout_is_not_failed(give_up, database):
    assert await give_up("p-404", attempts=8, last_error="gone", headers=HEADERS) is False
    assert database.committed.payouts == {}
