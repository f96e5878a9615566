"""MockPayout: one payout the mock provider took, and its record as the API shows it.

A payout's status moves accepted -> processing -> success or failed, and never back: a final
status is never replaced, so a late `failed` never follows a `success`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

ACCEPTED = "accepted"
PROCESSING = "processing"
SUCCESS = "success"
FAILED = "failed"
FINAL_STATUSES = frozenset({SUCCESS, FAILED})


@dataclass
class MockPayout:
    """request: the accepted body, normalized (reference, amount, currency, wallet, metadata);
    a retry under the same idempotency key must send the same one."""

    provider_payout_id: str
    idempotency_key: str
    request: dict[str, Any]
    status: str
    created_at: datetime
    updated_at: datetime

    @property
    def reference(self) -> str:
        return str(self.request["reference"])

    @property
    def is_final(self) -> bool:
        return self.status in FINAL_STATUSES

    def view(self) -> dict[str, Any]:
        """The record `GET /provider/payouts...` answers with."""
        return {
            "provider_payout_id": self.provider_payout_id,
            **self.request,
            "status": self.status,
            "created_at": self.created_at.isoformat(),
            "updated_at": self.updated_at.isoformat(),
        }
