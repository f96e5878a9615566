"""Effectively-once consumption: skip a message the consumer has applied, else apply it and
remember its id in the same transaction, so a redelivery changes nothing."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from payout_service.application.messages import Envelope
from payout_service.application.ports import (
    Clock,
    UniqueViolation,
    UnitOfWork,
    UnitOfWorkFactory,
)

Effect = Callable[[UnitOfWork, Envelope], Awaitable[None]]


async def consume_once(
    uow_factory: UnitOfWorkFactory,
    clock: Clock,
    consumer: str,
    envelope: Envelope,
    effect: Effect,
) -> bool:
    """Returns False when the message had already been applied."""
    try:
        async with uow_factory() as uow:
            if await uow.inbox.already_processed(consumer, envelope.message_id):
                return False
            await effect(uow, envelope)
            await uow.inbox.remember(consumer, envelope.message_id, clock.now())
            await uow.commit()
    except UniqueViolation:
        # A concurrent delivery of the same message committed first; ours rolled back whole.
        async with uow_factory() as uow:
            if await uow.inbox.already_processed(consumer, envelope.message_id):
                return False
        raise
    return True
