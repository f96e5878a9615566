"""Cancel a payout the provider has not taken: status cancelled, payout.cancelled written (the
books consumer answers it by releasing the hold), and the queued provider-send message aborted.

Allowed while the payout is pending, or processing without a provider_payout_id, and no send
attempt is under way. The check and the change happen under the payout's row lock, the same
lock the provider-send takes before it calls the provider, so the two are ordered: a cancel that
wins is seen by the send, which then never calls the provider; a send that wins has an open
attempt, and the cancel is refused. When an earlier attempt's answer was unknown, the provider
may hold the payout: it is asked first (application.provider_lookup). Never taken: the cancel
goes ahead. A record: the payout adopts it and the cancel is refused. No answer: the payout is
flagged for an operator and the cancel is refused. Cancelling a cancelled payout returns it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from payout_service.application.errors import NotFound, PayoutNotCancellable
from payout_service.application.ports import (
    Clock,
    ProviderClient,
    ProviderSendQueue,
    UnitOfWork,
    UnitOfWorkFactory,
)
from payout_service.application.provider_lookup import (
    Lookup,
    LookupAnswer,
    adopt_record,
    ask_provider,
    unchanged_since,
)
from payout_service.domain import events
from payout_service.domain.payout import Payout, PayoutStatus
from payout_service.domain.send_attempts import (
    SendAttemptResult,
    is_being_sent,
    provider_may_hold,
)


class CancelPayout:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        clock: Clock,
        sends: ProviderSendQueue,
        provider: ProviderClient,
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._sends = sends
        self._provider = provider

    async def __call__(
        self, caller_user_id: int, payout_id: str, headers: dict[str, str]
    ) -> Payout:
        async with self._uow(headers) as uow:
            payout, results = await _cancellable(uow, caller_user_id, payout_id)
            if payout.status is PayoutStatus.CANCELLED:
                return payout
            if not provider_may_hold(results):
                return await self._cancel(uow, payout, self._clock.now())
        lookup = await ask_provider(self._provider, payout_id)
        async with self._uow(headers) as uow:
            payout, latest = await _cancellable(uow, caller_user_id, payout_id)
            if payout.status is PayoutStatus.CANCELLED:
                return payout
            if not unchanged_since(len(results), latest):
                raise _being_sent(payout)
            if lookup.answer is LookupAnswer.NEVER_TAKEN:
                return await self._cancel(uow, payout, self._clock.now())
            refusal = await _keep(uow, payout, lookup, self._clock.now())
            await uow.commit()
        raise refusal

    async def _cancel(self, uow: UnitOfWork, payout: Payout, now: datetime) -> Payout:
        payout.cancel(now)
        await uow.payouts.update(payout)
        created = await uow.outbox.message_id_of(payout.id, events.PAYOUT_CREATED)
        await uow.commit()
        if created is not None:
            await self._sends.cancel(created)
        return payout


async def _cancellable(
    uow: UnitOfWork, caller_user_id: int, payout_id: str
) -> tuple[Payout, Sequence[SendAttemptResult]]:
    """The caller's payout, locked, and its send attempts' results, when a cancel may still
    apply to it; else the refusal."""
    payout = await uow.payouts.get_for_update(payout_id)
    if payout is None or payout.user_id != caller_user_id:
        raise NotFound(f"payout {payout_id} not found")
    if payout.status is PayoutStatus.CANCELLED:
        return payout, ()
    if payout.status.is_final:
        raise PayoutNotCancellable(f"payout {payout.id} is {payout.status}: it is final")
    if not payout.awaits_sending:
        raise PayoutNotCancellable(
            f"payout {payout.id} was accepted by the provider; its outcome comes from the provider"
        )
    results = await uow.send_attempts.results(payout.id)
    if is_being_sent(results):
        raise _being_sent(payout)
    return payout, results


def _being_sent(payout: Payout) -> PayoutNotCancellable:
    return PayoutNotCancellable(
        f"payout {payout.id} is being sent to the provider right now; its answer decides"
    )


async def _keep(
    uow: UnitOfWork, payout: Payout, lookup: Lookup, now: datetime
) -> PayoutNotCancellable:
    """The provider holds the payout, or did not say: it is not cancelled, and why."""
    if lookup.answer is LookupAnswer.RECORD:
        await adopt_record(uow, lookup, now)
        return PayoutNotCancellable(
            f"payout {payout.id} cannot be cancelled: {lookup.describe()}; its outcome comes from"
            " the provider"
        )
    payout.flag_for_review(
        f"a cancel was asked after an attempt's answer was unknown, and {lookup.describe()}", now
    )
    await uow.payouts.update(payout)
    return PayoutNotCancellable(
        f"the provider may already hold payout {payout.id} (an attempt's answer was unknown) and"
        " did not answer about it; it is flagged for an operator"
    )
