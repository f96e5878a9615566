"""Cancel a payout the provider has not accepted: status cancelled, payout.cancelled written (the
ledger consumer answers it by releasing the hold), and the queued provider-send message aborted.

Allowed while the payout is pending, or processing without a provider_payout_id, as long as
the provider cannot hold it: no send attempt is waiting for its answer or lost it. The check and
the change happen under the payout's row lock, the same lock the provider-send takes before it
calls the provider, so the two are ordered: a cancel that wins is seen by the send, which then
never calls the provider; a send that wins has an open attempt, and the cancel is refused.
Cancelling a cancelled payout returns it.
"""

from __future__ import annotations

from payout_service.application.errors import NotFound, PayoutNotCancellable
from payout_service.application.ports import (
    Clock,
    ProviderSendQueue,
    UnitOfWork,
    UnitOfWorkFactory,
)
from payout_service.domain import events
from payout_service.domain.payout import Payout, PayoutStatus
from payout_service.domain.send_attempts import is_being_sent, provider_may_hold


class CancelPayout:
    def __init__(self, uow: UnitOfWorkFactory, clock: Clock, sends: ProviderSendQueue) -> None:
        self._uow = uow
        self._clock = clock
        self._sends = sends

    async def __call__(
        self, caller_user_id: int, payout_id: str, headers: dict[str, str]
    ) -> Payout:
        now = self._clock.now()
        async with self._uow(headers) as uow:
            payout = await uow.payouts.get_for_update(payout_id)
            if payout is None or payout.user_id != caller_user_id:
                raise NotFound(f"payout {payout_id} not found")
            if payout.status is PayoutStatus.CANCELLED:
                return payout
            await _refuse_unless_cancellable(uow, payout)
            payout.cancel(now)
            await uow.payouts.update(payout)
            created = await uow.outbox.message_id_of(payout.id, events.PAYOUT_CREATED)
            await uow.commit()
        if created is not None:
            await self._sends.cancel(created)
        return payout


async def _refuse_unless_cancellable(uow: UnitOfWork, payout: Payout) -> None:
    if payout.status.is_final:
        raise PayoutNotCancellable(f"payout {payout.id} is {payout.status}: it is final")
    if not payout.awaits_sending:
        raise PayoutNotCancellable(
            f"payout {payout.id} was accepted by the provider; its outcome comes from the provider"
        )
    results = await uow.send_attempts.results(payout.id)
    if is_being_sent(results):
        raise PayoutNotCancellable(
            f"payout {payout.id} is being sent to the provider right now; its answer decides"
        )
    if provider_may_hold(results):
        raise PayoutNotCancellable(
            f"the provider may already hold payout {payout.id} (an attempt got no answer);"
            " the next attempt's answer decides"
        )
