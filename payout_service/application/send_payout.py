"""Send a payout to the provider: the provider-send consumer of payout.created.

No transaction stays open while the provider is called, so the work is three steps:
1. under the payout's row lock: skip what must not be sent (cancelled or finished, already
   accepted, a message already handled), move pending -> processing, open a send attempt;
2. call the provider with an idempotency key derived from the payout id, the same on every
   attempt, so a retry after a lost answer gets the same provider payout, never a second one;
3. under the lock again: close the attempt with its outcome and apply it. Acceptance stores the
   provider_payout_id and writes payout.provider_accepted; a definite refusal fails the payout
   (payout.failed) and re-raises, unless an earlier attempt's answer was unknown: then the
   provider is asked about the payout (application.provider_lookup) and its answer decides; a
   temporary error or an unknown answer records next_retry_at and raises SendRetryLater, for
   the broker to deliver the message again after that delay, under the same key.

While the provider may hold the payout without this service knowing (an attempt is open, or
got no answer) it is neither cancelled nor given up on: only the provider's answer to a later
attempt, under the same key, settles it (domain.send_attempts). The message is remembered among
the processed messages once its send is over (accepted, refused or skipped), so a redelivery
changes nothing.

Sends that reach a step together share its transaction (call_groups), as creates and webhooks
do: the attempts opened together are opened in turn, each as alone, in payout id order, and
committed at once; so are the acceptances answered together. A group that fails in any way (a
deadlock, two copies of one message, a bug) is rolled back whole and each send does that step
alone, so each gets what it would have got alone. Refusals, failures and lookups stay alone:
they are the rare paths.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from payout_service.application.call_groups import CallGroups
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
    ProviderOutcomeUnknown,
    ProviderPermanentError,
    ProviderTemporaryError,
    SendAttemptOutcome,
    TransactionConflict,
    UniqueViolation,
    UnitOfWork,
    UnitOfWorkFactory,
)
from payout_service.application.provider_lookup import (
    LookupAnswer,
    adopt_record,
    ask_provider,
    unchanged_since,
)
from payout_service.application.send_retry_policy import RetryPolicy
from payout_service.domain.failure_codes import refusal_failure
from payout_service.domain.payout import Payout, PayoutStatus
from payout_service.domain.send_attempts import (
    SendAttemptResult,
    provider_idempotency_key,
    provider_may_hold,
)

GROUP_SIZE = 64  # sends per shared transaction, at most (a worker's threads bound it too)


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


@dataclass(frozen=True, slots=True)
class _Opened:
    """A group's answer to one send: its attempt, or None when there was nothing to send."""

    attempt: _OpenAttempt | None


@dataclass(frozen=True, slots=True)
class _Acceptance:
    envelope: Envelope
    attempt: _OpenAttempt
    acceptance: ProviderAcceptance


class SendPayout:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        clock: Clock,
        provider: ProviderClient,
        policy: RetryPolicy,
        metrics: Metrics = NO_METRICS,
        group_size: int = GROUP_SIZE,
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._provider = provider
        self._policy = policy
        self._metrics = metrics
        self._openings = CallGroups(self._open_group, group_size)
        self._acceptances = CallGroups(self._accept_group, group_size)

    async def __call__(self, envelope: Envelope, retries: int) -> SendOutcome:
        """`retries`: how many times the broker has already retried this message."""
        try:
            attempt = await self._open_attempt(envelope)
        except UniqueViolation:
            # Another delivery of this very message (a row published twice: by the fast path
            # and by the relay) opened the attempt, or finished, while ours waited for the lock:
            # ours rolled back whole. Come back once that one is done; it will find it handled.
            raise SendRetryLater(
                "another delivery of this message is sending it", self._policy.first_delay
            ) from None
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
        if opened := await self._openings.call(envelope):
            return opened.attempt
        async with self._uow() as uow:
            now, firsts = self._clock.now(), list[str]()
            attempt = await self._open_in(uow, envelope, now, firsts)
            await uow.send_attempts.open_first(firsts, now)
            await uow.commit()
        return attempt

    async def _open_group(self, envelopes: list[Envelope]) -> list[_Opened | None]:
        """_open_attempt of each send of the group, in one transaction, its payouts locked in id
        order by one statement and written by one. None for each if any of them fails. A lone
        send is left to _open_attempt."""
        ids = [envelope.aggregate_id for envelope in envelopes]
        if len(envelopes) == 1 or len(set(ids)) < len(ids):
            return [None] * len(envelopes)  # two copies of one message wait for each other
        opened: dict[str, _Opened] = {}
        try:
            async with self._uow() as uow:
                now, firsts = self._clock.now(), list[str]()
                await uow.payouts.lock_all(ids)
                async with uow.payouts.writing_together():
                    for envelope in envelopes:
                        opened[envelope.aggregate_id] = _Opened(
                            await self._open_in(uow, envelope, now, firsts)
                        )
                await uow.send_attempts.open_first(firsts, now)
                await uow.commit()
        except (UniqueViolation, TransactionConflict):
            return [None] * len(envelopes)  # each alone, for its own answer
        return [opened[payout_id] for payout_id in ids]

    async def _open_in(
        self, uow: UnitOfWork, envelope: Envelope, now: datetime, firsts: list[str]
    ) -> _OpenAttempt | None:
        """Opens the send's attempt in `uow`, for the caller to commit; None when there is
        nothing to send (the message is then remembered, unless it was already). A first
        attempt is left in `firsts`, for the caller to open with the others of its group."""
        payout = await uow.payouts.get_for_update(envelope.aggregate_id)
        # Handling a message moves its payout out of pending (or finds it out already), so
        # a pending payout's message is new: only another payout's is looked up.
        pending = payout is not None and payout.status is PayoutStatus.PENDING
        if not pending and await uow.processed_messages.already_processed(
            PROVIDER_SEND.name, envelope.message_id
        ):
            return None
        if payout is None or not payout.awaits_sending:
            await self._remember(uow, envelope, now)
            return None
        # A payout leaves pending only here, opening its first attempt in the same transaction.
        if pending:
            payout.start_processing(now)
            await uow.payouts.update(payout)
            firsts.append(payout.id)
            return _OpenAttempt(payout.id, 1, _instruction(payout))
        number = await uow.send_attempts.open(payout.id, now)
        return _OpenAttempt(payout.id, number, _instruction(payout))

    async def _accept(
        self, envelope: Envelope, attempt: _OpenAttempt, acceptance: ProviderAcceptance
    ) -> None:
        accepted = _Acceptance(envelope, attempt, acceptance)
        if await self._acceptances.call(accepted):
            return
        async with self._uow(envelope.headers) as uow:
            now = self._clock.now()
            await self._accept_in(uow, accepted, now)
            await self._remember(uow, envelope, now)
            await uow.commit()

    async def _accept_group(self, group: list[_Acceptance]) -> list[bool | None]:
        """_accept of each send of the group, in one transaction, its payouts locked in id
        order by one statement and written by one, each payout's events with its own message's
        headers. None for each if any of them fails. A lone send is left to _accept."""
        headers_of = {one.attempt.payout_id: one.envelope.headers for one in group}
        if len(group) == 1 or len(headers_of) < len(group):
            return [None] * len(group)
        try:
            async with self._uow(headers_of=headers_of) as uow:
                now = self._clock.now()
                await uow.payouts.lock_all(headers_of)
                async with uow.payouts.writing_together():
                    for one in group:
                        await self._accept_in(uow, one, now)
                # a copy remembered meanwhile fails the group: alone, it is remembered if new
                await uow.processed_messages.remember_all(
                    PROVIDER_SEND.name, [one.envelope.message_id for one in group], now
                )
                await uow.commit()
        except (UniqueViolation, TransactionConflict):
            return [None] * len(group)
        return [True] * len(group)

    async def _accept_in(self, uow: UnitOfWork, accepted: _Acceptance, now: datetime) -> None:
        """Closes the attempt as accepted in `uow`, for the caller to remember the message and
        commit."""
        acceptance = accepted.acceptance
        outcome = SendAttemptOutcome(
            SendAttemptResult.ACCEPTED,
            http_status=acceptance.http_status,
            provider_payout_id=acceptance.provider_payout_id,
        )
        payout = await self._close(uow, accepted.attempt, outcome, now)
        # A report (webhook, lookup) may have taught the payout its id first.
        if payout.status is PayoutStatus.PROCESSING and payout.provider_payout_id is None:
            payout.record_provider_acceptance(acceptance.provider_payout_id, now)
            await uow.payouts.update(payout)

    async def _refuse(
        self, envelope: Envelope, attempt: _OpenAttempt, error: ProviderPermanentError
    ) -> None:
        """A definite refusal fails the payout, unless an earlier attempt's answer was unknown:
        the provider may hold the payout from that attempt, and only its lookup decides."""
        now = self._clock.now()
        async with self._uow(envelope.headers) as uow:
            refused = _failure(SendAttemptResult.PERMANENT_ERROR, error)
            payout = await self._close(uow, attempt, refused, now)
            results = await uow.send_attempts.results(payout.id)
            uncertain = provider_may_hold(results)
            if payout.awaits_sending and payout.status is PayoutStatus.PROCESSING:
                if uncertain:
                    await uow.commit()
                else:
                    _refused(payout, error, now)
                    await uow.payouts.update(payout)
            if not uncertain or not payout.awaits_sending:
                await self._mark_handled(uow, envelope, now)
                return
        await self._settle_by_lookup(envelope, payout.id, len(results), error)

    async def _settle_by_lookup(
        self, envelope: Envelope, payout_id: str, attempts_seen: int, error: ProviderError
    ) -> None:
        lookup = await ask_provider(self._provider, payout_id)
        now = self._clock.now()
        async with self._uow(envelope.headers) as uow:
            payout = await uow.payouts.get_for_update(payout_id)
            results = await uow.send_attempts.results(payout_id)
            if (
                payout is not None
                and payout.awaits_sending
                and unchanged_since(attempts_seen, results)
            ):
                if lookup.answer is LookupAnswer.RECORD:
                    await adopt_record(uow, lookup, now)
                elif lookup.answer is LookupAnswer.NEVER_TAKEN:
                    _refused(payout, error, now)
                    await uow.payouts.update(payout)
                else:
                    reason = (
                        f"the provider refused a retry ({error}) after an earlier attempt's answer"
                        f" was unknown, and {lookup.describe()}"
                    )
                    payout.flag_for_review(reason, now)
                    await uow.payouts.update(payout)
            await self._mark_handled(uow, envelope, now)

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
        result = _unanswered(error)
        async with self._uow() as uow:
            payout = await self._close(uow, attempt, _failure(result, error), now)
            if payout.awaits_sending:
                payout.record_send_failure(str(error), next_retry_at, now)
                await uow.payouts.update(payout)
            await uow.commit()
        return delay

    async def _close(
        self, uow: UnitOfWork, attempt: _OpenAttempt, outcome: SendAttemptOutcome, now: datetime
    ) -> Payout:
        payout = await uow.payouts.get_for_update(attempt.payout_id)
        if payout is None:
            raise LookupError(f"payout {attempt.payout_id} vanished while it was being sent")
        await uow.send_attempts.close(payout.id, attempt.number, outcome, now)
        return payout

    async def _mark_handled(self, uow: UnitOfWork, envelope: Envelope, now: datetime) -> None:
        await self._remember(uow, envelope, now)
        await uow.commit()

    async def _remember(self, uow: UnitOfWork, envelope: Envelope, now: datetime) -> None:
        """This message's work is done: remember it, so a redelivery changes nothing. Another
        copy of the message (a row published twice) may have been sent and remembered while
        this one waited for the provider; both worked under the payout's lock and its one key,
        so this one's changes stand, and remembering it again would only fail them."""
        await uow.processed_messages.remember_if_new(PROVIDER_SEND.name, envelope.message_id, now)

    def _count(self, result: str, started: float) -> None:
        self._metrics.provider_request(result, time.perf_counter() - started)


def _instruction(payout: Payout) -> PayoutInstruction:
    return PayoutInstruction(
        idempotency_key=provider_idempotency_key(payout.id),
        reference=payout.id,
        metadata={"external_reference": payout.external_reference},
        amount=payout.amount.format(),
        currency=payout.amount.currency.code,
        wallet=payout.wallet,
    )


def _unanswered(error: ProviderTemporaryError) -> SendAttemptResult:
    if not isinstance(error, ProviderOutcomeUnknown):
        return SendAttemptResult.TEMPORARY_ERROR
    return SendAttemptResult.NO_ANSWER if error.http_status is None else SendAttemptResult.AMBIGUOUS


def _failure(result: SendAttemptResult, error: ProviderError) -> SendAttemptOutcome:
    return SendAttemptOutcome(
        result, http_status=error.http_status, error_type=error.reason, error_message=str(error)
    )


def _refused(payout: Payout, error: ProviderError, now: datetime) -> None:
    code = error.code if isinstance(error, ProviderPermanentError) else None
    payout.fail(refusal_failure(code), f"the provider refused the payout: {error}", now)
