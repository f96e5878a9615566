"""Reconciliation asks the provider about accepted payouts that have been quiet too long, and
about flagged ones whose sending stopped without an answer."""

from collections import Counter
from collections.abc import Sequence
from datetime import timedelta

import pytest

from payout_service.application.ports import (
    ProviderOutcomeUnknown,
    ProviderPayoutState,
    ProviderTemporaryError,
)
from payout_service.application.reconcile_payouts import ReconcilePayouts
from payout_service.domain import events
from payout_service.domain.payout import PayoutStatus
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

QUIET_FOR = timedelta(minutes=5)


def reconciler(
    database: FakeDatabase, clock: FakeClock, provider: FakeProviderClient, batch_size: int = 10
) -> ReconcilePayouts:
    return ReconcilePayouts(FakeUnitOfWorkFactory(database), clock, provider, QUIET_FOR, batch_size)


@pytest.fixture
def reconcile(
    database: FakeDatabase, clock: FakeClock, provider: FakeProviderClient
) -> ReconcilePayouts:
    return reconciler(database, clock, provider)


def given(database: FakeDatabase, n: int, quiet_for: timedelta, accepted: bool = True) -> None:
    """Payout p-{n}, processing (accepted as prov-{n} unless told otherwise), last changed
    `quiet_for` ago."""
    changed_at = START - quiet_for
    payout = new_payout(f"p-{n}", now=changed_at)
    payout.start_processing(changed_at)
    if accepted:
        payout.record_provider_acceptance(f"prov-{n}", changed_at)
    database.add_payout(payout)


def provider_says(provider: FakeProviderClient, n: int, status: ProviderStatus) -> None:
    provider.payouts[f"prov-{n}"] = ProviderPayoutState(
        f"prov-{n}", status, START - timedelta(minutes=1)
    )


def status_of(database: FakeDatabase, n: int) -> PayoutStatus:
    return database.committed.payouts[f"p-{n}"].status


async def test_a_quiet_accepted_payout_takes_the_outcome_the_provider_reports(
    reconcile, database, provider
):
    # Given an accepted payout quiet for longer than QUIET_FOR, which the provider paid
    given(database, 1, QUIET_FOR + timedelta(seconds=1))
    provider_says(provider, 1, ProviderStatus.SUCCESS)
    # When reconciliation runs
    report = await reconcile()
    # Then the provider was asked, and its answer applied as a webhook's would be
    assert provider.asked == ["prov-1"]
    assert (report.checked, report.outcomes, report.provider_errors) == (
        1,
        Counter({"applied": 1}),
        0,
    )
    assert status_of(database, 1) is PayoutStatus.SUCCESS
    assert database.committed.events_of("p-1")[-1] == events.PAYOUT_SUCCEEDED


async def test_payouts_not_quiet_long_enough_or_not_accepted_are_not_asked(
    reconcile, database, provider
):
    # Given an accepted payout changed just now, and a quiet one the provider has not accepted
    given(database, 1, QUIET_FOR - timedelta(seconds=1))
    given(database, 2, QUIET_FOR * 2, accepted=False)

    report = await reconcile()

    assert (report.checked, provider.asked) == (0, [])


async def test_the_longest_quiet_are_asked_first_up_to_the_batch_size(database, clock, provider):
    # Given three quiet accepted payouts, p-2 the quietest, then p-3
    for n, quiet in ((1, QUIET_FOR * 2), (2, QUIET_FOR * 4), (3, QUIET_FOR * 3)):
        given(database, n, quiet)
        provider_says(provider, n, ProviderStatus.PROCESSING)
    # When a pass of two runs
    report = await reconciler(database, clock, provider, batch_size=2)()
    # Then the two quietest were asked, longest first
    assert provider.asked == ["prov-2", "prov-3"]
    assert report.checked == 2


async def test_a_processing_answer_restarts_the_quiet_period(reconcile, database, provider, clock):
    # Given a payout the provider is still processing
    given(database, 1, QUIET_FOR * 2)
    provider_says(provider, 1, ProviderStatus.PROCESSING)
    # When reconciliation runs, and again right after
    first = await reconcile()
    second = await reconcile()
    # Then the first pass recorded the provider's status, so the second did not ask again
    assert first.outcomes == Counter({"applied": 1})
    payout = database.committed.payouts["p-1"]
    assert (payout.status, payout.provider_status, payout.updated_at) == (
        PayoutStatus.PROCESSING,
        "processing",
        clock.now(),
    )
    assert (second.checked, provider.asked) == (0, ["prov-1"])


async def test_provider_errors_are_counted_and_the_other_payouts_still_reconciled(
    reconcile, database, provider
):
    # Given three quiet payouts: the provider fails on p-1, does not know p-2, paid p-3
    for n in (1, 2, 3):
        given(database, n, QUIET_FOR * (5 - n))
    provider.payouts["prov-1"] = ProviderTemporaryError("server_error", "503", 503)
    provider_says(provider, 3, ProviderStatus.FAILED)
    # When reconciliation runs, it raises nothing
    report = await reconcile()
    # Then both errors are counted and p-3 is reconciled; p-1 and p-2 are left for next time
    assert (report.checked, report.provider_errors, report.outcomes) == (
        3,
        2,
        Counter({"applied": 1}),
    )
    assert [status_of(database, n) for n in (1, 2, 3)] == [
        PayoutStatus.PROCESSING,
        PayoutStatus.PROCESSING,
        PayoutStatus.FAILED,
    ]


def given_flagged(
    database: FakeDatabase,
    n: int,
    attempts: Sequence[SendAttemptResult] = (SendAttemptResult.NO_ANSWER,),
    flag: bool = True,
) -> None:
    """Payout p-{n}, processing without the provider's acceptance after those attempts, flagged
    for review when sending stopped unless told otherwise."""
    changed_at = START - QUIET_FOR * 2
    payout = new_payout(f"p-{n}", now=changed_at)
    payout.start_processing(changed_at)
    payout.record_send_failure("read timed out", None, changed_at)
    if flag:
        payout.flag_for_review("gave up; the provider may hold the payout", changed_at)
    database.add_payout(payout)
    database.add_send_attempts(f"p-{n}", attempts, changed_at)


async def test_a_flagged_unsent_payout_the_provider_never_took_is_failed(
    reconcile, database, provider
):
    # Given a flagged payout, sending stopped, that the provider has no record of
    given_flagged(database, 1)
    # When reconciliation runs
    report = await reconcile()
    # Then the provider was asked by our reference, and the payout failed, releasing its funds
    assert (provider.looked_up, provider.asked) == (["p-1"], [])
    assert (report.checked, report.outcomes, report.provider_errors) == (
        1,
        Counter({"failed": 1}),
        0,
    )
    payout = database.committed.payouts["p-1"]
    assert (payout.status, payout.needs_review) == (PayoutStatus.FAILED, False)
    assert database.committed.events_of("p-1")[-1] == events.PAYOUT_FAILED


async def test_a_flagged_unsent_payout_the_provider_holds_adopts_its_record(
    reconcile, database, provider
):
    # Given a flagged payout which the provider took and paid
    given_flagged(database, 1)
    provider.payouts["prv-9"] = ProviderPayoutState(
        "prv-9", ProviderStatus.SUCCESS, START - timedelta(minutes=1), reference="p-1"
    )
    # When reconciliation runs
    report = await reconcile()
    # Then the payout takes the provider's id and outcome, and its review is over
    assert report.outcomes == Counter({"applied": 1})
    payout = database.committed.payouts["p-1"]
    assert (payout.status, payout.provider_payout_id, payout.needs_review) == (
        PayoutStatus.SUCCESS,
        "prv-9",
        False,
    )
    assert database.committed.events_of("p-1")[-2:] == [
        events.PAYOUT_PROVIDER_ACCEPTED,
        events.PAYOUT_SUCCEEDED,
    ]


async def test_a_flagged_unsent_payout_is_left_as_it_is_while_the_provider_is_silent(
    reconcile, database, provider
):
    given_flagged(database, 1)
    provider.lookups["p-1"] = ProviderOutcomeUnknown("server_error", "HTTP 503", 503)
    before = database.committed.payouts["p-1"]

    report = await reconcile()

    assert (report.checked, report.outcomes, report.provider_errors) == (1, Counter(), 1)
    assert database.committed.payouts["p-1"] == before


@pytest.mark.parametrize(
    ("attempts", "flag"),
    [
        pytest.param([SendAttemptResult.NO_ANSWER], False, id="not-flagged"),
        pytest.param(
            [SendAttemptResult.NO_ANSWER, SendAttemptResult.SENDING], True, id="being-sent"
        ),
    ],
)
async def test_a_payout_sending_may_still_reach_is_never_failed_on_the_providers_404(
    reconcile, database, attempts, flag
):
    # Given a payout without the provider's acceptance, not flagged (its sends may still retry)
    # or with a send under way, and a provider that has no record of it
    given_flagged(database, 1, attempts, flag)
    # When reconciliation runs
    await reconcile()
    # Then it is not failed
    payout = database.committed.payouts["p-1"]
    assert payout.status is PayoutStatus.PROCESSING
    assert events.PAYOUT_FAILED not in database.committed.events_of("p-1")


async def test_a_send_no_retry_came_back_to_is_asked_for_again(reconcile, database):
    # Given a payout processing without the provider's id, untouched for 20 minutes (its
    # delayed retry lost), and one untouched for a minute (its retry still to come)
    given(database, 1, timedelta(minutes=20), accepted=False)
    given(database, 2, timedelta(minutes=1), accepted=False)
    # When reconciliation runs
    report = await reconcile()
    # Then only the stalled one gets a new send request, once
    assert report.outcomes["send_requested"] == 1
    assert database.committed.events_of("p-1")[-1] == events.PAYOUT_SEND_REQUESTED
    assert events.PAYOUT_SEND_REQUESTED not in database.committed.events_of("p-2")
    again = await reconcile()
    assert again.outcomes["send_requested"] == 0


async def test_a_flagged_payout_is_never_sent_again_by_reconciliation(
    reconcile, database, provider
):
    # Given a stalled payout an operator must look at (the provider does not answer about it)
    given(database, 1, timedelta(minutes=20), accepted=False)
    payout = database.committed.payouts["p-1"]
    payout.flag_for_review("the provider may hold it", START - timedelta(minutes=20))
    provider.lookups["p-1"] = ProviderOutcomeUnknown("timeout", "no answer")
    # When reconciliation runs
    await reconcile()
    # Then no send is asked for: only the operator or the provider's word ends it
    assert events.PAYOUT_SEND_REQUESTED not in database.committed.events_of("p-1")
