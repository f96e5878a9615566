"""Giving up after the last retry: fail the payout, unless the provider may be paying it out."""

from collections.abc import Callable, Sequence
from datetime import timedelta

import pytest

from payout_service.application.give_up_sending import GiveUpSending
from payout_service.application.ports import ProviderOutcomeUnknown, ProviderPayoutState
from payout_service.domain import events
from payout_service.domain.payout import Payout, PayoutStatus
from payout_service.domain.provider_report import ProviderStatus
from payout_service.domain.send_attempts import SendAttemptResult
from tests.unit.fakes import (
    START,
    FakeClock,
    FakeDatabase,
    FakeProviderClient,
    FakeUnitOfWorkFactory,
    booked,
    new_payout,
)

HEADERS = {"request_id": "req-give-up"}


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(START + timedelta(hours=1))


@pytest.fixture
def give_up(
    database: FakeDatabase, clock: FakeClock, provider: FakeProviderClient
) -> GiveUpSending:
    return GiveUpSending(FakeUnitOfWorkFactory(database), clock, provider)


def given(
    database: FakeDatabase,
    change: Callable[[Payout], None] = lambda p: None,
    attempts: Sequence[SendAttemptResult] = (),
) -> None:
    payout = new_payout()
    change(payout)
    database.add_payout(payout)
    database.add_send_attempts("p-1", attempts, START)


def stored(database: FakeDatabase) -> Payout:
    return database.committed.payouts["p-1"]


def retried(payout: Payout) -> None:
    payout.start_processing(START)
    payout.record_send_failure("503 from the provider", START + timedelta(minutes=5), START)


async def test_a_payout_the_provider_refused_each_time_is_failed(give_up, database, clock):
    # Given a payout whose every attempt was answered with a temporary error
    database.add_endpoint(7)  # its user's webhook endpoint: notify hears of it
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
    assert failed == [booked(HEADERS)]


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
    give_up, database, provider, unanswered
):
    # Given a payout one of whose attempts never got its answer, and a provider that does not
    # answer about it either
    given(database, retried, [unanswered, SendAttemptResult.TEMPORARY_ERROR])
    provider.lookups["p-1"] = ProviderOutcomeUnknown("timeout", "no answer")
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
    assert payout.review_reason == payout.last_error
    assert database.committed.events_of("p-1") == [
        events.PAYOUT_CREATED,
        events.PAYOUT_PROCESSING,
        events.PAYOUT_NEEDS_REVIEW,
    ]
    assert provider.looked_up == ["p-1"]


async def test_a_payout_the_provider_never_took_fails_after_an_unknown_answer(
    give_up, database, provider
):
    # Given a payout whose first attempt got a 500, and a provider whose lookup says it never
    # took it
    given(database, retried, [SendAttemptResult.AMBIGUOUS, SendAttemptResult.TEMPORARY_ERROR])
    # When the provider-send gives up
    failed_now = await give_up("p-1", attempts=2, last_error="SendRetryLater", headers=HEADERS)
    # Then the provider was asked, and only its "never taken" fails the payout
    assert failed_now is True
    assert provider.looked_up == ["p-1"]
    payout = stored(database)
    assert payout.status is PayoutStatus.FAILED
    assert "the provider has no record of it" in (payout.last_error or "")


async def test_a_payout_the_provider_holds_adopts_its_record_instead_of_failing(
    give_up, database, provider
):
    # Given a payout whose attempt timed out, which the provider did take and is paying
    given(database, retried, [SendAttemptResult.NO_ANSWER])
    provider.payouts["prv-9"] = ProviderPayoutState(
        "prv-9", ProviderStatus.PROCESSING, START + timedelta(seconds=5), reference="p-1"
    )
    # When the provider-send gives up
    failed_now = await give_up("p-1", attempts=8, last_error="SendRetryLater", headers=HEADERS)
    # Then the payout is not failed: it holds the provider's id and waits for its outcome
    assert failed_now is False
    payout = stored(database)
    assert (payout.status, payout.provider_payout_id, payout.needs_review) == (
        PayoutStatus.PROCESSING,
        "prv-9",
        False,
    )
    assert database.committed.events_of("p-1")[-1] == events.PAYOUT_PROVIDER_ACCEPTED


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(
            lambda p: (p.start_processing(START), p.record_provider_acceptance("prov-1", START)),
            id="accepted",
        ),
        pytest.param(lambda p: (p.start_processing(START), p.succeed(START)), id="succeeded"),
        pytest.param(lambda p: p.cancel(START), id="cancelled"),
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
