"""Send a payout to the provider: the provider-send consumer of payout.created.

No transaction stays open while the provider is called, so the work is three steps:
1. under the payout's row lock: skip what must not be sent (cancelled or finished, already
   accepted, a message already handled), move pending -> processing, open a send attempt;
2. call the provider with an idempotency key derived from the payout id, the same on every
   attempt, so a retry after a lost answer gets the same provider payout, never a second one;
3. under the lock again: close the attempt with its outcome and apply it. Acceptance stores the
   provider_payout_id and writes payout.provider_accepted; a permanent refusal fails the payout
   (payout.failed) and re-raises; a temporary error records next_retry_at and raises
   SendRetryLater, for the broker to deliver the message again after that delay.

While the provider may hold the payout without this service knowing (an attempt is open, or
got no answer) it is neither cancelled nor given up on: only the provider's answer to a later
attempt, under the same key, settles it (domain.send_attempts). The message is remembered among
the processed messages once its send is over (accepted, refused or skipped), so a redelivery
changes nothing.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum

from payout_service.application.event_routes import PROVIDER_SEND
from payout_service.application.messages import Envelope
from payout_service.application.metrics import NO_METRICS
from payout_service.application.ports import (
    Clock,
    Metrics,
    PayoutInstruction,
    ProviderAcceptance,
    ProviderClient,
    ProviderError,
    ProviderPermanentError,
    ProviderTemporaryError,
    SendAttemptOutcome,
    UnitOfWork,
    UnitOfWorkFactory,
)
from payout_service.application.send_retry_policy import RetryPolicy
from payout_service.domain.payout import Payout, PayoutStatus
from payout_service.domain.send_attempts import SendAttemptResult, provider_idempotency_key


class SendOutcome(StrEnum):
    ACCEPTED = "accepted"
    SKIPPED = "skipped"  # nothing to send: cancelled, finished, accepted, or handled before


class SendRetryLater(Exception):
    """The provider failed temporarily; deliver the message again after `delay`."""

    def __init__(self, reason: str, delay: timedelta) -> None:
        super().__init__(reason)
        self.delay = delay


@dataclass(frozen=True, slots=True)
class _OpenAttempt:
    payout_id: str
    number: int
    instruction: PayoutInstruction


class SendPayout:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        clock: Clock,
        provider: ProviderClient,
        policy: RetryPolicy,
        metrics: Metrics = NO_METRICS,
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._provider = provider
        self._policy = policy
        self._metrics = metrics

    async def __call__(self, envelope: Envelope, retries: int) -> SendOutcome:
        """`retries`: how many times the broker has already retried this message."""
        attempt = await self._open_attempt(envelope)
        if attempt is None:
            return SendOutcome.SKIPPED
        started = time.perf_counter()
        try:
            acceptance = await self._provider.send_payout(attempt.instruction)
        except ProviderTemporaryError as error:
            self._count("timeout" if error.reason == "timeout" else "temporary_error", started)
            delay = await self._defer(envelope, attempt, error, retries)
            raise SendRetryLater(str(error), delay) from error
        except ProviderPermanentError as error:
            self._count("rejected", started)
            await self._refuse(envelope, attempt, error)
            raise
        self._count("accepted", started)
        await self._accept(envelope, attempt, acceptance)
        return SendOutcome.ACCEPTED

    async def _open_attempt(self, envelope: Envelope) -> _OpenAttempt | None:
        now = self._clock.now()
        async with self._uow() as uow:
            if await uow.processed_messages.already_processed(
                PROVIDER_SEND.name, envelope.message_id
            ):
                return None
            payout = await uow.payouts.get_for_update(envelope.aggregate_id)
            if payout is None or not payout.awaits_sending:
                await self._mark_handled(uow, envelope)
                return None
            if payout.status is PayoutStatus.PENDING:
                payout.start_processing(now)
                await uow.payouts.update(payout)
            number = await uow.send_attempts.open(payout.id, now)
            await uow.commit()
        return _OpenAttempt(payout.id, number, _instruction(payout))

    async def _accept(
        self, envelope: Envelope, attempt: _OpenAttempt, acceptance: ProviderAcceptance
    ) -> None:
        now = self._clock.now()
        outcome = SendAttemptOutcome(
            SendAttemptResult.ACCEPTED,
            http_status=acceptance.http_status,
            provider_payout_id=acceptance.provider_payout_id,
        )
        async with self._uow(envelope.headers) as uow:
            payout = await self._close(uow, attempt, outcome)
            # A webhook found by external_reference may have taught the payout its id first.
            if payout.status is PayoutStatus.PROCESSING and payout.provider_payout_id is None:
                payout.record_provider_acceptance(acceptance.provider_payout_id, now)
                await uow.payouts.update(payout)
            await self._mark_handled(uow, envelope)

    async def _refuse(
        self, envelope: Envelope, attempt: _OpenAttempt, error: ProviderPermanentError
    ) -> None:
        now = self._clock.now()
        async with self._uow(envelope.headers) as uow:
            refused = _failure(SendAttemptResult.PERMANENT_ERROR, error)
            payout = await self._close(uow, attempt, refused)
            if payout.status is PayoutStatus.PROCESSING and payout.provider_payout_id is None:
                payout.fail(f"the provider refused the payout: {error}", now)
                await uow.payouts.update(payout)
            await self._mark_handled(uow, envelope)

    async def _defer(
        self,
        envelope: Envelope,
        attempt: _OpenAttempt,
        error: ProviderTemporaryError,
        retries: int,
    ) -> timedelta:
        now = self._clock.now()
        delay = self._policy.delay(retries, error.retry_after)
        next_retry_at = None if self._policy.is_last(retries) else now + delay
        result = (
            SendAttemptResult.NO_ANSWER if error.answer_lost else SendAttemptResult.TEMPORARY_ERROR
        )
        async with self._uow() as uow:
            payout = await self._close(uow, attempt, _failure(result, error))
            if payout.awaits_sending:
                payout.record_send_failure(str(error), next_retry_at, now)
                await uow.payouts.update(payout)
            await uow.commit()
        return delay

    async def _close(
        self, uow: UnitOfWork, attempt: _OpenAttempt, outcome: SendAttemptOutcome
    ) -> Payout:
        payout = await uow.payouts.get_for_update(attempt.payout_id)
        if payout is None:
            raise LookupError(f"payout {attempt.payout_id} vanished while it was being sent")
        await uow.send_attempts.close(payout.id, attempt.number, outcome, self._clock.now())
        return payout

    async def _mark_handled(self, uow: UnitOfWork, envelope: Envelope) -> None:
        """This message's work is done: remember it, so a redelivery changes nothing."""
        await uow.processed_messages.remember(
            PROVIDER_SEND.name, envelope.message_id, self._clock.now()
        )
        await uow.commit()

    def _count(self, result: str, started: float) -> None:
        self._metrics.provider_request(result, time.perf_counter() - started)


def _instruction(payout: Payout) -> PayoutInstruction:
    return PayoutInstruction(
        idempotency_key=provider_idempotency_key(payout.id),
        external_reference=payout.external_reference,
        amount=payout.amount.format(),
        currency=payout.amount.currency.code,
        wallet=payout.wallet,
    )


def _failure(result: SendAttemptResult, error: ProviderError) -> SendAttemptOutcome:
    return SendAttemptOutcome(
        result, http_status=error.http_status, error_type=error.reason, error_message=str(error)
    )
