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
from dataclasses import dataclass
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
    headers_of: Mapping[str, Mapping[str, str]] | None = None,
) -> None:
    """Events and the moment of each, written in their order: at most one multi-row INSERT into
    the outbox and one into the audit log. `unheard_at`: the positions in `dated` of client-visible
    events no client endpoint hears (event_routes.UNHEARD). `headers_of`: by aggregate id, the
    headers its events carry instead of `headers`."""
    if not dated:
        return
    marked = _Marked()
    heard = [i not in unheard_at for i in range(len(dated))]
    published = [is_published(event.name, h) for (event, _), h in zip(dated, heard, strict=True)]
    sets = [
        marked(headers_of.get(event.aggregate_id, headers) if headers_of else headers)
        for event, _ in dated
    ]
    to_outbox = [
        (event, moment, (header_set.heard if h else header_set.unheard))
        for (event, moment), h, out, header_set in zip(dated, heard, published, sets, strict=True)
        if out
    ]
    message_ids = iter(await uow.outbox.add_all(to_outbox) if to_outbox else [])
    entries = [
        audit_entry(
            next(message_ids) if out else str(uuid.uuid4()), event, moment, header_set.plain
        )
        for (event, moment), out, header_set in zip(dated, published, sets, strict=True)
    ]
    await uow.audit.append_all(entries, max(e.occurred_at for e in entries))


@dataclass(frozen=True, slots=True)
class _HeaderSet:
    plain: dict[str, str]  # for the audit log
    heard: dict[str, str]  # an outbox row's
    unheard: dict[str, str]  # an outbox row's, of an event no endpoint hears


class _Marked:
    """Each distinct headers mapping's three sets, built once per transaction."""

    def __init__(self) -> None:
        self._built: dict[int, _HeaderSet] = {}

    def __call__(self, headers: Mapping[str, str]) -> _HeaderSet:
        built = self._built.get(id(headers))
        if built is None:
            # a message's marks come back in the headers of the transaction it starts: said
            # once, here
            plain = {name: header for name, header in headers.items() if name not in _MARKS}
            heard = booked(plain)
            built = self._built[id(headers)] = _HeaderSet(plain, heard, unheard(heard))
        return built


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
