"""Read the caller's public event log: its events after a sequence it has seen, in order."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from payout_service.application.ports import UnitOfWorkFactory
from payout_service.domain.client_events import ClientEvent


@dataclass(frozen=True, slots=True)
class EventPage:
    events: Sequence[ClientEvent]
    has_more: bool  # more events match after the page's last: ask again after its sequence


class ReadEvents:
    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    async def after(
        self,
        caller_user_id: int,
        after_sequence: int,
        limit: int,
        event_type: str | None = None,
        payout_id: str | None = None,
    ) -> EventPage:
        """The caller's events with a sequence above `after_sequence`, in sequence order, at
        most `limit`, of that type and payout when given. A client that has seen sequence N
        asks after N and gets exactly what it missed (the log has no gaps)."""
        async with self._uow() as uow:
            found = await uow.client_events.page(
                caller_user_id, after_sequence, limit + 1, event_type, payout_id
            )
        return EventPage(found[:limit], len(found) > limit)
