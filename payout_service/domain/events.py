"""Domain events: facts a state change produced, written to the outbox in the same transaction."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

PAYOUT_CREATED = "payout.created"
PAYOUT_PROCESSING = "payout.processing"  # handed to the sending step
# A send asked for again: the message that should have sent the payout never came back.
PAYOUT_SEND_REQUESTED = "payout.send_requested"
PAYOUT_PROVIDER_ACCEPTED = "payout.provider_accepted"
PAYOUT_SUCCEEDED = "payout.succeeded"
PAYOUT_FAILED = "payout.failed"
PAYOUT_CANCELLED = "payout.cancelled"
# The provider paid it and the money came back (after payout.succeeded): the user is credited.
PAYOUT_RETURNED = "payout.returned"
PAYOUT_NEEDS_REVIEW = "payout.needs_review"
PAYOUT_REVIEW_RESOLVED = "payout.review_resolved"


# The changes a client is told about (the public event log and its webhooks), by the same name.
CLIENT_VISIBLE = frozenset(
    {
        PAYOUT_CREATED,
        PAYOUT_PROCESSING,
        PAYOUT_SUCCEEDED,
        PAYOUT_FAILED,
        PAYOUT_CANCELLED,
        PAYOUT_RETURNED,
        PAYOUT_NEEDS_REVIEW,
    }
)


@dataclass(frozen=True, slots=True)
class DomainEvent:
    """`snapshot`: for a client-visible event, the aggregate as it was right after the change
    (the public event log shows it at that version); None otherwise. Not part of the payload."""

    name: str
    aggregate_type: str
    aggregate_id: str
    payload: dict[str, Any] = field(default_factory=dict)
    snapshot: Any = field(default=None, compare=False, repr=False)
