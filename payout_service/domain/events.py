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
# A batch's (domain.payout_batch): written with its items, and with the end of its last item.
PAYOUT_BATCH_CREATED = "payout_batch.created"
PAYOUT_BATCH_COMPLETED = "payout_batch.completed"


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
# A batch's events the client is told about too, as events of no payout.
BATCH_CLIENT_VISIBLE = frozenset({PAYOUT_BATCH_CREATED, PAYOUT_BATCH_COMPLETED})


@dataclass(frozen=True, slots=True)
class DomainEvent:
    """`snapshot`: for a client-visible event, the aggregate as it was right after the change
    (the public event log shows it at that version); None otherwise. Not part of the payload."""

    name: str
    aggregate_type: str
    aggregate_id: str
    payload: dict[str, Any] = field(default_factory=dict)
    snapshot: Any = field(default=None, compare=False, repr=False)
