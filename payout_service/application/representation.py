"""The public shape of a payout: what the API returns and what an idempotent replay repeats."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from payout_service.application.ports import NewClientEvent
from payout_service.domain.client_events import ClientEvent
from payout_service.domain.payout import Payout


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
