"""Cancel: only while the provider cannot hold the payout, once, and the queued send is aborted."""

from collections.abc import Callable, Sequence
from datetime import timedelta

import pytest

from payout_service.application.cancel_payout import CancelPayout
from payout_service.application.errors import NotFound, PayoutNotCancellable
from payout_service.application.ports import ProviderOutcomeUnknown, ProviderPayoutState
from payout_service.application.send_payout import SendOutcome, SendPayout
from payout_service.application.send_retry_policy import RetryPolicy
from payout_service.domain import events
from payout_service.domain.payout import Payout, PayoutStatus
from payout_service.domain.provider_report import ProviderStatus
from payout_service.domain.send_attempts import SendAttemptResult
from tests.unit.fakes import (
    DECLINED,
    START,
    FakeClock,
    FakeDatabase,
    FakeProviderClient,
    FakeProviderSendQueue,
    FakeUnitOfWorkFactory,
    booked,
    new_payout,
)

USER = 7
CANCEL_HEADERS = {"request_id": "req-cancel"}


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(START + timedelta(minutes=1))


@pytest.fixture
def sends() -> FakeProviderSendQueue:
    return FakeProviderSendQueue()


@pytest.fixture
def cancel(
    database: FakeDatabase,
    clock: FakeClock,
    sends: FakeProviderSendQueue,
    provider: FakeProviderClient,
) -> CancelPayout:
    return CancelPayout(FakeUnitOfWorkFactory(database), clock, sends, provider)


def given(
    database: FakeDatabase,
    change: Callable[[Payout], None] = lambda p: None,
    attempts: Sequence[SendAttemptResult] = (),
) -> str:
    """A payout of USER, changed as asked, with those send attempts; returns the message id of
    its payout.created."""
    payout = new_payout(user_id=USER)
    change(payout)
    database.add_payout(payout)
    database.add_send_attempts("p-1", attempts, START)
    return database.committed.outbox[0].message_id


def stored(database: FakeDatabase) -> Payout:
    return database.committed.payouts["p-1"]


def processing(payout: Payout) -> None:
    payout.start_processing(START)


async def test_a_pending_payout_is_cancelled_and_its_queued_send_aborted(
    cancel, database, sends, clock
):
    # Given a pending payout
    database.add_endpoint(USER)  # its user's webhook endpoint: notify hears of it
    created_message_id = given(database)
    # When its owner cancels it
    payout = await cancel(USER, "p-1", CANCEL_HEADERS)
    # Then it is cancelled, with payout.cancelled carrying the request's headers
    assert payout.status is PayoutStatus.CANCELLED
    assert (stored(database).status, stored(database).completed_at) == (
        PayoutStatus.CANCELLED,
        clock.now(),
    )
    cancelled = [
        r.headers for r in database.committed.outbox if r.event.name == events.PAYOUT_CANCELLED
    ]
    assert cancelled == [booked(CANCEL_HEADERS)]
    # And the send queue is told which payout.created message not to start
    assert sends.cancelled == [created_message_id]


async def test_a_payout_whose_sends_were_only_refused_for_now_can_be_cancelled(cancel, database):
    # Given a processing payout whose every attempt got a definite "not now" from the provider
    given(database, processing, [SendAttemptResult.TEMPORARY_ERROR] * 2)
    # When it is cancelled
    payout = await cancel(USER, "p-1", CANCEL_HEADERS)
    # Then it is cancelled
    assert payout.status is stored(database).status is PayoutStatus.CANCELLED


@pytest.mark.parametrize(
    ("change", "attempts", "reason"),
    [
        pytest.param(
            lambda p: (p.start_processing(START), p.record_provider_acceptance("prov-1", START)),
            [SendAttemptResult.ACCEPTED],
            "accepted by the provider",
            id="accepted-by-the-provider",
        ),
        pytest.param(
            lambda p: (p.start_processing(START), p.succeed(START)),
            [],
            "final",
            id="final-succeeded",
        ),
        pytest.param(
            lambda p: (p.start_processing(START), p.fail(DECLINED, "refused", START)),
            [],
            "final",
            id="final-failed",
        ),
        pytest.param(processing, [SendAttemptResult.SENDING], "being sent", id="being-sent"),
    ],
)
async def test_a_payout_the_provider_has_or_may_hold_is_not_cancellable(
    cancel, database, sends, change, attempts, reason
):
    # Given a payout accepted, finished, being sent, or possibly held by the provider
    given(database, change, attempts)
    before = stored(database)
    outbox_before = len(database.committed.outbox)
    # When its owner tries to cancel it, the refusal says why
    with pytest.raises(PayoutNotCancellable, match=reason):
        await cancel(USER, "p-1", CANCEL_HEADERS)
    # Then nothing changes and no send is aborted
    assert stored(database) == before
    assert len(database.committed.outbox) == outbox_before
    assert sends.cancelled == []


@pytest.mark.parametrize(("caller", "payout_id"), [(USER + 1, "p-1"), (USER, "p-404")])
async def test_another_users_or_an_unknown_payout_is_not_found(
    cancel, database, sends, caller, payout_id
):
    given(database)
    with pytest.raises(NotFound):
        await cancel(caller, payout_id, CANCEL_HEADERS)
    assert stored(database).status is PayoutStatus.PENDING
    assert sends.cancelled == []


async def test_cancelling_a_cancelled_payout_returns_it_without_a_second_event(
    cancel, database, sends
):
    # Given a payout cancelled once
    given(database)
    await cancel(USER, "p-1", CANCEL_HEADERS)
    # When it is cancelled again
    payout = await cancel(USER, "p-1", {"request_id": "req-again"})
    # Then the cancelled payout is returned, and nothing is written or aborted again
    assert payout.status is PayoutStatus.CANCELLED
    assert database.committed.events_of("p-1") == [events.PAYOUT_CREATED, events.PAYOUT_CANCELLED]
    assert len(sends.cancelled) == 1


async def test_a_cancel_while_the_provider_is_being_called_is_refused_and_the_send_stands(
    cancel, database, clock
):
    # Given a send whose call to the provider is under way when the owner cancels
    given(database)
    provider = FakeProviderClient()
    send = SendPayout(FakeUnitOfWorkFactory(database), clock, provider, RetryPolicy())
    refusals: list[PayoutNotCancellable] = []

    async def owner_cancels() -> None:
        with pytest.raises(PayoutNotCancellable) as raised:
            await cancel(USER, "p-1", CANCEL_HEADERS)
        refusals.append(raised.value)

    provider.while_sending = owner_cancels
    provider.will_accept("prov-1")
    # When the provider accepts
    outcome = await send(database.committed.outbox[0].envelope(), retries=0)
    # Then the cancel was refused and the payout is the provider's
    assert len(refusals) == 1
    assert outcome is SendOutcome.ACCEPTED
    assert (stored(database).status, stored(database).provider_payout_id) == (
        PayoutStatus.PROCESSING,
        "prov-1",
    )


UNANSWERED = [
    pytest.param([SendAttemptResult.NO_ANSWER, SendAttemptResult.TEMPORARY_ERROR], id="timeout"),
    pytest.param([SendAttemptResult.AMBIGUOUS], id="http-500"),
    pytest.param([SendAttemptResult.UNKNOWN], id="a-sender-died-mid-call"),
]


@pytest.mark.parametrize("attempts", UNANSWERED)
async def test_a_payout_the_provider_may_hold_is_not_cancelled_while_the_provider_is_silent(
    cancel, database, sends, provider, attempts
):
    # Given a payout an attempt of which got no definite answer, and a provider that does not
    # answer the lookup either
    given(database, processing, attempts)
    provider.lookups["p-1"] = ProviderOutcomeUnknown("server_error", "HTTP 503", 503)
    # When its owner tries to cancel it, the refusal says why
    with pytest.raises(PayoutNotCancellable, match="may already hold"):
        await cancel(USER, "p-1", CANCEL_HEADERS)
    # Then it is still processing, funds held, and flagged for an operator
    payout = stored(database)
    assert (payout.status, payout.needs_review) == (PayoutStatus.PROCESSING, True)
    assert events.PAYOUT_CANCELLED not in database.committed.events_of("p-1")
    assert sends.cancelled == []


@pytest.mark.parametrize("attempts", UNANSWERED)
async def test_a_payout_the_provider_never_took_is_cancelled_after_asking(
    cancel, database, provider, attempts
):
    # Given a payout an attempt of which got no definite answer, and a provider whose lookup
    # says it never took it
    given(database, processing, attempts)
    # When its owner cancels it
    cancelled = await cancel(USER, "p-1", CANCEL_HEADERS)
    # Then the provider was asked first, and the payout is cancelled
    assert provider.looked_up == ["p-1"]
    assert cancelled.status is PayoutStatus.CANCELLED
    assert database.committed.events_of("p-1")[-1] == events.PAYOUT_CANCELLED


async def test_a_payout_the_provider_holds_is_not_cancelled_and_adopts_the_providers_record(
    cancel, database, provider
):
    # Given a payout whose send got an HTTP 500 after the provider took it
    given(database, processing, [SendAttemptResult.AMBIGUOUS])
    provider.payouts["prv-7"] = ProviderPayoutState(
        "prv-7", ProviderStatus.PROCESSING, START + timedelta(seconds=1), reference="p-1"
    )
    # When its owner tries to cancel it, the refusal names the provider's payout
    with pytest.raises(PayoutNotCancellable, match="prv-7"):
        await cancel(USER, "p-1", CANCEL_HEADERS)
    # Then the payout holds the provider's id and is not cancelled
    payout = stored(database)
    assert (payout.status, payout.provider_payout_id) == (PayoutStatus.PROCESSING, "prv-7")
    assert events.PAYOUT_CANCELLED not in database.committed.events_of("p-1")
