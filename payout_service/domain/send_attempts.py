"""What a payout's send attempts say about whether the provider may hold it.

Each call to the provider is one attempt with a result. An attempt whose answer never came (it is
still open, it timed out, or its sender died mid-call) leaves the provider possibly holding the
payout: until the provider answers about it, nothing may release its funds.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum


class SendAttemptResult(StrEnum):
    SENDING = "sending"  # the provider has not answered yet
    ACCEPTED = "accepted"
    TEMPORARY_ERROR = "temporary_error"  # the provider answered that it did not take it, for now
    PERMANENT_ERROR = "permanent_error"
    NO_ANSWER = "no_answer"  # timed out or cut off after sending: the provider may have taken it
    UNKNOWN = "unknown"  # the sender stopped before the answer; a later attempt found it open


# Attempts whose answer never came: the provider may have taken the payout.
ANSWER_UNKNOWN = frozenset(
    {SendAttemptResult.SENDING, SendAttemptResult.NO_ANSWER, SendAttemptResult.UNKNOWN}
)


def provider_may_hold(results: Sequence[SendAttemptResult]) -> bool:
    """Whether the provider may hold a payout it has not (yet) accepted to us, from its send
    attempts' results, first attempt first. A definite answer (accepted, or refused) comes as an
    outcome instead."""
    return any(result in ANSWER_UNKNOWN for result in results)


def is_being_sent(results: Sequence[SendAttemptResult]) -> bool:
    """The last attempt is open: its call to the provider is under way right now."""
    return bool(results) and results[-1] is SendAttemptResult.SENDING


def provider_idempotency_key(payout_id: str) -> str:
    """The key of every attempt of one payout, so the provider pays it once however often it is
    asked."""
    return f"payout-{payout_id}"
