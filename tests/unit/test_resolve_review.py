"""The review queue, and settling a flagged payout by the provider's word or an operator's."""

from collections.abc import Callable, Sequence
from datetime import timedelta

import pytest

from payout_service.application.errors import NotFound, ReviewNotResolved
from payout_service.application.ports import ProviderOutcomeUnknown, ProviderPayoutState
from payout_service.application.resolve_review import ForcedOutcome, ResolveReview
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
    new_payout,
)

OPERATOR = "alice"
REASON = "provider support confirmed by ticket 42"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(START + timedelta(hours=1))


@pytest.fixture
def resolve(
    database: FakeDatabase, clock: FakeClock, provider: FakeProviderClient
) -> ResolveReview:
    return ResolveReview(FakeUnitOfWorkFactory(database), clock, provider)


def flagged(payout: Payout) -> None:
    """Processing, never accepted, flagged when sending stopped without an answer."""
    payout.start_processing(START)
    payout.flag_for_review("gave up; the provider may hold the payout", START)


def flagged_pending(payout: Payout) -> None:
    payout.flag_for_review("a webhook reported success before it was sent", START)


def given(
    database: FakeDatabase,
    change: Callable[[Payout], None] = flagged,
    attempts: Sequence[SendAttemptResult] | None = None,
) -> None:
    """Payout p-1, changed as asked, with those send attempts; by default one that got no
    answer, unless the payout is still pending (never sent)."""
    payout = new_payout()
    change(payout)
    database.add_payout(payout)
    if attempts is None:
        unsent = payout.status is PayoutStatus.PENDING
        attempts = [] if unsent else [SendAttemptResult.NO_ANSWER]
    database.add_send_attempts("p-1", attempts, START)


def provider_holds(provider: FakeProviderClient, status: ProviderStatus) -> None:
    provider.payouts["prv-9"] = ProviderPayoutState(
        "prv-9", status, START + timedelta(seconds=5), reference="p-1"
    )


def provider_is_silent(provider: FakeProviderClient) -> None:
    provider.lookups["p-1"] = ProviderOutcomeUnknown("server_error", "HTTP 503", 503)


def stored(database: FakeDatabase) -> Payout:
    return database.committed.payouts["p-1"]


def forced(outcome: PayoutStatus, checked: bool = False, reason: str = REASON) -> ForcedOutcome:
    return ForcedOutcome(outcome, reason, OPERATOR, checked)


async def test_the_queue_lists_flagged_payouts_longest_waiting_first_with_the_last_attempt(
    resolve, database
):
    # Given p-1 flagged after two attempts, p-2 flagged earlier without any, p-3 not flagged
    later = new_payout("p-1")
    later.start_processing(START)
    later.flag_for_review("no answer", START + timedelta(minutes=2))
    database.add_payout(later)
    database.add_send_attempts(
        "p-1", [SendAttemptResult.TEMPORARY_ERROR, SendAttemptResult.NO_ANSWER], START
    )
    earlier = new_payout("p-2")
    earlier.flag_for_review("conflict", START + timedelta(minutes=1))
    database.add_payout(earlier)
    database.add_payout(new_payout("p-3"))
    # When the queue is listed
    queue = await resolve.queue(limit=10)
    # Then the flagged ones come, longest waiting first, each with its last attempt's result
    assert [(f.payout.id, f.last_attempt and f.last_attempt.result) for f in queue] == [
        ("p-2", None),
        ("p-1", SendAttemptResult.NO_ANSWER),
    ]
    assert [f.payout.id for f in await resolve.queue(limit=1)] == ["p-2"]


@pytest.mark.parametrize(
    ("reported", "status", "resolved", "written"),
    [
        pytest.param(
            ProviderStatus.SUCCESS,
            PayoutStatus.SUCCESS,
            True,
            [events.PAYOUT_PROVIDER_ACCEPTED, events.PAYOUT_SUCCEEDED],
            id="paid",
        ),
        pytest.param(
            ProviderStatus.PROCESSING,
            PayoutStatus.PROCESSING,
            False,
            [events.PAYOUT_PROVIDER_ACCEPTED],
            id="paying",
        ),
    ],
)
async def test_the_providers_record_is_adopted_and_a_final_one_ends_the_review(
    resolve, database, provider, reported, status, resolved, written
):
    # Given a flagged payout the provider did take
    given(database)
    provider_holds(provider, reported)
    # When it is resolved
    resolution = await resolve("p-1")
    # Then it holds the provider's id and status; only a final status clears the flag
    payout = stored(database)
    assert (payout.status, payout.provider_payout_id) == (status, "prv-9")
    assert (resolution.resolved, payout.needs_review) == (resolved, not resolved)
    assert resolution.payout == payout
    assert "prv-9" in resolution.provider
    assert database.committed.events_of("p-1")[3:] == written


async def test_a_flagged_payout_the_provider_paid_and_got_back_is_resolved_as_paid_then_returned(
    resolve, database, provider
):
    # Given a flagged payout the provider took, paid, and saw come back (a return reported
    # to a payout that never learnt of its success is a conflict everywhere but here)
    given(database)
    provider.payouts["prv-9"] = ProviderPayoutState(
        "prv-9",
        ProviderStatus.RETURNED,
        START + timedelta(minutes=5),
        reference="p-1",
        failure_code="account_frozen",
    )
    # When the operator resolves it
    resolution = await resolve("p-1")
    # Then it is what the provider says happened: paid, then returned, and the review is over
    payout = stored(database)
    assert (payout.status, payout.failure_code, payout.needs_review) == (
        PayoutStatus.RETURNED,
        "account_frozen",
        False,
    )
    assert resolution.resolved
    assert database.committed.events_of("p-1")[3:] == [
        events.PAYOUT_PROVIDER_ACCEPTED,
        events.PAYOUT_SUCCEEDED,
        events.PAYOUT_RETURNED,
    ]


@pytest.mark.parametrize("change", [flagged, flagged_pending])
async def test_a_flagged_payout_the_provider_never_took_fails_and_releases_its_funds(
    resolve, database, provider, clock, change
):
    # Given a flagged payout, processing or pending, no send under way, that the provider has
    # no record of
    given(database, change)
    # When it is resolved
    resolution = await resolve("p-1")
    # Then it failed (payout.failed releases its funds), and the review is over
    payout = stored(database)
    assert provider.looked_up == ["p-1"]
    assert (payout.status, payout.needs_review, payout.completed_at) == (
        PayoutStatus.FAILED,
        False,
        clock.now(),
    )
    assert payout.last_error == "resolved: the provider has no record of it"
    assert database.committed.events_of("p-1")[-1] == events.PAYOUT_FAILED
    assert resolution.resolved is True


async def test_a_flagged_payout_being_sent_is_not_failed_on_the_providers_404(resolve, database):
    # Given a flagged payout whose latest send is under way right now
    given(database, attempts=[SendAttemptResult.NO_ANSWER, SendAttemptResult.SENDING])
    before = stored(database)
    # When it is resolved while the provider has no record of it yet
    resolution = await resolve("p-1")
    # Then it is left as it is
    assert stored(database) == before
    assert resolution.resolved is False


async def test_a_flagged_payout_stays_as_it_is_while_the_provider_is_silent(
    resolve, database, provider
):
    given(database)
    provider_is_silent(provider)
    before = stored(database)
    outbox_before = len(database.committed.outbox)

    resolution = await resolve("p-1")

    assert stored(database) == before
    assert len(database.committed.outbox) == outbox_before
    assert resolution.resolved is False
    assert "did not answer" in resolution.provider


@pytest.mark.parametrize(
    ("change", "answer", "outcome", "refusal"),
    [
        pytest.param(
            flagged,
            lambda p: provider_holds(p, ProviderStatus.PROCESSING),
            forced(PayoutStatus.FAILED),
            "only when the provider has no record",
            id="the-provider-holds-it-unchecked",
        ),
        pytest.param(
            flagged,
            provider_is_silent,
            forced(PayoutStatus.FAILED),
            "only when the provider has no record",
            id="the-provider-is-silent-unchecked",
        ),
        pytest.param(
            flagged,
            lambda p: None,
            forced(PayoutStatus.FAILED, reason="  "),
            "reason is required",
            id="no-reason",
        ),
        pytest.param(
            lambda p: p.start_processing(START),
            lambda p: None,
            forced(PayoutStatus.FAILED),
            "not waiting for a review",
            id="not-flagged",
        ),
        pytest.param(
            flagged_pending,
            lambda p: None,
            forced(PayoutStatus.SUCCESS, checked=True),
            "cannot become success",
            id="success-of-a-pending-payout",
        ),
        pytest.param(
            flagged,
            lambda p: None,
            forced(PayoutStatus.SUCCESS),
            "only with --i-checked-with-the-provider",
            id="success-after-a-404-without-checking",
        ),
        pytest.param(
            flagged,
            lambda p: None,
            forced(PayoutStatus.CANCELLED),
            "success or failed",
            id="cancelled",
        ),
    ],
)
async def test_a_forced_outcome_is_refused_without_the_providers_word_or_a_reason(
    resolve, database, provider, change, answer, outcome, refusal
):
    # Given a payout, and the provider's answer about it
    given(database, change)
    answer(provider)
    before = stored(database)
    outbox_before = len(database.committed.outbox)
    # When an operator forces an outcome, the refusal says why
    with pytest.raises(ReviewNotResolved, match=refusal):
        await resolve("p-1", outcome)
    # Then nothing changes
    assert stored(database) == before
    assert len(database.committed.outbox) == outbox_before


@pytest.mark.parametrize(
    ("answer", "outcome", "final_event"),
    [
        pytest.param(
            lambda p: None,
            forced(PayoutStatus.FAILED),
            events.PAYOUT_FAILED,
            id="failed-after-a-404",
        ),
        pytest.param(
            lambda p: provider_holds(p, ProviderStatus.PROCESSING),
            forced(PayoutStatus.SUCCESS, checked=True),
            events.PAYOUT_SUCCEEDED,
            id="success-checked-with-the-provider",
        ),
        pytest.param(
            provider_is_silent,
            forced(PayoutStatus.FAILED, checked=True),
            events.PAYOUT_FAILED,
            id="failed-checked-while-the-provider-is-silent",
        ),
    ],
)
async def test_a_forced_outcome_is_written_with_the_operator_and_reason(
    resolve, database, provider, answer, outcome, final_event
):
    # Given a flagged payout, and the provider's answer about it
    given(database)
    answer(provider)
    # When an operator forces an outcome with a reason
    resolution = await resolve("p-1", outcome)
    # Then the payout ends as forced, and the decision is written first, naming who and why
    payout = stored(database)
    assert (payout.status, payout.needs_review) == (outcome.outcome, False)
    assert resolution.resolved is True
    assert database.committed.events_of("p-1")[-3:] == [
        events.PAYOUT_NEEDS_REVIEW,
        events.PAYOUT_REVIEW_RESOLVED,
        final_event,
    ]
    # (in the audit log, written with the outcome: no consumer acts on the decision itself)
    (row,) = [e for e in database.committed.audit if e.event == events.PAYOUT_REVIEW_RESOLVED]
    assert (row.payload["operator"], row.payload["reason"]) == (OPERATOR, REASON)
    assert row.payload["outcome"] == str(outcome.outcome)
    assert row.headers == {"operator": OPERATOR}


async def test_a_final_flagged_payout_forced_to_stay_as_it_is_only_clears_the_flag(
    resolve, database, provider
):
    # Given a succeeded payout flagged by a contradicting report, which the provider paid
    def paid_then_contradicted(payout: Payout) -> None:
        payout.start_processing(START)
        payout.record_provider_acceptance("prv-9", START)
        payout.succeed(START)
        payout.flag_for_review("a webhook reported failed", START)

    given(database, paid_then_contradicted, [SendAttemptResult.ACCEPTED])
    provider_holds(provider, ProviderStatus.SUCCESS)
    # When the operator, having checked, says it stays a success
    await resolve("p-1", forced(PayoutStatus.SUCCESS, checked=True))
    # Then the flag is cleared and only the decision is written
    payout = stored(database)
    assert (payout.status, payout.needs_review) == (PayoutStatus.SUCCESS, False)
    assert database.committed.events_of("p-1")[-2:] == [
        events.PAYOUT_NEEDS_REVIEW,
        events.PAYOUT_REVIEW_RESOLVED,
    ]


async def test_a_flagged_pending_payout_may_be_forced_to_fail_after_a_404(resolve, database):
    given(database, flagged_pending)

    await resolve("p-1", forced(PayoutStatus.FAILED))

    assert stored(database).status is PayoutStatus.FAILED


async def test_an_unknown_payout_is_not_found_and_the_provider_not_asked(resolve, provider):
    with pytest.raises(NotFound):
        await resolve("p-404")
    assert provider.looked_up == []
