from collections.abc import Callable
from datetime import timedelta

import pytest

from payout_service.domain.errors import IllegalTransition
from payout_service.domain.failure_codes import Failure, FailureCode
from payout_service.domain.payout import Payout, PayoutStatus
from tests.unit.fakes import DECLINED, START, new_payout

ACCOUNT_CLOSED = Failure.of(FailureCode.ACCOUNT_CLOSED)

LATER = START + timedelta(minutes=5)

Action = Callable[[Payout], None]

ACTIONS: dict[str, Action] = {
    "start_processing": lambda p: p.start_processing(LATER),
    "provider_accepts": lambda p: p.record_provider_acceptance("prov-2", LATER),
    "succeed": lambda p: p.succeed(LATER),
    "fail": lambda p: p.fail(DECLINED, "declined", LATER),
    "cancel": lambda p: p.cancel(LATER),
    "come_back": lambda p: p.mark_returned(ACCOUNT_CLOSED, LATER),
}


def payout_in(state: str) -> Payout:
    """A payout brought to `state` through legal transitions, its events cleared."""
    payout = new_payout()
    if state != "pending":
        payout.start_processing(START)
    if state in {"accepted", "success", "failed", "returned"}:
        payout.record_provider_acceptance("prov-1", START)
    if state in {"success", "returned"}:
        payout.succeed(START)
    if state == "returned":
        payout.mark_returned(ACCOUNT_CLOSED, START)
    elif state == "failed":
        payout.fail(DECLINED, "declined", START)
    elif state == "cancelled":
        payout.cancel(START)
    payout.events.clear()
    return payout


def test_a_new_payout_is_pending_and_announces_its_creation():
    # When a payout is created
    payout = new_payout()
    # Then it is pending with untouched provider fields, and one payout.created event exists
    assert payout.status is PayoutStatus.PENDING
    assert (payout.provider_payout_id, payout.send_attempts, payout.completed_at) == (None, 0, None)
    assert [e.name for e in payout.events] == ["payout.created"]
    event = payout.events[0]
    assert (event.aggregate_type, event.aggregate_id) == ("payout", "p-1")
    assert event.payload["amount_minor"] == 15000
    assert event.payload["currency"] == "USD"
    assert event.payload["status"] == "pending"


@pytest.mark.parametrize(
    ("state", "action", "status", "events"),
    [
        ("pending", "start_processing", "processing", ["payout.processing"]),
        ("pending", "cancel", "cancelled", ["payout.cancelled"]),
        ("processing", "provider_accepts", "processing", ["payout.provider_accepted"]),
        ("processing", "cancel", "cancelled", ["payout.cancelled"]),
        ("processing", "succeed", "success", ["payout.succeeded"]),
        ("processing", "fail", "failed", ["payout.failed"]),
        ("accepted", "succeed", "success", ["payout.succeeded"]),
        ("accepted", "fail", "failed", ["payout.failed"]),
        ("success", "come_back", "returned", ["payout.returned"]),
    ],
)
def test_allowed_transitions_move_the_payout_and_emit_their_event(state, action, status, events):
    # Given a payout in `state`
    payout = payout_in(state)
    # When the action is applied
    ACTIONS[action](payout)
    # Then it reaches the new status, stamped, with exactly the expected events
    assert payout.status == status
    assert payout.updated_at == LATER
    assert [e.name for e in payout.events] == events


FORBIDDEN = [
    ("pending", "provider_accepts"),
    ("pending", "succeed"),
    ("pending", "fail"),
    ("processing", "start_processing"),
    ("accepted", "start_processing"),
    ("accepted", "cancel"),
    ("pending", "come_back"),
    ("processing", "come_back"),
    ("accepted", "come_back"),
] + [
    (final, action)
    for final in ("success", "failed", "cancelled", "returned")
    for action in ("start_processing", "provider_accepts", "succeed", "fail", "cancel", "come_back")
    if (final, action) != ("success", "come_back")
]


@pytest.mark.parametrize(("state", "action"), FORBIDDEN)
def test_forbidden_transitions_raise_and_change_nothing(state, action):
    # Given a payout in `state`
    payout = payout_in(state)
    before = (payout.status, payout.updated_at, payout.provider_payout_id, payout.last_error)
    # When a transition the state machine does not allow is asked for
    with pytest.raises(IllegalTransition) as raised:
        ACTIONS[action](payout)
    # Then the error names the payout, and the payout is exactly as it was, with no event
    assert raised.value.payout_id == "p-1"
    after = (payout.status, payout.updated_at, payout.provider_payout_id, payout.last_error)
    assert after == before
    assert payout.events == []


def test_a_late_success_does_not_overwrite_a_failure():
    # Given a failed payout (the original service let a later success overwrite it)
    payout = payout_in("failed")
    # When the provider reports success afterwards
    with pytest.raises(IllegalTransition):
        payout.succeed(LATER)
    # Then it stays failed, with its failure reason
    assert payout.status is PayoutStatus.FAILED
    assert payout.last_error == "declined"


def test_cancel_is_allowed_while_processing_only_until_the_provider_accepts():
    # Given two processing payouts, one of them accepted by the provider
    unsent, accepted = payout_in("processing"), payout_in("accepted")
    # Then only the one the provider has not accepted can be cancelled
    assert unsent.awaits_sending
    assert not accepted.awaits_sending
    unsent.cancel(LATER)
    assert unsent.status is PayoutStatus.CANCELLED
    with pytest.raises(IllegalTransition):
        accepted.cancel(LATER)


@pytest.mark.parametrize("status", list(PayoutStatus))
def test_success_failed_cancelled_and_returned_are_the_final_statuses(status):
    assert status.is_final == (status in {"success", "failed", "cancelled", "returned"})


@pytest.mark.parametrize(("action", "status"), [("succeed", "success"), ("fail", "failed")])
def test_outcomes_record_their_completion_time(action, status):
    payout = payout_in("accepted")
    ACTIONS[action](payout)
    assert payout.status == status
    assert payout.completed_at == LATER


def test_failure_keeps_its_reason_in_the_event_and_on_the_payout():
    payout = payout_in("processing")
    payout.fail(DECLINED, "wallet closed", LATER)
    assert payout.last_error == "wallet closed"
    assert payout.events[0].payload["error"] == "wallet closed"
    assert payout.events[0].payload["status"] == "failed"


def test_provider_acceptance_records_the_provider_id_and_clears_the_retry():
    # Given a processing payout whose first send failed temporarily
    payout = payout_in("processing")
    payout.record_send_failure("timeout", LATER, START)
    # When the provider accepts it
    payout.record_provider_acceptance("prov-9", LATER)
    # Then the provider's id is kept and the pending retry is gone
    assert payout.provider_payout_id == "prov-9"
    assert (payout.last_error, payout.next_retry_at) == (None, None)
    assert payout.send_attempts == 1
    assert payout.events[0].payload["provider_payout_id"] == "prov-9"


@pytest.mark.parametrize("outcome", ["succeed", "fail"])
def test_a_payout_flagged_for_review_is_cleared_by_the_providers_outcome(outcome):
    # Given a payout whose sending gave up without knowing whether the provider holds it
    payout = new_payout()
    payout.start_processing(START)
    payout.flag_for_review("the provider never answered", START)
    assert payout.needs_review and payout.next_retry_at is None

    # When the provider's outcome arrives at last
    ACTIONS[outcome](payout)

    # Then there is nothing left for an operator to check
    assert payout.status.is_final and not payout.needs_review
    assert (payout.review_reason, payout.review_since) == (None, None)


def test_a_failure_tells_the_client_why_with_a_code_and_the_operator_with_the_error():
    payout = payout_in("accepted")
    payout.fail(DECLINED, "HTTP 200 status=failed from the provider", LATER)
    assert (payout.failure_code, payout.failure_message) == (
        FailureCode.DECLINED,
        "The bank declined this payout.",
    )
    assert payout.last_error == "HTTP 200 status=failed from the provider"
    assert payout.events[-1].payload["failure_code"] == "declined"


def test_a_cancel_says_the_client_cancelled_it():
    payout = payout_in("pending")
    payout.cancel(LATER)
    assert payout.failure_code is FailureCode.CANCELLED_BY_CLIENT
    assert payout.events[-1].payload["failure_code"] == "cancelled_by_client"


def test_a_return_keeps_the_success_time_and_stamps_its_own():
    # Given a payout that succeeded at START
    payout = payout_in("success")
    # When its money comes back LATER
    payout.mark_returned(ACCOUNT_CLOSED, LATER)
    # Then it is returned with the code, the success time kept and the return time stamped
    assert payout.status is PayoutStatus.RETURNED
    assert (payout.completed_at, payout.returned_at) == (START, LATER)
    assert payout.failure_code is FailureCode.ACCOUNT_CLOSED
    (event,) = payout.events
    assert (event.name, event.payload["failure_code"]) == ("payout.returned", "account_closed")
    assert event.payload["amount_minor"] == payout.amount.minor
