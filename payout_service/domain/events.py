"""Domain events: facts a state change produced, written to the outbox in the same transaction."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

PAYOUT_CREATED = "payout.created"
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


@dataclass(frozen=True, slots=True)
class DomainEvent:
    name: str
    aggregate_type: str
    aggregate_id: str
    payload: dict[str, Any] = field(default_factory=dict)
