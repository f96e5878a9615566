"""The payout aggregate and its state machine.

pending -> processing -> success | failed, and pending -> cancelled, processing -> cancelled while
the provider has not accepted it; success -> returned when the money comes back from the bank.
failed, cancelled and returned are final, and so is success for everything but a return: a later
contradictory outcome raises IllegalTransition so the caller records it instead of applying it.
A failed, cancelled or returned payout says why in failure_code (domain.failure_codes).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from typing import Any

from payout_service.domain import events
from payout_service.domain.errors import IllegalTransition
from payout_service.domain.events import DomainEvent
from payout_service.domain.failure_codes import Failure, FailureCode
from payout_service.domain.money import Money


class PayoutStatus(StrEnum):
    PENDING = "pending"
    PROCESSING = "processing"
    SUCCESS = "success"
    FAILED = "failed"
    CANCELLED = "cancelled"
    RETURNED = "returned"

    @property
    def is_final(self) -> bool:
        return self in FINAL_STATUSES


FINAL_STATUSES = frozenset(
    {PayoutStatus.SUCCESS, PayoutStatus.FAILED, PayoutStatus.CANCELLED, PayoutStatus.RETURNED}
)

_ALLOWED: dict[PayoutStatus, frozenset[PayoutStatus]] = {
    PayoutStatus.PENDING: frozenset({PayoutStatus.PROCESSING, PayoutStatus.CANCELLED}),
    PayoutStatus.PROCESSING: frozenset(
        {PayoutStatus.SUCCESS, PayoutStatus.FAILED, PayoutStatus.CANCELLED}
    ),
    PayoutStatus.SUCCESS: frozenset({PayoutStatus.RETURNED}),
    PayoutStatus.FAILED: frozenset(),
    PayoutStatus.CANCELLED: frozenset(),
    PayoutStatus.RETURNED: frozenset(),
}

AGGREGATE_TYPE = "payout"
# Stripe's limits for a payout's metadata.
MAX_METADATA_KEYS = 20
MAX_METADATA_KEY_LENGTH = 40
MAX_METADATA_VALUE_LENGTH = 500


@dataclass(slots=True)
class Payout:
    id: str
    user_id: int
    amount: Money
    wallet: str
    external_reference: str
    status: PayoutStatus
    created_at: datetime
    updated_at: datetime
    provider_payout_id: str | None = None
    provider_status: str | None = None
    send_attempts: int = 0
    last_error: str | None = None
    next_retry_at: datetime | None = None
    completed_at: datetime | None = None
    # When the provider's last applied status report happened (its own clock): older ones are stale.
    provider_status_at: datetime | None = None
    # Waiting for an operator (the funds stay as they are): sending stopped without knowing
    # whether the provider holds the payout, or the provider said something that contradicts
    # what we know. Cleared by the provider's outcome or by the operator's resolution.
    needs_review: bool = False
    review_reason: str | None = None
    review_since: datetime | None = None
    failure_code: FailureCode | None = None
    failure_message: str | None = None  # for people; last_error keeps the technical detail
    returned_at: datetime | None = None
    # +1 per client-visible change (domain.events.CLIENT_VISIBLE): 1 once created.
    version: int = 0
    batch_id: str | None = None  # the batch it came in (domain.payout_batch), if any
    # The client's own key-value pairs, kept and shown as given (within the MAX_METADATA_ limits).
    metadata: dict[str, str] = field(default_factory=dict)
    events: list[DomainEvent] = field(default_factory=list, compare=False, repr=False)

    @classmethod
    def create(
        cls,
        *,
        payout_id: str,
        user_id: int,
        amount: Money,
        wallet: str,
        external_reference: str,
        now: datetime,
        batch_id: str | None = None,
        metadata: dict[str, str] | None = None,
    ) -> Payout:
        payout = cls(
            id=payout_id,
            user_id=user_id,
            amount=amount,
            wallet=wallet,
            external_reference=external_reference,
            status=PayoutStatus.PENDING,
            created_at=now,
            updated_at=now,
            batch_id=batch_id,
            metadata=dict(metadata or {}),
        )
        payout._emit(events.PAYOUT_CREATED)
        return payout

    @property
    def awaits_sending(self) -> bool:
        """Pending, or processing without the provider's acceptance: a send may (still) happen,
        and so may a cancel, as long as the provider cannot hold it (domain.send_attempts)."""
        return self.status is PayoutStatus.PENDING or (
            self.status is PayoutStatus.PROCESSING and self.provider_payout_id is None
        )

    def request_send(self, now: datetime) -> None:
        """Asks for a send again (payout.send_requested): the send's message was lost (a broker
        that lost a delayed retry, say). Safe however often it happens: every send is under the
        same provider key, and a send checks under the payout's lock that one may still happen."""
        if not self.awaits_sending or self.needs_review:
            raise IllegalTransition(self.id, self.status, "send_requested")
        self.updated_at = now
        self._emit(events.PAYOUT_SEND_REQUESTED)

    def start_processing(self, now: datetime) -> None:
        self._move(PayoutStatus.PROCESSING, now)
        self._emit(events.PAYOUT_PROCESSING)

    def record_provider_acceptance(self, provider_payout_id: str, now: datetime) -> None:
        if self.status is not PayoutStatus.PROCESSING:
            raise IllegalTransition(self.id, self.status, "provider_accepted")
        self.provider_payout_id = provider_payout_id
        self.provider_status = "accepted"
        self.last_error = None
        self.next_retry_at = None
        self.updated_at = now
        self._emit(events.PAYOUT_PROVIDER_ACCEPTED, provider_payout_id=provider_payout_id)

    def record_send_failure(
        self, error: str, next_retry_at: datetime | None, now: datetime
    ) -> None:
        """A temporary failure: the send will be retried at next_retry_at."""
        self.send_attempts += 1
        self.last_error = error
        self.next_retry_at = next_retry_at
        self.updated_at = now

    def flag_for_review(self, reason: str, now: datetime) -> None:
        """Left for an operator as it is, funds untouched, until the provider's outcome or the
        operator's resolution arrives; no more sending. The first reason and moment are kept
        while the flag stands."""
        self.next_retry_at = None
        self.updated_at = now
        if not self.needs_review:
            self.needs_review = True
            self.review_reason = reason
            self.review_since = now
            self._emit(events.PAYOUT_NEEDS_REVIEW, reason=reason)

    def resolve_review(
        self, outcome: PayoutStatus, reason: str, operator: str, now: datetime
    ) -> None:
        """An operator's decision, after checking with the provider: success or failed, or, for a
        payout already final, that it stays as it is."""
        self._emit(
            events.PAYOUT_REVIEW_RESOLVED, outcome=str(outcome), reason=reason, operator=operator
        )
        if outcome is self.status and outcome.is_final:
            self.clear_review()
            self.updated_at = now
        elif outcome is PayoutStatus.SUCCESS:
            self.succeed(now)
        elif outcome is PayoutStatus.FAILED:
            if self.status is PayoutStatus.PENDING:
                self.start_processing(now)
            self.fail(
                Failure.of(FailureCode.COULD_NOT_PROCESS), f"resolved by {operator}: {reason}", now
            )
        else:
            raise IllegalTransition(self.id, self.status, outcome)

    def record_provider_status(
        self, provider_status: str, now: datetime, occurred_at: datetime | None = None
    ) -> None:
        self.provider_status = provider_status
        if occurred_at is not None:
            self.provider_status_at = occurred_at
        self.updated_at = now

    def succeed(self, now: datetime) -> None:
        self._move(PayoutStatus.SUCCESS, now)
        self.completed_at = now
        self._emit(events.PAYOUT_SUCCEEDED)

    def fail(self, failure: Failure, error: str, now: datetime) -> None:
        """`failure` says why to the client, `error` to the operator (last_error)."""
        self._move(PayoutStatus.FAILED, now)
        self._record_failure(failure)
        self.last_error = error
        self.next_retry_at = None
        self.completed_at = now
        self._emit(events.PAYOUT_FAILED, error=error, **self._failure_fields())

    def cancel(self, now: datetime) -> None:
        if not self.awaits_sending:
            raise IllegalTransition(self.id, self.status, PayoutStatus.CANCELLED)
        self._move(PayoutStatus.CANCELLED, now)
        self._record_failure(Failure.of(FailureCode.CANCELLED_BY_CLIENT))
        self.next_retry_at = None
        self.completed_at = now
        self._emit(events.PAYOUT_CANCELLED, **self._failure_fields())

    def mark_returned(self, failure: Failure, now: datetime) -> None:
        """The provider paid it, and the bank sent the money back: the user gets it back (the
        ledger posts a return). completed_at stays the moment it succeeded."""
        self._move(PayoutStatus.RETURNED, now)
        self._record_failure(failure)
        self.returned_at = now
        self._emit(events.PAYOUT_RETURNED, **self._failure_fields())

    def _record_failure(self, failure: Failure) -> None:
        self.failure_code = failure.code
        self.failure_message = failure.message

    def _failure_fields(self) -> dict[str, str | None]:
        code = str(self.failure_code) if self.failure_code is not None else None
        return {"failure_code": code, "failure_message": self.failure_message}

    def _move(self, target: PayoutStatus, now: datetime) -> None:
        if target not in _ALLOWED[self.status]:
            raise IllegalTransition(self.id, self.status, target)
        self.status = target
        self.updated_at = now
        if target.is_final:
            self.clear_review()

    def clear_review(self) -> None:
        self.needs_review = False
        self.review_reason = None
        self.review_since = None

    def _emit(self, name: str, **extra: Any) -> None:
        """Records the event; a client-visible one makes a new version, snapshotted."""
        snapshot = None
        if name in events.CLIENT_VISIBLE:
            self.version += 1
            snapshot = replace(self, events=[])
        payload: dict[str, Any] = {
            "payout_id": self.id,
            "user_id": self.user_id,
            "amount_minor": self.amount.minor,
            "currency": self.amount.currency.code,
            "status": str(self.status),
            "external_reference": self.external_reference,
            "version": self.version,
            **extra,
        }
        self.events.append(DomainEvent(name, AGGREGATE_TYPE, self.id, payload, snapshot))
