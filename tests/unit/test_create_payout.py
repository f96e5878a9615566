import asyncio
import json
from dataclasses import replace
from datetime import datetime, timedelta

import pytest

from payout_service.application.create_payout import CreatePayout, CreatePayoutCommand
from payout_service.application.errors import (
    AccountNotFound,
    DuplicateReference,
    Forbidden,
    IdempotencyKeyInFlight,
    IdempotencyKeyReused,
)
from payout_service.application.event_routes import PROVIDER_SEND, consumers_of, unheard
from payout_service.application.ports import TransactionConflict
from payout_service.domain.accounts import EntryKind
from payout_service.domain.errors import InsufficientFunds, InvalidAmount, UnknownCurrency
from payout_service.domain.payout import PayoutStatus
from tests.unit.fakes import (
    FakeClock,
    FakeDatabase,
    FakeUnitOfWorkFactory,
    SequentialIds,
    State,
    booked,
)

USER = 123
TTL = timedelta(hours=24)


@pytest.fixture
def database() -> FakeDatabase:
    database = FakeDatabase()
    database.open_account(USER, "USD", 1_000_000)
    return database


def use_case(database: FakeDatabase, clock: FakeClock) -> CreatePayout:
    return CreatePayout(
        FakeUnitOfWorkFactory(database), clock, SequentialIds(), max_amount=1_000_000, key_ttl=TTL
    )


@pytest.fixture
def create_payout(database: FakeDatabase, clock: FakeClock) -> CreatePayout:
    return use_case(database, clock)


def command(**changes: object) -> CreatePayoutCommand:
    cmd = CreatePayoutCommand(
        caller_user_id=USER,
        idempotency_key="key-1",
        fingerprint="fp-1",
        user_id=USER,
        amount="150.00",
        currency="USD",
        wallet="W1",
        external_reference="ref-1",
        headers={"request_id": "r-1"},
    )
    return replace(cmd, **changes)


def written(state: State) -> tuple[int, int, int, int]:
    return len(state.payouts), len(state.ledger), len(state.idempotency), len(state.outbox)


async def test_create_holds_funds_and_writes_payout_key_and_event_together(
    create_payout, database, clock
):
    # When a payout is created
    result = await create_payout(command())
    # Then the answer is a 201 with the pending payout
    body = json.loads(result.body)
    assert (result.status_code, result.replayed) == (201, False)
    assert (body["status"], body["amount"], body["amount_minor"]) == ("pending", "150.00", 15000)
    # And the payout, its hold, its stored response and its event are all committed
    state = database.committed
    assert list(state.payouts) == [body["id"]]
    assert state.accounts[(USER, "USD")].held_minor == 15000
    assert [(e.kind, e.amount_minor, e.payout_id) for e in state.ledger] == [
        (EntryKind.HOLD, 15000, body["id"])
    ]
    stored = state.idempotency[(USER, "key-1")]
    assert (stored.payout_id, stored.response.body) == (body["id"], result.body)
    assert stored.response.expires_at == clock.now() + TTL
    # And its event goes to the sender only: the user has no webhook endpoint to notify
    assert [(o.event.name, o.headers) for o in state.outbox] == [
        ("payout.created", unheard(booked({"request_id": "r-1"})))
    ]
    assert consumers_of("payout.created", state.outbox[0].headers) == (PROVIDER_SEND,)


async def test_same_key_same_body_replays_the_first_answer_and_writes_nothing(
    create_payout, database
):
    # Given a created payout
    first = await create_payout(command())
    before = written(database.committed)
    # When the same request is retried under the same key
    again = await create_payout(command())
    # Then the first status and body come back, marked as a replay, and nothing new is written
    assert (again.status_code, again.body, again.replayed) == (201, first.body, True)
    assert written(database.committed) == before
    assert database.committed.accounts[(USER, "USD")].held_minor == 15000


async def test_same_key_different_body_is_rejected(create_payout, database):
    # Given a payout created under key-1
    await create_payout(command())
    before = written(database.committed)
    # When key-1 comes back with a different request body
    with pytest.raises(IdempotencyKeyReused):
        await create_payout(command(fingerprint="fp-2", amount="99.00"))
    # Then nothing is written
    assert written(database.committed) == before


async def test_keys_are_scoped_to_the_callers_user(database, clock):
    # Given user 456 with an account, and a payout of user 123 under key-1
    database.open_account(456, "USD", 1_000_000)
    create_payout = use_case(database, clock)
    await create_payout(command())
    # When user 456 uses the same key
    other = await create_payout(command(caller_user_id=456, user_id=456))
    # Then it is a fresh payout, not a replay of user 123's
    assert (other.status_code, other.replayed) == (201, False)
    assert len(database.committed.payouts) == 2


async def test_an_expired_key_is_forgotten_and_the_request_is_new(create_payout, database, clock):
    # Given a payout created under key-1, and the key's time to live has passed
    first = await create_payout(command())
    clock.advance(TTL)
    # When key-1 is used for a new request
    second = await create_payout(command(fingerprint="fp-2", external_reference="ref-2"))
    # Then a second payout is created and the key now answers with it
    assert (second.status_code, second.replayed) == (201, False)
    assert second.body != first.body
    stored = database.committed.idempotency[(USER, "key-1")]
    assert stored.response.body == second.body


async def test_a_body_user_id_other_than_the_callers_is_forbidden(create_payout, database):
    with pytest.raises(Forbidden):
        await create_payout(command(user_id=456))
    assert written(database.committed) == (0, 0, 0, 0)


async def test_insufficient_funds_writes_nothing(create_payout, database):
    # Given 10 000.00 USD available
    # When 10 000.01 is asked for
    with pytest.raises(InsufficientFunds):
        await create_payout(command(amount="10000.01"))
    # Then no payout, ledger entry, key or event exists and nothing is held
    assert written(database.committed) == (0, 0, 0, 0)
    assert database.committed.accounts[(USER, "USD")].held_minor == 0


async def test_the_whole_available_balance_can_be_paid_out(create_payout, database):
    result = await create_payout(command(amount="10000.00"))
    assert result.status_code == 201
    assert database.committed.accounts[(USER, "USD")].available_minor == 0


async def test_a_reference_reused_under_a_new_key_is_a_duplicate(create_payout, database):
    # Given a payout with ref-1 under key-1
    await create_payout(command())
    before = written(database.committed)
    # When ref-1 is sent again under key-2
    with pytest.raises(DuplicateReference):
        await create_payout(command(idempotency_key="key-2", fingerprint="fp-2"))
    # Then nothing new is written and only the first hold stands
    assert written(database.committed) == before
    assert database.committed.accounts[(USER, "USD")].held_minor == 15000


async def test_a_currency_without_an_account_is_refused(create_payout, database):
    with pytest.raises(AccountNotFound):
        await create_payout(command(currency="EUR"))
    assert written(database.committed) == (0, 0, 0, 0)


@pytest.mark.parametrize(
    ("changes", "error"),
    [
        ({"amount": "1.234"}, InvalidAmount),
        ({"amount": "0"}, InvalidAmount),
        ({"amount": "1000000.01"}, InvalidAmount),
        ({"currency": "XYZ"}, UnknownCurrency),
    ],
)
async def test_invalid_amounts_are_refused_before_anything_is_written(
    create_payout, database, changes, error
):
    with pytest.raises(error):
        await create_payout(command(**changes))
    assert written(database.committed) == (0, 0, 0, 0)


async def test_the_maximum_is_in_major_units_of_each_currency(database, clock):
    # Given a JPY account (no decimals) large enough for the maximum
    database.open_account(USER, "JPY", 10**9)
    create_payout = use_case(database, clock)
    # Then 1 000 000 yen is allowed and one yen more is not
    result = await create_payout(command(currency="JPY", amount="1000000"))
    assert json.loads(result.body)["amount_minor"] == 1_000_000
    with pytest.raises(InvalidAmount):
        await create_payout(command(currency="JPY", amount="1000001", idempotency_key="k2"))


async def test_a_twin_that_commits_first_is_replayed(create_payout, database, clock):
    # Given another process (its own use case) that commits the same request under the same key
    # while ours is about to commit
    twin = use_case(database, clock)
    answers = []

    async def twin_commits_first() -> None:
        answers.append(await twin(command()))

    database.before_next_commit = twin_commits_first
    # When our request then tries to commit
    ours = await create_payout(command())
    # Then ours loses on the unique key and answers with the twin's stored response
    (theirs,) = answers
    assert (theirs.replayed, ours.replayed) == (False, True)
    assert ours.body == theirs.body
    assert len(database.committed.payouts) == 1
    assert database.committed.accounts[(USER, "USD")].held_minor == 15000


async def test_a_second_request_while_the_first_is_in_flight_is_refused(create_payout, database):
    # Given a request under key-1 that has not committed yet
    refusals = []

    async def retry_while_in_flight() -> None:
        with pytest.raises(IdempotencyKeyInFlight) as raised:
            await create_payout(command())
        refusals.append(raised.value)

    database.before_next_commit = retry_while_in_flight
    # When the same key arrives in the meantime
    first = await create_payout(command())
    # Then that retry is refused as in flight, and the first completes alone
    assert len(refusals) == 1
    assert first.status_code == 201
    assert len(database.committed.payouts) == 1


async def test_a_finished_key_is_no_longer_in_flight(create_payout, database):
    # Given a request that failed (insufficient funds) under key-1
    with pytest.raises(InsufficientFunds):
        await create_payout(command(amount="10000.01"))
    # When key-1 is retried with an amount that fits
    result = await create_payout(command(amount="1.00", fingerprint="fp-2"))
    # Then it is processed, not refused as in flight
    assert result.status_code == 201
    assert database.committed.payouts[json.loads(result.body)["id"]].status is PayoutStatus.PENDING


class TickingClock(FakeClock):
    """Each reading a millisecond after the last: one moment, one reading."""

    def now(self) -> datetime:
        self.moment += timedelta(milliseconds=1)
        return self.moment


async def test_creates_arriving_together_share_one_transaction(database):
    # Given a second user with an account
    database.open_account(124, "USD", 1_000_000)
    create_payout = use_case(database, TickingClock())
    # When three creates of two users arrive at once
    commands = [
        command(idempotency_key=f"key-{n}", external_reference=f"ref-{n}") for n in range(2)
    ] + [
        command(
            caller_user_id=124,
            user_id=124,
            idempotency_key="key-x",
            external_reference="ref-x",
            headers={"request_id": "r-x"},
        )
    ]
    results = await asyncio.gather(*(create_payout(c) for c in commands))
    # Then each is created with its hold, its key and its event, each event with its request's id
    assert [r.status_code for r in results] == [201, 201, 201]
    state = database.committed
    assert len(state.payouts) == 3
    assert state.accounts[(USER, "USD")].held_minor == 30000
    assert state.accounts[(124, "USD")].held_minor == 15000
    ids = {
        json.loads(r.body)["id"]: c.headers["request_id"]
        for r, c in zip(results, commands, strict=True)
    }
    audited = {e.aggregate_id: e.headers["request_id"] for e in state.audit}
    assert audited == ids
    # And they were one transaction: one reading of the clock for all three
    assert len({p.created_at for p in state.payouts.values()}) == 1


async def test_a_create_that_fails_in_a_group_fails_alone(database, clock):
    create_payout = use_case(database, clock)
    commands = [
        command(idempotency_key="key-0", external_reference="ref-0"),
        command(idempotency_key="key-1", external_reference="ref-1", amount="10000.01"),
        command(idempotency_key="key-2", external_reference="ref-2"),
    ]
    results = await asyncio.gather(*(create_payout(c) for c in commands), return_exceptions=True)
    assert isinstance(results[1], InsufficientFunds)
    assert [r.status_code for r in (results[0], results[2])] == [201, 201]
    assert database.committed.accounts[(USER, "USD")].held_minor == 30000
    assert len(database.committed.payouts) == 2


async def test_a_group_the_database_gave_up_on_is_made_one_by_one_quietly(database, clock, caplog):
    # Given the next commit (the group's) ends in a deadlock
    async def deadlock() -> None:
        raise TransactionConflict("Deadlock found when trying to get lock")

    database.before_next_commit = deadlock
    create_payout = use_case(database, clock)
    commands = [command(idempotency_key=f"key-{n}", external_reference=f"ref-{n}") for n in (1, 2)]
    # When two creates arrive together
    results = await asyncio.gather(*(create_payout(c) for c in commands))
    # Then each is made alone, with no error logged for an expected conflict
    assert [r.status_code for r in results] == [201, 201]
    assert len(database.committed.payouts) == 2
    assert not [r for r in caplog.records if r.levelname == "ERROR"]
