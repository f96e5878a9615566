"""Give up on a payout whose provider-send message ran out of retries.

Runs when the broker's retries are exhausted, whatever the last error was (the provider's, or
this service's own, such as a database outage). Once, in effect: a payout that was accepted,
finished or cancelled meanwhile is left as it is. When every attempt's answer was definite (the
provider said it did not take it), the payout fails (payout.failed), and its hold is released
in that transaction. When some attempt's answer is unknown (a timeout, a 5xx, a
worker that died mid-call), the provider may be paying it out: the provider is asked first
(application.provider_lookup). Never taken: the payout fails. A record: the payout adopts it.
No answer: the payout waits for an operator (needs_review), funds held.
"""

from __future__ import annotations

import logging
from datetime import datetime

from payout_service.application.ports import Clock, ProviderClient, UnitOfWorkFactory
from payout_service.application.provider_lookup import (
    LookupAnswer,
    adopt_record,
    ask_provider,
    unchanged_since,
)
from payout_service.domain.failure_codes import Failure, FailureCode
from payout_service.domain.payout import Payout, PayoutStatus
from payout_service.domain.send_attempts import provider_may_hold

log = logging.getLogger("payout_service.provider_send")


class GiveUpSending:
    def __init__(self, uow: UnitOfWorkFactory, clock: Clock, provider: ProviderClient) -> None:
        self._uow = uow
        self._clock = clock
        self._provider = provider

    async def __call__(
        self, payout_id: str, attempts: int, last_error: str, headers: dict[str, str]
    ) -> bool:
        """Returns whether the payout was failed now."""
        now = self._clock.now()
        async with self._uow(headers) as uow:
            payout = await uow.payouts.get_for_update(payout_id)
            if payout is None or not payout.awaits_sending:
                return False
            results = await uow.send_attempts.results(payout.id)
            if not provider_may_hold(results):
                error = payout.last_error or last_error
                _fail(payout, f"gave up after {attempts} attempts: {error}", now)
                await uow.payouts.update(payout)
                await uow.commit()
                return True
        lookup = await ask_provider(self._provider, payout_id)
        now = self._clock.now()
        async with self._uow(headers) as uow:
            payout = await uow.payouts.get_for_update(payout_id)
            latest = await uow.send_attempts.results(payout_id)
            if payout is None or not payout.awaits_sending:
                return False
            if not unchanged_since(len(results), latest):
                return False
            failed = lookup.answer is LookupAnswer.NEVER_TAKEN
            if lookup.answer is LookupAnswer.RECORD:
                await adopt_record(uow, lookup, now)
            elif failed:
                _fail(payout, f"gave up after {attempts} attempts, and {lookup.describe()}", now)
                await uow.payouts.update(payout)
            else:
                reason = (
                    f"gave up after {attempts} attempts; the provider may hold the payout (an"
                    f" attempt's answer was unknown) and {lookup.describe()}: check with the"
                    " provider before acting"
                )
                payout.record_send_failure(reason, None, now)
                payout.flag_for_review(reason, now)
                await uow.payouts.update(payout)
                log.error("provider-send gave up; the provider may hold the payout")
            await uow.commit()
        return failed


def _fail(payout: Payout, reason: str, now: datetime) -> None:
    if payout.status is PayoutStatus.PENDING:
        payout.start_processing(now)
    payout.fail(Failure.of(FailureCode.SEND_GAVE_UP), reason, now)
