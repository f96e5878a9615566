"""Every ledger movement is one balanced posting: the user's line against the clearing account."""

import pytest

from payout_service.domain.accounts import Account, Direction, EntryKind

USER_SIDE = {
    "deposit": Direction.CREDIT,
    "hold": Direction.DEBIT,
    "debit_held": Direction.DEBIT,
    "release": Direction.CREDIT,
}


def movement(name: str):
    account = Account(id=7, user_id=123, currency="EUR", balance_minor=10_000, held_minor=3_000)
    if name == "deposit":
        return account.deposit(500)
    return getattr(account, name)(500, "p-1")


@pytest.mark.parametrize("name", list(USER_SIDE))
def test_each_movement_posts_equal_debit_and_credit(name):
    user, clearing = movement(name).lines()
    # The user's account takes the side the table says, the clearing account the other
    assert (user.account_id, user.direction) == (7, USER_SIDE[name])
    assert (clearing.account_id, clearing.direction) == (None, USER_SIDE[name].opposite)
    # Same amount, currency, kind and payout on both lines
    assert {
        (line.amount_minor, line.currency, line.kind, line.payout_id) for line in (user, clearing)
    } == {(500, "EUR", user.kind, None if name == "deposit" else "p-1")}


def test_the_user_line_kind_is_the_movement():
    assert [movement(n).lines()[0].kind for n in USER_SIDE] == [
        EntryKind.DEPOSIT,
        EntryKind.HOLD,
        EntryKind.DEBIT,
        EntryKind.RELEASE,
    ]
