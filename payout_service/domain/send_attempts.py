"""What a payout's send attempts say about whether the provider may hold it.

Each call to the provider is one attempt with a result: accepted, refused (a definite, documented
refusal), not taken for now (429, unreachable), or unknown: the answer never came (the attempt is
still open, it timed out, its sender died mid-call) or did not say (5xx, 409, a broken 2xx).
Once any attempt is unknown the provider may hold the payout, and only the provider's own word
about it (its lookup, its webhook, its status) may end it: not a later refusal, not a give-up,
not a cancel. Until then its funds stay held.
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
    # An answer that does not say whether the provider took it: 5xx, 409, a 2xx that breaks
    # the contract, anything unexpected.
    AMBIGUOUS = "ambiguous"
    UNKNOWN = "unknown"  # the sender stopped before the answer; a later attempt found it open


# Attempts that did not settle whether the provider took the payout: it may hold it.
ANSWER_UNKNOWN = frozenset(
    {
        SendAttemptResult.SENDING,
        SendAttemptResult.NO_ANSWER,
        SendAttemptResult.AMBIGUOUS,
        SendAttemptResult.UNKNOWN,
    }
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
