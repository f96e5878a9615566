"""Audit consumer: one audit_logs row per consumed domain event, once."""

from __future__ import annotations

from payout_service.application.consume import consume_once
from payout_service.application.event_routes import AUDIT
from payout_service.application.messages import Envelope
from payout_service.application.ports import Clock, UnitOfWork, UnitOfWorkFactory


class RecordAudit:
    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    async def __call__(self, envelope: Envelope) -> bool:
        return await consume_once(self._uow, self._clock, AUDIT.name, envelope, self._append)

    async def _append(self, uow: UnitOfWork, envelope: Envelope) -> None:
        await uow.audit.append(envelope, self._clock.now())
