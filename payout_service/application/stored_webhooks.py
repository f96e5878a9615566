"""Applying a stored provider webhook to its payout: the step shared by receiving a webhook
(application.receive_webhook applies it as it stores it) and by the inbox
(application.apply_webhook applies what was stored unapplied)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from payout_service.application.apply_provider_status import apply_provider_status
from payout_service.application.ports import ProviderWebhook, UnitOfWork
from payout_service.domain.provider_report import ProviderReport


@dataclass(frozen=True, slots=True)
class InboxResult:
    inbox_event_id: int
    result: str
    payout_id: str | None


async def apply_stored(
    uow: UnitOfWork, inbox_id: int, webhook: ProviderWebhook, now: datetime
) -> InboxResult:
    """Applies the webhook of inbox row `inbox_id` (locked by this unit of work, or written by
    it) to its payout and records the row's result."""
    applied = await apply_provider_status(
        uow,
        ProviderReport(
            status=webhook.status,
            occurred_at=webhook.occurred_at,
            provider_payout_id=webhook.provider_payout_id,
            reference=webhook.reference,
            source=f"webhook {webhook.event_id}",
            failure_code=webhook.failure_code,
        ),
        now,
    )
    result = str(applied.outcome)
    await uow.webhooks.mark_processed(inbox_id, result, applied.payout_id, applied.detail, now)
    return InboxResult(inbox_id, result, applied.payout_id)
