"""Where a transaction's events go: every one to the audit log, and those a consumer acts on to
the outbox as well (event_routes.ROUTES; NOTIFY only for an event a client endpoint may hear), all
in the transaction that raised them.

An event no consumer acts on is never published: an outbox row, the relay's claim and mark and a
consumer's turn would only end as the audit row written here. A published event's audit row
carries its outbox row's message id, so the audit log keeps it once even if the books consumer
is handed it too (an earlier version's row: event_routes.BOOKS_KEPT). Either way the event is
kept exactly when its transaction commits.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Mapping, Sequence
from datetime import datetime

from payout_service.application.event_routes import (
    BOOKS_KEPT,
    UNHEARD,
    booked,
    is_published,
    unheard,
)
from payout_service.application.messages import Envelope
from payout_service.application.ports import UnitOfWork
from payout_service.domain.events import DomainEvent

_MARKS = {BOOKS_KEPT[0], UNHEARD[0]}


async def write_events(
    uow: UnitOfWork,
    dated: Sequence[tuple[DomainEvent, datetime]],
    headers: Mapping[str, str],
    unheard_at: Collection[int] = (),
) -> None:
    """Events and the moment of each, written in their order: at most one multi-row INSERT into
    the outbox and one into the audit log. `unheard_at`: the positions in `dated` of client-visible
    events no client endpoint hears (event_routes.UNHEARD)."""
    if not dated:
        return
    # a message's marks come back in the headers of the transaction it starts: said once, here
    plain = {name: header for name, header in headers.items() if name not in _MARKS}
    heard_headers = booked(plain)
    unheard_headers = unheard(heard_headers)
    heard = [i not in unheard_at for i in range(len(dated))]
    published = [is_published(event.name, h) for (event, _), h in zip(dated, heard, strict=True)]
    to_outbox = [
        (event, moment, heard_headers if h else unheard_headers)
        for (event, moment), h, out in zip(dated, heard, published, strict=True)
        if out
    ]
    message_ids = iter(await uow.outbox.add_all(to_outbox) if to_outbox else [])
    entries = [
        audit_entry(next(message_ids) if out else str(uuid.uuid4()), event, moment, plain)
        for (event, moment), out in zip(dated, published, strict=True)
    ]
    await uow.audit.append_all(entries, max(e.occurred_at for e in entries))


def audit_entry(
    message_id: str, event: DomainEvent, moment: datetime, headers: Mapping[str, str]
) -> Envelope:
    """The event as the books consumer would have received it."""
    return Envelope(
        message_id=message_id,
        event=event.name,
        aggregate_type=event.aggregate_type,
        aggregate_id=event.aggregate_id,
        payload=dict(event.payload),
        headers=dict(headers),
        occurred_at=moment,
    )
