"""MockPayout: one payout the mock provider took, and its record as the API shows it.

A payout's status moves accepted -> processing -> success or failed, and never back; a success
the bank sends back later moves on to returned (success -> returned), as real payouts do. A
final status (failed, returned, or a success that will not come back) is never replaced, so a
late `failed` never follows a `success`. A failed or returned payout carries the provider's
failure code, one of the service's PROVIDER_CODES.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

ACCEPTED = "accepted"
PROCESSING = "processing"
SUCCESS = "success"
FAILED = "failed"
RETURNED = "returned"


@dataclass
class MockPayout:
    """request: the accepted body, normalized (reference, amount, currency, wallet, metadata);
    a retry under the same idempotency key must send the same one.
    failure_code: why it failed or came back; None otherwise.
    returns_at: when a success comes back, drawn once at the success; None: it never will."""

    provider_payout_id: str
    idempotency_key: str
    request: dict[str, Any]
    status: str
    created_at: datetime
    updated_at: datetime
    failure_code: str | None = None
    returns_at: datetime | None = None

    @property
    def reference(self) -> str:
        return str(self.request["reference"])

    @property
    def is_final(self) -> bool:
        """Nothing will happen to it any more: its life is over."""
        if self.status == SUCCESS:
            return self.returns_at is None
        return self.status in (FAILED, RETURNED)

    def view(self) -> dict[str, Any]:
        """The record `GET /provider/payouts...` answers with (failure_code null but for a failed
        or returned payout)."""
        return {
            "provider_payout_id": self.provider_payout_id,
            **self.request,
            "status": self.status,
            "failure_code": self.failure_code,
            "created_at": self.created_at.isoformat(),
            "updated_at": self.updated_at.isoformat(),
        }
