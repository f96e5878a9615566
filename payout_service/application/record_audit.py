"""Audit consumer: one audit_logs row per consumed domain event, once.

It is a batched consumer (event_routes.AUDIT): one message brings the events of a published
batch, written in one transaction with their processed-message rows."""

from __future__ import annotations

from collections.abc import Sequence

from payout_service.application.consume import consume_each_once
from payout_service.application.event_routes import AUDIT
from payout_service.application.messages import Envelope
from payout_service.application.ports import Clock, UnitOfWork, UnitOfWorkFactory


class RecordAudit:
    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    async def __call__(self, envelopes: Sequence[Envelope]) -> int:
        """Returns how many of the events were new to the audit log."""
        return await consume_each_once(self._uow, self._clock, AUDIT.name, envelopes, self._append)

    async def _append(self, uow: UnitOfWork, envelopes: Sequence[Envelope]) -> None:
        await uow.audit.append_all(envelopes, self._clock.now())
