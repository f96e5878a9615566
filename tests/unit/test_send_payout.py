"""The provider-send consumer: open an attempt, call the provider, apply its answer."""

import asyncio
from collections.abc import Callable
from datetime import timedelta

import pytest

from payout_service.application.apply_provider_status import apply_provider_status
from payout_service.application.event_routes import PROVIDER_SEND
from payout_service.application.messages import Envelope
from payout_service.application.ports import (
    ProviderOutcomeUnknown,
    ProviderPayoutState,
    ProviderPermanentError,
    ProviderTemporaryError,
    TransactionConflict,
)
from payout_service.application.send_payout import SendOutcome, SendPayout, SendRetryLater
from payout_service.application.send_retry_policy import RetryPolicy
from payout_service.domain import events
from payout_service.domain.payout import Payout, PayoutStatus
from payout_service.domain.provider_report import ProviderReport, ProviderStatus
from payout_service.domain.send_attempts import SendAttemptResult
from tests.unit.fakes import (
    DECLINED,
    START,
    FakeClock,
    FakeDatabase,
    FakeProviderClient,
    FakeUnitOfWorkFactory,
    booked,
    new_payout,
)

HEADERS = {"request_id": "req-create"}
# No jitter: each delay is its nominal value (10 s after the first failure).
POLICY = RetryPolicy(max_attempts=8, first_delay=timedelta(seconds=10), uniform=lambda: 0.5)


@pytest.fixture
def send(database: FakeDatabase, clock: FakeClock, provider: FakeProviderClient) -> SendPayout:
    return SendPayout(FakeUnitOfWorkFactory(database), clock, provider, POLICY)


def given(database: FakeDatabase, change: Callable[[Payout], None] = lambda p: None) -> Envelope:
    """Payout p-1, changed as asked, stored, and its payout.created message as the provider-send
    receives it."""
    payout = new_payout()
    change(payout)
    database.add_payout(payout, HEADERS)
    (created,) = [r for r in database.committed.outbox if r.event.name == events.PAYOUT_CREATED]
    return created.envelope()


def stored(database: FakeDatabase) -> Payout:
    return database.committed.payouts["p-1"]


def attempts(database: FakeDatabase) -> list[SendAttemptResult]:
    return [a.result for a in database.committed.send_attempts.get("p-1", [])]


def accepted(payout: Payout) -> None:
    payout.start_processing(START)
    payout.record_provider_acceptance("prov-1", START)


async def test_an_accepted_send_records_the_providers_id_and_writes_provider_accepted(
    send, database, provider
):
    # Given a pending payout and a provider that accepts it
    envelope = given(database)
    provider.will_accept("prov-1")
    # When its payout.created message is handled
    outcome = await send(envelope, retries=0)
    # Then the payout is processing under the provider's id, and the attempt is closed as
    # accepted; its event, which no consumer acts on, is in the audit log with the message's
    # headers, and not in the outbox
    payout = stored(database)
    assert outcome is SendOutcome.ACCEPTED
    assert (payout.status, payout.provider_payout_id) == (PayoutStatus.PROCESSING, "prov-1")
    accepted = [
        (e.aggregate_id, e.payload["provider_payout_id"], e.headers)
        for e in database.committed.audit
        if e.event == events.PAYOUT_PROVIDER_ACCEPTED
    ]
    assert accepted == [("p-1", "prov-1", HEADERS)]
    assert events.PAYOUT_PROVIDER_ACCEPTED not in [r.event.name for r in database.committed.outbox]
    assert attempts(database) == [SendAttemptResult.ACCEPTED]
    assert (PROVIDER_SEND.name, envelope.message_id) in database.committed.processed
    # And the provider was asked to pay the payout's terms under the payout's key
    (instruction,) = provider.sent
    assert (instruction.idempotency_key, instruction.reference) == ("payout-p-1", "p-1")
    assert instruction.metadata == {"external_reference": "ref-1"}
    assert (instruction.amount, instruction.currency, instruction.wallet) == (
        "150.00",
        "USD",
        "W-1",
    )


async def test_a_redelivered_message_is_skipped_without_asking_the_provider_again(
    send, database, provider
):
    # Given a payout whose send was accepted
    envelope = given(database)
    provider.will_accept("prov-1")
    await send(envelope, retries=0)
    # When the same message is delivered again
    again = await send(envelope, retries=0)
    # Then nothing is sent or written a second time
    assert again is SendOutcome.SKIPPED
    assert len(provider.sent) == 1
    assert attempts(database) == [SendAttemptResult.ACCEPTED]
    assert database.committed.events_of("p-1") == [
        events.PAYOUT_CREATED,
        events.PAYOUT_PROCESSING,
        events.PAYOUT_PROVIDER_ACCEPTED,
    ]
    assert (PROVIDER_SEND.name, envelope.message_id) in database.committed.processed


async def test_a_delivery_racing_a_duplicate_of_its_message_comes_back_later_without_sending(
    send, database, provider
):
    # Given a payout.created message published twice, whose other copy opens the send attempt
    # while this one waits for the payout's lock
    envelope = given(database)

    async def other_copy_opens_the_attempt() -> None:
        async with FakeUnitOfWorkFactory(database)() as uow:
            await uow.send_attempts.open("p-1", START)
            await uow.commit()

    database.before_next_commit = other_copy_opens_the_attempt
    # When this copy is consumed
    with pytest.raises(SendRetryLater) as raised:
        await send(envelope, retries=0)
    # Then it asks the broker to bring it back later (a retry, not an error), sent nothing,
    # and left only the other copy's attempt
    assert raised.value.delay == POLICY.first_delay
    assert provider.sent == []
    assert attempts(database) == [SendAttemptResult.SENDING]


async def test_a_copy_of_the_message_sent_and_handled_meanwhile_leaves_this_acceptance_quiet(
    send, database, provider
):
    # Given a payout.created message published twice, whose other copy opens its own attempt,
    # is accepted under the same key and is remembered while this copy waits for the provider
    envelope = given(database)
    provider.will_accept("prov-1")
    provider.will_accept("prov-1")

    async def other_copy_sends_it_all() -> None:
        assert await send(envelope, retries=0) is SendOutcome.ACCEPTED

    provider.while_sending = other_copy_sends_it_all
    # When this copy's answer comes
    outcome = await send(envelope, retries=0)
    # Then it records its attempt's answer and ends without an error (the message is handled),
    # and the payout was accepted once, under the provider's one id
    assert outcome is SendOutcome.ACCEPTED
    assert attempts(database) == [SendAttemptResult.ACCEPTED, SendAttemptResult.ACCEPTED]
    assert stored(database).provider_payout_id == "prov-1"
    assert database.committed.events_of("p-1").count(events.PAYOUT_PROVIDER_ACCEPTED) == 1
    assert [i.idempotency_key for i in provider.sent] == ["payout-p-1", "payout-p-1"]


async def test_a_temporary_error_defers_the_send_until_the_next_retry(
    send, database, provider, clock
):
    # Given a provider that answers 503
    envelope = given(database)
    provider.will_fail(ProviderTemporaryError("server_error", "503 from the provider", 503))
    # When the payout is sent
    with pytest.raises(SendRetryLater) as raised:
        await send(envelope, retries=0)
    # Then the broker is asked to retry after the first delay, which the payout records
    assert raised.value.delay == timedelta(seconds=10)
    payout = stored(database)
    assert payout.status is PayoutStatus.PROCESSING
    assert payout.next_retry_at == clock.now() + timedelta(seconds=10)
    assert (payout.send_attempts, payout.last_error) == (1, "503 from the provider")
    assert attempts(database) == [SendAttemptResult.TEMPORARY_ERROR]
    # And the message is not remembered, so its redelivery sends again
    assert database.committed.processed == set()


async def test_a_retry_after_a_temporary_error_asks_again_under_the_same_key(
    send, database, provider
):
    # Given a first send that failed temporarily
    envelope = given(database)
    provider.will_fail(ProviderTemporaryError("rate_limited", "429", 429))
    with pytest.raises(SendRetryLater):
        await send(envelope, retries=0)
    # When the broker delivers the message again and the provider accepts
    provider.will_accept("prov-1")
    outcome = await send(envelope, retries=1)
    # Then both calls carried the same idempotency key, and the second attempt is the accepted one
    assert outcome is SendOutcome.ACCEPTED
    assert [i.idempotency_key for i in provider.sent] == ["payout-p-1", "payout-p-1"]
    assert attempts(database) == [SendAttemptResult.TEMPORARY_ERROR, SendAttemptResult.ACCEPTED]
    payout = stored(database)
    assert (payout.provider_payout_id, payout.next_retry_at, payout.last_error) == (
        "prov-1",
        None,
        None,
    )


async def test_the_providers_retry_after_is_the_least_delay(send, database, provider):
    envelope = given(database)
    provider.will_fail(
        ProviderTemporaryError("rate_limited", "429", 429, retry_after=timedelta(minutes=1))
    )
    with pytest.raises(SendRetryLater) as raised:
        await send(envelope, retries=0)
    assert raised.value.delay == timedelta(minutes=1)


async def test_the_last_retry_plans_no_next_one(send, database, provider):
    # Given the broker's last retry (8 attempts in all)
    envelope = given(database)
    provider.will_fail(ProviderTemporaryError("server_error", "502", 502))
    # When it fails temporarily too
    with pytest.raises(SendRetryLater):
        await send(envelope, retries=POLICY.max_retries)
    # Then the failure is recorded without a next retry time
    payout = stored(database)
    assert (payout.send_attempts, payout.next_retry_at) == (1, None)


async def test_a_lost_answer_is_recorded_as_no_answer(send, database, provider):
    # Given a call that timed out after the request left
    envelope = given(database)
    provider.will_fail(ProviderOutcomeUnknown("timeout", "read timed out"))
    # When the payout is sent
    with pytest.raises(SendRetryLater):
        await send(envelope, retries=0)
    # Then the attempt says the provider may hold it, and the payout still awaits sending
    assert attempts(database) == [SendAttemptResult.NO_ANSWER]
    assert stored(database).awaits_sending


async def test_a_permanent_refusal_fails_the_payout_and_is_not_sent_again(send, database, provider):
    # Given a provider that refuses the payout for good
    database.add_endpoint(7)  # its user's webhook endpoint: notify hears of it
    envelope = given(database)
    provider.will_fail(ProviderPermanentError("rejected", "wallet unknown", 422))
    # When the payout is sent, the refusal is raised
    with pytest.raises(ProviderPermanentError):
        await send(envelope, retries=0)
    # Then the payout failed, with payout.failed carrying the message's headers
    payout = stored(database)
    assert payout.status is PayoutStatus.FAILED
    assert "wallet unknown" in (payout.last_error or "")
    failed = [r.headers for r in database.committed.outbox if r.event.name == events.PAYOUT_FAILED]
    assert failed == [booked(HEADERS)]
    assert attempts(database) == [SendAttemptResult.PERMANENT_ERROR]
    # And a redelivery of the message is skipped (the fake provider has no answer left to give)
    assert await send(envelope, retries=1) is SendOutcome.SKIPPED
    assert len(provider.sent) == 1


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(lambda p: p.cancel(START), id="cancelled"),
        pytest.param(accepted, id="accepted"),
        pytest.param(
            lambda p: (p.start_processing(START), p.fail(DECLINED, "no", START)), id="failed"
        ),
    ],
)
async def test_a_payout_that_no_longer_awaits_sending_is_not_sent(send, database, provider, change):
    # Given a payout cancelled, accepted or finished before its send message is handled
    envelope = given(database, change)
    before = stored(database)
    # When the message is handled
    outcome = await send(envelope, retries=0)
    # Then the provider is not called, no attempt is opened, and the message is remembered
    assert outcome is SendOutcome.SKIPPED
    assert provider.sent == []
    assert attempts(database) == []
    assert stored(database) == before
    assert (PROVIDER_SEND.name, envelope.message_id) in database.committed.processed


async def test_an_attempt_left_open_by_a_dead_sender_becomes_unknown_when_the_next_opens(
    send, database, provider
):
    # Given a sender that died while its call to the provider was under way
    envelope = given(database, lambda p: p.start_processing(START))
    database.add_send_attempts("p-1", [SendAttemptResult.SENDING], START)
    provider.will_accept("prov-1")
    # When the message is delivered again
    await send(envelope, retries=1)
    # Then the open attempt is closed as unknown and the new one is the second
    assert attempts(database) == [SendAttemptResult.UNKNOWN, SendAttemptResult.ACCEPTED]


@pytest.mark.parametrize(
    ("reported", "status", "provider_status", "written"),
    [
        (
            ProviderStatus.SUCCESS,
            PayoutStatus.SUCCESS,
            "success",
            [events.PAYOUT_PROVIDER_ACCEPTED, events.PAYOUT_SUCCEEDED],
        ),
        (
            ProviderStatus.PROCESSING,
            PayoutStatus.PROCESSING,
            "processing",
            [events.PAYOUT_PROVIDER_ACCEPTED],
        ),
    ],
)
async def test_an_acceptance_after_a_webhook_taught_the_payout_its_id_changes_nothing_more(
    send, database, provider, reported, status, provider_status, written
):
    # Given a webhook, naming the payout by its reference, applied while the provider is called
    envelope = given(database)
    uow = FakeUnitOfWorkFactory(database)

    async def webhook_arrives() -> None:
        report = ProviderReport(reported, START, "prov-1", "p-1", "webhook")
        async with uow() as tx:
            await apply_provider_status(tx, report, START)
            await tx.commit()

    provider.while_sending = webhook_arrives
    provider.will_accept("prov-1")
    # When the provider's acceptance then comes back
    outcome = await send(envelope, retries=0)
    # Then the payout stays as the webhook left it, and the acceptance writes nothing over it
    assert outcome is SendOutcome.ACCEPTED
    payout = stored(database)
    assert (payout.status, payout.provider_payout_id, payout.provider_status) == (
        status,
        "prov-1",
        provider_status,
    )
    assert database.committed.events_of("p-1") == [
        events.PAYOUT_CREATED,
        events.PAYOUT_PROCESSING,
        *written,
    ]
    assert attempts(database) == [SendAttemptResult.ACCEPTED]


REFUSED = ProviderPermanentError("rejected", "wallet unknown", 422)


def retried(payout: Payout) -> None:
    """Processing, its first send to be retried."""
    payout.start_processing(START)
    payout.record_send_failure("read timed out", START + timedelta(seconds=10), START)


def given_an_unknown_attempt(database: FakeDatabase, earlier: SendAttemptResult) -> Envelope:
    """Payout p-1 after a first attempt whose answer is unknown, and its message again."""
    envelope = given(database, retried)
    database.add_send_attempts("p-1", [earlier], START)
    return envelope


UNKNOWN_EARLIER = pytest.mark.parametrize(
    "earlier", [SendAttemptResult.NO_ANSWER, SendAttemptResult.AMBIGUOUS]
)


@UNKNOWN_EARLIER
async def test_a_refusal_after_an_unknown_answer_fails_a_payout_the_provider_never_took(
    send, database, provider, earlier
):
    # Given an earlier attempt whose answer is unknown, and a provider that now refuses and whose
    # lookup says it never took the payout
    envelope = given_an_unknown_attempt(database, earlier)
    provider.will_fail(REFUSED)
    # When the payout is sent again, the refusal is raised
    with pytest.raises(ProviderPermanentError):
        await send(envelope, retries=1)
    # Then the provider was asked about it, and only then the payout failed
    assert provider.looked_up == ["p-1"]
    payout = stored(database)
    assert payout.status is PayoutStatus.FAILED
    assert database.committed.events_of("p-1")[-1] == events.PAYOUT_FAILED
    assert attempts(database) == [earlier, SendAttemptResult.PERMANENT_ERROR]
    assert (PROVIDER_SEND.name, envelope.message_id) in database.committed.processed


@UNKNOWN_EARLIER
async def test_a_refusal_after_an_unknown_answer_adopts_the_providers_record(
    send, database, provider, earlier
):
    # Given an earlier attempt whose answer is unknown, which the provider did take
    envelope = given_an_unknown_attempt(database, earlier)
    provider.payouts["prv-9"] = ProviderPayoutState(
        "prv-9", ProviderStatus.PROCESSING, START + timedelta(seconds=1), reference="p-1"
    )
    provider.will_fail(REFUSED)
    # When a retry is refused
    with pytest.raises(ProviderPermanentError):
        await send(envelope, retries=1)
    # Then the payout holds the provider's id and waits for its outcome, not failed
    payout = stored(database)
    assert (payout.status, payout.provider_payout_id) == (PayoutStatus.PROCESSING, "prv-9")
    assert database.committed.events_of("p-1") == [
        events.PAYOUT_CREATED,
        events.PAYOUT_PROCESSING,
        events.PAYOUT_PROVIDER_ACCEPTED,
    ]
    assert (PROVIDER_SEND.name, envelope.message_id) in database.committed.processed


@UNKNOWN_EARLIER
async def test_a_refusal_after_an_unknown_answer_waits_for_an_operator_while_the_provider_is_silent(
    send, database, provider, earlier
):
    # Given an earlier attempt whose answer is unknown, and a provider that does not answer about
    # the payout
    envelope = given_an_unknown_attempt(database, earlier)
    provider.lookups["p-1"] = ProviderOutcomeUnknown("timeout", "read timed out")
    provider.will_fail(REFUSED)
    # When a retry is refused
    with pytest.raises(ProviderPermanentError):
        await send(envelope, retries=1)
    # Then the payout is flagged for review, its funds held, and the message is done with
    payout = stored(database)
    assert (payout.status, payout.needs_review) == (PayoutStatus.PROCESSING, True)
    assert "refused a retry" in (payout.review_reason or "")
    assert database.committed.events_of("p-1") == [
        events.PAYOUT_CREATED,
        events.PAYOUT_PROCESSING,
        events.PAYOUT_NEEDS_REVIEW,
    ]
    assert (PROVIDER_SEND.name, envelope.message_id) in database.committed.processed


async def test_a_refusal_after_only_definite_answers_fails_without_asking_the_provider(
    send, database, provider
):
    # Given an earlier attempt the provider answered "not now"
    envelope = given(database, retried)
    database.add_send_attempts("p-1", [SendAttemptResult.TEMPORARY_ERROR], START)
    provider.will_fail(REFUSED)
    # When a retry is refused
    with pytest.raises(ProviderPermanentError):
        await send(envelope, retries=1)
    # Then the payout fails on the refusal alone
    assert provider.looked_up == []
    assert stored(database).status is PayoutStatus.FAILED


async def test_a_refusal_after_an_unknown_answer_never_orphans_the_payout(send, database, provider):
    # Given an earlier attempt without an answer, which the provider took; its clock is behind
    envelope = given_an_unknown_attempt(database, SendAttemptResult.NO_ANSWER)
    provider.payouts["prv-9"] = ProviderPayoutState(
        "prv-9", ProviderStatus.PROCESSING, START - timedelta(seconds=1), reference="p-1"
    )
    provider.will_fail(REFUSED)
    # When a retry is refused
    with pytest.raises(ProviderPermanentError):
        await send(envelope, retries=1)
    # Then the payout either holds the provider's id or waits for an operator
    payout = stored(database)
    assert payout.provider_payout_id == "prv-9" or payout.needs_review


@pytest.mark.parametrize(
    ("http_status", "recorded"),
    [
        pytest.param(None, SendAttemptResult.NO_ANSWER, id="no-answer"),
        pytest.param(500, SendAttemptResult.AMBIGUOUS, id="http-500"),
        pytest.param(409, SendAttemptResult.AMBIGUOUS, id="http-409"),
    ],
)
async def test_an_unknown_outcome_is_recorded_by_whether_an_answer_came_and_never_fails(
    send, database, provider, http_status, recorded
):
    # Given a provider whose answer does not say whether it took the payout
    envelope = given(database)
    provider.will_fail(ProviderOutcomeUnknown("server_error", "no telling", http_status))
    # When the payout is sent
    with pytest.raises(SendRetryLater):
        await send(envelope, retries=0)
    # Then the attempt records what came back, and the payout waits for a retry, not failed
    assert attempts(database) == [recorded]
    assert database.committed.send_attempts["p-1"][0].http_status == http_status
    payout = stored(database)
    assert (payout.status, payout.needs_review) == (PayoutStatus.PROCESSING, False)
    assert database.committed.events_of("p-1") == [events.PAYOUT_CREATED, events.PAYOUT_PROCESSING]
    assert database.committed.processed == set()


class CountingUnitsOfWork(FakeUnitOfWorkFactory):
    """The fakes' units of work, counted as they are opened."""

    def __init__(self, database: FakeDatabase) -> None:
        super().__init__(database)
        self.opened = 0

    def __call__(self, headers=None, headers_of=None):  # type: ignore[no-untyped-def]
        self.opened += 1
        return super().__call__(headers, headers_of)


def three_messages(database: FakeDatabase) -> list[Envelope]:
    """Payouts p-1 to p-3 of users 7 to 9, each created by its own request (req-1 to req-3),
    and their payout.created messages."""
    for n in (1, 2, 3):
        payout = new_payout(f"p-{n}", user_id=6 + n)
        database.add_payout(payout, {"request_id": f"req-{n}"})
    return [
        r.envelope() for r in database.committed.outbox if r.event.name == events.PAYOUT_CREATED
    ]


async def test_sends_arriving_together_share_one_transaction_at_each_step(
    database, clock, provider
):
    # Given three payout.created messages handled by one worker at once
    envelopes = three_messages(database)
    units = CountingUnitsOfWork(database)
    send = SendPayout(units, clock, provider, POLICY)
    for n in (1, 2, 3):
        provider.will_accept(f"prov-{n}")
    # When they are sent together
    outcomes = await asyncio.gather(*(send(e, retries=0) for e in envelopes))
    # Then each is accepted, under an id of its own, its one attempt closed as accepted
    assert outcomes == [SendOutcome.ACCEPTED] * 3
    payouts = database.committed.payouts
    assert {payouts[f"p-{n}"].status for n in (1, 2, 3)} == {PayoutStatus.PROCESSING}
    assert {payouts[f"p-{n}"].provider_payout_id for n in (1, 2, 3)} == {
        "prov-1",
        "prov-2",
        "prov-3",
    }
    assert [[a.result for a in database.committed.send_attempts[f"p-{n}"]] for n in (1, 2, 3)] == [
        [SendAttemptResult.ACCEPTED]
    ] * 3
    # And in two transactions in all: the attempts opened together, the answers recorded
    # together (alone, each send takes two)
    assert units.opened == 2
    # And each payout's acceptance carries its own message's request id, and each message is
    # remembered
    accepted = {
        e.aggregate_id: e.headers["request_id"]
        for e in database.committed.audit
        if e.event == events.PAYOUT_PROVIDER_ACCEPTED
    }
    assert accepted == {"p-1": "req-1", "p-2": "req-2", "p-3": "req-3"}
    assert {(PROVIDER_SEND.name, e.message_id) for e in envelopes} <= database.committed.processed


@pytest.mark.parametrize("step", ["opening the attempts", "recording the answers"])
async def test_a_send_group_the_database_gave_up_on_is_done_one_by_one_quietly(
    database, clock, provider, caplog, step
):
    # Given three messages, and a database that ends the step's shared commit in a deadlock
    envelopes = three_messages(database)
    send = SendPayout(FakeUnitOfWorkFactory(database), clock, provider, POLICY)
    for n in (1, 2, 3):
        provider.will_accept(f"prov-{n}")

    async def deadlock() -> None:
        raise TransactionConflict("Deadlock found when trying to get lock")

    async def deadlock_the_answers() -> None:
        database.before_next_commit = deadlock

    if step == "opening the attempts":
        database.before_next_commit = deadlock
    else:  # the attempts were opened together: the next commit is the answers'
        provider.while_sending = deadlock_the_answers
    # When they are sent together
    outcomes = await asyncio.gather(*(send(e, retries=0) for e in envelopes))
    # Then the step is done again alone: each payout accepted once, with one attempt, one
    # acceptance event, and no error logged for an expected conflict
    assert outcomes == [SendOutcome.ACCEPTED] * 3
    assert [[a.result for a in database.committed.send_attempts[f"p-{n}"]] for n in (1, 2, 3)] == [
        [SendAttemptResult.ACCEPTED]
    ] * 3
    assert [
        database.committed.events_of(f"p-{n}").count(events.PAYOUT_PROVIDER_ACCEPTED)
        for n in (1, 2, 3)
    ] == [1, 1, 1]
    assert len(provider.sent) == 3
    assert not [r for r in caplog.records if r.levelname == "ERROR"]


async def test_a_send_that_fails_in_a_group_fails_alone(database, clock, provider):
    # Given three messages, and p-2 gone from the database while the provider is called
    envelopes = three_messages(database)
    send = SendPayout(FakeUnitOfWorkFactory(database), clock, provider, POLICY)
    for n in (1, 2, 3):
        provider.will_accept(f"prov-{n}")

    async def p2_vanishes() -> None:
        del database.committed.payouts["p-2"]

    provider.while_sending = p2_vanishes
    # When they are sent together
    outcomes = await asyncio.gather(
        *(send(e, retries=0) for e in envelopes), return_exceptions=True
    )
    # Then p-2's send fails, and the two others are accepted as if it had not been with them
    assert outcomes[0] is outcomes[2] is SendOutcome.ACCEPTED
    assert isinstance(outcomes[1], LookupError)
    for n in (1, 3):
        assert database.committed.payouts[f"p-{n}"].provider_payout_id is not None
        assert [a.result for a in database.committed.send_attempts[f"p-{n}"]] == [
            SendAttemptResult.ACCEPTED
        ]
