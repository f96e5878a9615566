"""Reconciliation asks about successful payouts within the return window, so a return the
provider never announced by webhook still comes back to the user; successive passes walk the
whole window, a batch at a time."""

from collections import Counter
from datetime import timedelta

from payout_service.application.ports import ProviderPayoutState, ProviderTemporaryError
from payout_service.application.reconcile_payouts import ReconcilePayouts
from payout_service.domain import events
from payout_service.domain.failure_codes import FailureCode
from payout_service.domain.payout import PayoutStatus
from payout_service.domain.provider_report import ProviderStatus
from tests.unit.fakes import (
    START,
    FakeClock,
    FakeDatabase,
    FakeProviderClient,
    FakeUnitOfWorkFactory,
    new_payout,
)

WINDOW = timedelta(days=30)
QUIET_FOR = timedelta(minutes=5)


def reconciler(
    database: FakeDatabase,
    clock: FakeClock,
    provider: FakeProviderClient,
    window: timedelta = WINDOW,
    batch_size: int = 10,
) -> ReconcilePayouts:
    return ReconcilePayouts(
        FakeUnitOfWorkFactory(database),
        clock,
        provider,
        QUIET_FOR,
        batch_size,
        return_window=window,
    )


def given_succeeded(database: FakeDatabase, n: int, ago: timedelta) -> None:
    """Payout p-{n}, accepted as prov-{n} and succeeded `ago` before START."""
    moment = START - ago
    payout = new_payout(f"p-{n}", now=moment)
    payout.start_processing(moment)
    payout.record_provider_acceptance(f"prov-{n}", moment)
    payout.succeed(moment)
    database.add_payout(payout)


def provider_says(
    provider: FakeProviderClient, n: int, status: ProviderStatus, failure_code: str | None = None
) -> None:
    provider.payouts[f"prov-{n}"] = ProviderPayoutState(
        f"prov-{n}", status, START - timedelta(minutes=1), f"p-{n}", failure_code=failure_code
    )


async def test_a_success_the_provider_returned_within_the_window_becomes_returned(
    database, clock, provider
):
    # Given a payout that succeeded a day ago, which the bank sent back without a webhook
    given_succeeded(database, 1, timedelta(days=1))
    provider_says(provider, 1, ProviderStatus.RETURNED, "account_closed")
    reconcile = reconciler(database, clock, provider)
    # When reconciliation runs
    report = await reconcile()
    # Then the provider was asked, and the return applied as its webhook would have applied it
    assert provider.asked == ["prov-1"]
    assert (report.checked, report.outcomes, report.provider_errors) == (
        1,
        Counter({"applied": 1}),
        0,
    )
    payout = database.committed.payouts["p-1"]
    assert (payout.status, payout.failure_code, payout.returned_at) == (
        PayoutStatus.RETURNED,
        FailureCode.ACCOUNT_CLOSED,
        clock.now(),
    )
    assert database.committed.events_of("p-1")[-1] == events.PAYOUT_RETURNED
    # and a returned payout is not asked about again
    again = await reconcile()
    assert (again.checked, provider.asked) == (0, ["prov-1"])


async def test_a_success_outside_the_window_is_not_asked_about(database, clock, provider):
    # Given a payout that succeeded just before the window began, and one just inside it
    given_succeeded(database, 1, WINDOW + timedelta(seconds=1))
    given_succeeded(database, 2, WINDOW - timedelta(seconds=1))
    provider_says(provider, 1, ProviderStatus.RETURNED, "account_closed")
    provider_says(provider, 2, ProviderStatus.SUCCESS)
    # When reconciliation runs
    report = await reconciler(database, clock, provider)()
    # Then only the one inside is asked about, and nothing changes
    assert provider.asked == ["prov-2"]
    assert report.outcomes == Counter({"unchanged": 1})
    assert database.committed.payouts["p-1"].status is PayoutStatus.SUCCESS


async def test_a_window_of_zero_asks_about_no_success(database, clock, provider):
    # Given a payout that succeeded a minute ago and came back
    given_succeeded(database, 1, timedelta(minutes=1))
    provider_says(provider, 1, ProviderStatus.RETURNED, "account_closed")
    # When reconciliation runs with the window off
    report = await reconciler(database, clock, provider, window=timedelta(0))()
    # Then the provider is not asked
    assert (report.checked, provider.asked) == (0, [])
    assert database.committed.payouts["p-1"].status is PayoutStatus.SUCCESS


async def test_successive_passes_cover_the_whole_window_then_start_over(database, clock, provider):
    # Given five successes within the window, p-1 the earliest, and passes of two
    for n in range(1, 6):
        given_succeeded(database, n, timedelta(days=10 - n))
        provider_says(provider, n, ProviderStatus.SUCCESS)
    reconcile = reconciler(database, clock, provider, batch_size=2)
    # When four passes run
    checked = [(await reconcile()).checked for _ in range(4)]
    # Then each was asked about once, earliest first, before the fourth pass started over
    assert checked == [2, 2, 1, 2]
    assert provider.asked == [f"prov-{n}" for n in (1, 2, 3, 4, 5, 1, 2)]


async def test_a_round_takes_in_successes_that_happened_since_it_began(database, clock, provider):
    # Given two successes, and a pass of two over them
    for n in (1, 2):
        given_succeeded(database, n, timedelta(days=3 - n))
        provider_says(provider, n, ProviderStatus.SUCCESS)
    reconcile = reconciler(database, clock, provider, batch_size=2)
    await reconcile()
    # When a payout succeeds after that pass, and the next one runs
    given_succeeded(database, 3, timedelta(0))
    provider_says(provider, 3, ProviderStatus.SUCCESS)
    clock.advance(timedelta(minutes=1))
    await reconcile()
    # Then the round goes on with the new one before starting over
    assert provider.asked == ["prov-1", "prov-2", "prov-3"]


async def test_a_provider_error_about_a_success_is_counted_and_the_others_still_asked(
    database, clock, provider
):
    # Given two successes: the provider fails on p-1, and returned p-2
    given_succeeded(database, 1, timedelta(days=2))
    given_succeeded(database, 2, timedelta(days=1))
    provider.payouts["prov-1"] = ProviderTemporaryError("server_error", "503", 503)
    provider_says(provider, 2, ProviderStatus.RETURNED, "no_account")
    # When reconciliation runs, it raises nothing
    report = await reconciler(database, clock, provider)()
    # Then the error is counted, and p-2 returned
    assert (report.checked, report.provider_errors, report.outcomes) == (
        2,
        1,
        Counter({"applied": 1}),
    )
    assert database.committed.payouts["p-2"].status is PayoutStatus.RETURNED
