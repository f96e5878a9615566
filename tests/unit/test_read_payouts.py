"""Listing payouts: only the caller's, newest first, every filter applied, a page at a time."""

from datetime import timedelta

import pytest

from payout_service.application.ports import PayoutFilter
from payout_service.application.read_payouts import ReadPayouts
from payout_service.domain.payout import PayoutStatus
from tests.unit.fakes import START, FakeDatabase, FakeUnitOfWorkFactory, new_payout

USER = 7
OTHER_USER = 8


@pytest.fixture
def read(database: FakeDatabase) -> ReadPayouts:
    return ReadPayouts(FakeUnitOfWorkFactory(database))


def given_payouts_an_hour_apart(database: FakeDatabase, count: int) -> list[str]:
    """p-1 created at START, p-2 an hour later, ...; and another user's payout at each time."""
    for n in range(1, count + 1):
        moment = START + timedelta(hours=n - 1)
        database.add_payout(new_payout(f"p-{n}", user_id=USER, now=moment))
        database.add_payout(new_payout(f"o-{n}", user_id=OTHER_USER, now=moment))
    return [f"p-{n}" for n in range(1, count + 1)]


def ids(page) -> list[str]:  # type: ignore[no-untyped-def]
    return [p.id for p in page.payouts]


async def test_every_filter_given_applies_to_the_callers_payouts_only(read, database):
    # Given four payouts an hour apart, the third of them failed, and another user's alike
    given_payouts_an_hour_apart(database, 4)
    database.committed.payouts["p-3"].status = PayoutStatus.FAILED
    # When the caller lists by reference, by creation window, and by window and status
    by_reference = await read.list(USER, PayoutFilter(external_reference="ref-2"), 10, None)
    window = PayoutFilter(
        created_gte=START + timedelta(hours=1), created_lt=START + timedelta(hours=3)
    )
    in_window = await read.list(USER, window, 10, None)
    pending_in_window = await read.list(
        USER,
        PayoutFilter(
            status=PayoutStatus.PENDING,
            created_gte=window.created_gte,
            created_lt=window.created_lt,
        ),
        10,
        None,
    )
    # Then each holds only the caller's payouts matching every filter, newest first
    assert ids(by_reference) == ["p-2"]
    assert ids(in_window) == ["p-3", "p-2"]
    assert ids(pending_in_window) == ["p-2"]


async def test_pages_follow_one_another_and_only_the_last_has_no_more(read, database):
    # Given three payouts
    given_payouts_an_hour_apart(database, 3)
    # When they are read two at a time
    first = await read.list(USER, PayoutFilter(), 2, None)
    second = await read.list(USER, PayoutFilter(), 2, first.next_cursor)
    # Then the pages hold all three, newest first, and only the first says more follow
    assert ids(first) + ids(second) == ["p-3", "p-2", "p-1"]
    assert (first.has_more, second.has_more) == (True, False)
    assert second.next_cursor is None
