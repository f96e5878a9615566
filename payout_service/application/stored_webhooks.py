"""Applying a provider webhook to its payout: the step shared by receiving a webhook
(application.receive_webhook applies it before it stores it, with its result) and by the inbox
(application.apply_webhook applies what was stored unapplied, and records the row's result)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from payout_service.application.apply_provider_status import apply_provider_status
from payout_service.application.ports import ProviderWebhook, UnitOfWork, WebhookResult
from payout_service.domain.provider_report import ProviderReport


@dataclass(frozen=True, slots=True)
class InboxResult:
    inbox_event_id: int
    result: str
    payout_id: str | None


async def apply_webhook(uow: UnitOfWork, webhook: ProviderWebhook, now: datetime) -> WebhookResult:
    """Applies the webhook to its payout; the caller records the result on its inbox row."""
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
    return WebhookResult(str(applied.outcome), applied.payout_id, applied.detail)
