"""The public shape of a payout: what the API returns and what an idempotent replay repeats."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from payout_service.application.ports import NewClientEvent
from payout_service.domain.client_events import ClientEvent
from payout_service.domain.money import currency, format_minor
from payout_service.domain.payout import Payout, PayoutStatus
from payout_service.domain.payout_batch import PayoutBatch


def iso(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    return moment.astimezone(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def payout_representation(payout: Payout) -> dict[str, Any]:
    return {
        "id": payout.id,
        "user_id": payout.user_id,
        "amount": payout.amount.format(),
        "amount_minor": payout.amount.minor,
        "currency": payout.amount.currency.code,
        "wallet": payout.wallet,
        "external_reference": payout.external_reference,
        "status": str(payout.status),
        "provider_payout_id": payout.provider_payout_id,
        "provider_status": payout.provider_status,
        "send_attempts": payout.send_attempts,
        "last_error": payout.last_error,
        "needs_review": payout.needs_review,
        "failure_code": str(payout.failure_code) if payout.failure_code is not None else None,
        "failure_message": payout.failure_message,
        "next_retry_at": iso(payout.next_retry_at),
        "completed_at": iso(payout.completed_at),
        "returned_at": iso(payout.returned_at),
        "created_at": iso(payout.created_at),
        "updated_at": iso(payout.updated_at),
        "version": payout.version,
        "batch_id": payout.batch_id,
        "metadata": dict(payout.metadata),
    }


def client_event_of(snapshot: Payout, event_name: str) -> NewClientEvent:
    """The client's event of a payout's change: the payout as the API shows it at that version."""
    return NewClientEvent(
        event_name, snapshot.user_id, snapshot.id, snapshot.version, payout_representation(snapshot)
    )


def client_event_representation(event: ClientEvent) -> dict[str, Any]:
    """An event as the events API lists it and a webhook delivers it."""
    return {
        "id": event.id,
        "type": event.type,
        "user_id": event.user_id,
        "sequence": event.sequence,
        "payout_id": event.payout_id,
        "payout_version": event.payout_version,
        "created_at": iso(event.created_at),
        "data": event.data,
    }


def batch_representation(batch: PayoutBatch, counts: Mapping[PayoutStatus, int]) -> dict[str, Any]:
    """A batch as the API shows it; `counts`: its items by status now."""
    return {
        "id": batch.id,
        "user_id": batch.user_id,
        "status": str(batch.status),
        "mode": str(batch.mode),
        "counts": {"total": batch.item_count} | {str(s): counts.get(s, 0) for s in PayoutStatus},
        "totals": [
            {
                "currency": t.currency,
                "count": t.count,
                "amount": format_minor(t.amount_minor, currency(t.currency).exponent),
                "amount_minor": t.amount_minor,
            }
            for t in batch.totals
        ],
        "created_at": iso(batch.created_at),
        "updated_at": iso(batch.updated_at),
        "completed_at": iso(batch.completed_at),
    }


def batch_counts_as_recorded(batch: PayoutBatch) -> dict[PayoutStatus, int]:
    """A batch's item counts from its own counters, exact when no item is pending or
    processing, or none has ended: when it is created, and when it completes."""
    return {
        PayoutStatus.PENDING: batch.open_items,
        PayoutStatus.SUCCESS: batch.succeeded - batch.returned,
        PayoutStatus.FAILED: batch.failed,
        PayoutStatus.CANCELLED: batch.cancelled,
        PayoutStatus.RETURNED: batch.returned,
    }


def batch_client_event_of(snapshot: PayoutBatch, event_name: str, event_id: str) -> NewClientEvent:
    """The client's event of a batch's creation or completion: the batch as it was then."""
    data = batch_representation(snapshot, batch_counts_as_recorded(snapshot))
    return NewClientEvent(event_name, snapshot.user_id, None, None, data, event_id)
