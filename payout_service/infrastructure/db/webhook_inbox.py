"""The webhook inbox over one open transaction: provider_webhook_events and its conflicts."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from payout_service.application.ports import RECEIVED, InboxEvent, ProviderWebhook, WebhookResult
from payout_service.domain.provider_report import ProviderStatus, ReportOutcome
from payout_service.infrastructure.db.session import Row, SqlSession

_COLUMNS = (
    "id, event_id, provider_payout_id, reference, status, occurred_at, failure_code, payload_hash,"
    " received_at, processed_at, result"
)


class SqlWebhookInbox:
    def __init__(self, session: SqlSession) -> None:
        self._s = session

    async def find(self, event_id: str) -> InboxEvent | None:
        rows = await self._s.rows(
            f"SELECT {_COLUMNS} FROM provider_webhook_events WHERE event_id = %s", event_id
        )
        return self._to_event(rows[0]) if rows else None

    async def get_for_update(self, inbox_id: int) -> InboxEvent | None:
        rows = await self._s.rows(
            f"SELECT {_COLUMNS} FROM provider_webhook_events WHERE id = %s"
            + self._s.dialect.for_update,
            inbox_id,
        )
        return self._to_event(rows[0]) if rows else None

    async def add(
        self,
        webhook: ProviderWebhook,
        payload: str,
        payload_hash: str,
        now: datetime,
        applied: WebhookResult | None = None,
    ) -> int:
        d = self._s.dialect
        return await self._s.insert(
            "INSERT INTO provider_webhook_events (event_id, provider_payout_id,"
            " reference, status, occurred_at, failure_code, payload, payload_hash, received_at,"
            " processed_at, result, payout_id, detail)"
            " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
            webhook.event_id,
            webhook.provider_payout_id,
            webhook.reference,
            str(webhook.status),
            d.to_db(webhook.occurred_at),
            webhook.failure_code,
            payload,
            payload_hash,
            d.to_db(now),
            d.to_db(now) if applied else None,
            applied.result if applied else RECEIVED,
            applied.payout_id if applied else None,
            applied.detail if applied else None,
        )

    async def mark_processed(self, inbox_id: int, applied: WebhookResult, now: datetime) -> None:
        await self._s.execute(
            "UPDATE provider_webhook_events SET processed_at = %s, result = %s, payout_id = %s,"
            " detail = %s WHERE id = %s",
            self._s.dialect.to_db(now),
            applied.result,
            applied.payout_id,
            applied.detail,
            inbox_id,
        )

    async def ids_to_process(self, limit: int, retry_not_found: bool) -> Sequence[int]:
        retry = " OR result = %s" if retry_not_found else ""
        rows = await self._s.rows(
            f"SELECT id FROM provider_webhook_events WHERE processed_at IS NULL{retry}"
            " ORDER BY id LIMIT %s",
            *([str(ReportOutcome.PAYOUT_NOT_FOUND)] if retry_not_found else []),
            limit,
        )
        return [int(r["id"]) for r in rows]

    async def add_conflict(
        self, event_id: str, payload: str, payload_hash: str, now: datetime
    ) -> None:
        await self._s.execute(
            "INSERT INTO provider_webhook_conflicts (event_id, payload, payload_hash, received_at)"
            " VALUES (%s, %s, %s, %s)",
            event_id,
            payload,
            payload_hash,
            self._s.dialect.to_db(now),
        )

    def _to_event(self, r: Row) -> InboxEvent:
        d = self._s.dialect
        occurred_at, received_at = d.from_db(r["occurred_at"]), d.from_db(r["received_at"])
        assert occurred_at is not None and received_at is not None
        return InboxEvent(
            id=int(r["id"]),
            webhook=ProviderWebhook(
                event_id=r["event_id"],
                provider_payout_id=r["provider_payout_id"],
                reference=r["reference"],
                status=ProviderStatus(r["status"]),
                occurred_at=occurred_at,
                failure_code=r["failure_code"],
            ),
            payload_hash=r["payload_hash"],
            received_at=received_at,
            processed_at=d.from_db(r["processed_at"]),
            result=r["result"],
        )
