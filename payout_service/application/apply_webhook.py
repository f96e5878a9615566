"""Apply stored provider webhooks to their payouts, each once.

A webhook is applied as it is stored (application.receive_webhook), unless applying failed
then. Two ways in for such a row, one effect: the `apply_webhook` actor consumes the inbox row's
`provider.webhook.received` message (effectively once through the processed messages), and
`payout-service inbox process` runs a pass over the rows no one has applied yet. Both lock the
inbox row and skip it once it has a processed_at, so the two never apply a row twice; the row's
result, the payout's change and its events commit together.
"""

from __future__ import annotations

from payout_service.application.consume import consume_once
from payout_service.application.event_routes import WEBHOOK_APPLY, WEBHOOK_RECEIVED
from payout_service.application.messages import Envelope
from payout_service.application.metrics import NO_METRICS
from payout_service.application.ports import Clock, Metrics, UnitOfWork, UnitOfWorkFactory
from payout_service.application.stored_webhooks import InboxResult, apply_webhook
from payout_service.domain.provider_report import ReportOutcome


class ApplyWebhook:
    def __init__(self, uow: UnitOfWorkFactory, clock: Clock, metrics: Metrics = NO_METRICS) -> None:
        self._uow = uow
        self._clock = clock
        self._metrics = metrics

    async def __call__(self, envelope: Envelope) -> bool:
        """The actor's entry: False when this message had already been applied."""
        applied: list[InboxResult] = []

        async def effect(uow: UnitOfWork, message: Envelope) -> None:
            if message.event == WEBHOOK_RECEIVED:
                result = await self._apply(uow, int(message.payload["inbox_event_id"]), retry=False)
                applied.extend([result] if result else [])

        consumed = await consume_once(self._uow, self._clock, WEBHOOK_APPLY.name, envelope, effect)
        if consumed:
            self._count(applied)
        return consumed

    async def process_pending(self, limit: int, retry_not_found: bool = False) -> list[InboxResult]:
        """One pass over up to `limit` unapplied rows, oldest first, one transaction each.
        With retry_not_found, rows whose payout was not found are tried again too."""
        async with self._uow() as uow:
            ids = await uow.webhooks.ids_to_process(limit, retry_not_found)
        results = []
        for inbox_id in ids:
            async with self._uow() as uow:
                result = await self._apply(uow, inbox_id, retry=retry_not_found)
                await uow.commit()
            if result is not None:
                results.append(result)
        self._count(results)
        return results

    async def _apply(self, uow: UnitOfWork, inbox_id: int, retry: bool) -> InboxResult | None:
        event = await uow.webhooks.get_for_update(inbox_id)
        if event is None or not _open(event.processed_at is None, event.result, retry):
            return None
        now = self._clock.now()
        applied = await apply_webhook(uow, event.webhook, now)
        await uow.webhooks.mark_processed(inbox_id, applied, now)
        return InboxResult(inbox_id, applied.result, applied.payout_id)

    def _count(self, results: list[InboxResult]) -> None:
        for result in results:
            self._metrics.webhook_processed(result.result)


def _open(unprocessed: bool, result: str, retry_not_found: bool) -> bool:
    return unprocessed or (retry_not_found and result == ReportOutcome.PAYOUT_NOT_FOUND)
