"""Where a transaction's events go: to the outbox, for the consumers that act on them, or, for
the events only the audit log hears of (event_routes.AUDIT_ONLY), straight into the audit log in
the same transaction.

An audit-only event published would cost an outbox row, the relay's claim and mark, and the books'
turn, only to end as the audit row written here. Either way the event is kept exactly when its
transaction commits.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime
from itertools import groupby

from payout_service.application.event_routes import AUDIT_ONLY
from payout_service.application.messages import Envelope
from payout_service.application.ports import UnitOfWork
from payout_service.domain.events import DomainEvent


async def write_events(
    uow: UnitOfWork, dated: Sequence[tuple[DomainEvent, datetime]], headers: Mapping[str, str]
) -> None:
    """Events and the moment of each, written in their order: each run of published ones to the
    outbox, each run of audit-only ones to the audit log (mostly one run of one kind)."""
    for audit_only, run in groupby(dated, key=lambda pair: pair[0].name in AUDIT_ONLY):
        events = list(run)
        if not audit_only:
            await uow.outbox.add_all(events, dict(headers))
            continue
        entries = [_audit_entry(event, moment, headers) for event, moment in events]
        await uow.audit.append_all(entries, max(e.occurred_at for e in entries))


def _audit_entry(event: DomainEvent, moment: datetime, headers: Mapping[str, str]) -> Envelope:
    """The event as the books would have received it, under a message id of its own."""
    return Envelope(
        message_id=str(uuid.uuid4()),
        event=event.name,
        aggregate_type=event.aggregate_type,
        aggregate_id=event.aggregate_id,
        payload=dict(event.payload),
        headers=dict(headers),
        occurred_at=moment,
    )
