"""Give up on a payout whose provider-send message ran out of retries: fail it (payout.failed,
which the ledger consumer answers by releasing the hold).

Runs when the broker's retries are exhausted, whatever the last error was (the provider's, or
this service's own, such as a database outage). Once, in effect: a payout that was accepted,
finished or cancelled meanwhile is left as it is. One case is left for an operator instead: an
attempt never got its answer (a timeout, a worker that died mid-call) and no later answer settled
it, so the provider may be paying the payout out; failing it would release money that is leaving.
"""

from __future__ import annotations

import logging

from payout_service.application.ports import Clock, UnitOfWorkFactory
from payout_service.domain.payout import PayoutStatus
from payout_service.domain.send_attempts import provider_may_hold

log = logging.getLogger("payout_service.provider_send")


class GiveUpSending:
    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    async def __call__(
        self, payout_id: str, attempts: int, last_error: str, headers: dict[str, str]
    ) -> bool:
        """Returns whether the payout was failed now."""
        now = self._clock.now()
        async with self._uow(headers) as uow:
            payout = await uow.payouts.get_for_update(payout_id)
            if payout is None or not payout.awaits_sending:
                return False
            if provider_may_hold(await uow.send_attempts.results(payout.id)):
                payout.record_send_failure(
                    f"gave up after {attempts} attempts, but the provider never answered one of"
                    " them and may hold the payout: check with the provider before acting",
                    None,
                    now,
                )
                payout.flag_for_review(now)
                await uow.payouts.update(payout)
                await uow.commit()
                log.error("provider-send gave up; the provider may hold the payout")
                return False
            if payout.status is PayoutStatus.PENDING:
                payout.start_processing(now)
            payout.fail(
                f"gave up after {attempts} attempts: {payout.last_error or last_error}", now
            )
            await uow.payouts.update(payout)
            await uow.commit()
        return True
