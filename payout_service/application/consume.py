"""Effectively-once consumption: skip a message the consumer has applied, else apply it and
remember its id among the processed messages in the same transaction, so a redelivery changes
nothing. Events the effect makes a payout emit carry the message's headers."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence

from payout_service.application.messages import Envelope
from payout_service.application.ports import (
    Clock,
    TransactionConflict,
    UniqueViolation,
    UnitOfWork,
    UnitOfWorkFactory,
)

Effect = Callable[[UnitOfWork, Envelope], Awaitable[None]]
# Tries of a batch whose events a concurrent delivery was applying at the same time.
BATCH_TRIES = 3
BatchEffect = Callable[[UnitOfWork, Sequence[Envelope]], Awaitable[None]]


async def consume_once(
    uow_factory: UnitOfWorkFactory,
    clock: Clock,
    consumer: str,
    envelope: Envelope,
    effect: Effect,
) -> bool:
    """Returns False when the message had already been applied."""
    try:
        async with uow_factory(envelope.headers) as uow:
            if await uow.processed_messages.already_processed(consumer, envelope.message_id):
                return False
            await effect(uow, envelope)
            await uow.processed_messages.remember(consumer, envelope.message_id, clock.now())
            await uow.commit()
    except UniqueViolation:
        # A concurrent delivery of the same message committed first; ours rolled back whole.
        async with uow_factory() as uow:
            if await uow.processed_messages.already_processed(consumer, envelope.message_id):
                return False
        raise
    return True


async def consume_each_once(
    uow_factory: UnitOfWorkFactory,
    clock: Clock,
    consumer: str,
    envelopes: Sequence[Envelope],
    effect: BatchEffect,
) -> int:
    """A batch in one transaction: the effect gets the envelopes the consumer has not applied yet
    (each once, in order); returns how many that was. A concurrent delivery of some of them (a
    row the relay published again while the fast path's copy was being consumed) that commits
    first makes ours roll back whole: it is tried again at once, up to BATCH_TRIES times, and
    skips what the other applied; so is one the database gave up on over locks (a deadlock, a
    lock wait timeout). Past that, it raises for the broker to retry later."""
    for _ in range(BATCH_TRIES - 1):
        try:
            return await _consume_fresh(uow_factory, clock, consumer, envelopes, effect)
        except (UniqueViolation, TransactionConflict):
            continue
    return await _consume_fresh(uow_factory, clock, consumer, envelopes, effect)


async def _consume_fresh(
    uow_factory: UnitOfWorkFactory,
    clock: Clock,
    consumer: str,
    envelopes: Sequence[Envelope],
    effect: BatchEffect,
) -> int:
    async with uow_factory() as uow:
        done = await uow.processed_messages.processed_among(
            consumer, [e.message_id for e in envelopes]
        )
        fresh: dict[str, Envelope] = {}
        for envelope in envelopes:
            if envelope.message_id not in done:
                fresh.setdefault(envelope.message_id, envelope)
        if not fresh:
            return 0
        await effect(uow, list(fresh.values()))
        await uow.processed_messages.remember_all(consumer, list(fresh), clock.now())
        await uow.commit()
    return len(fresh)
