"""The ports the use cases need; adapters in payout_service.infrastructure implement them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from types import TracebackType
from typing import Any, Protocol

from payout_service.application.messages import Envelope
from payout_service.domain.accounts import Account, Direction, EntryKind, LedgerEntry
from payout_service.domain.events import DomainEvent
from payout_service.domain.payout import Payout, PayoutStatus
from payout_service.domain.provider_report import ProviderStatus
from payout_service.domain.send_attempts import SendAttemptResult


@dataclass(frozen=True, slots=True)
class StoredResponse:
    """The first answer given under an idempotency key, replayed verbatim on a retry."""

    fingerprint: str
    status_code: int
    body: str
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class PageCursor:
    """Where the previous page of a newest-first listing stopped."""

    created_at: datetime
    payout_id: str


class PayoutRepository(Protocol):
    """add() and update() also hand the payout to the unit of work, whose commit() writes the
    events the payout has emitted to the outbox, in the same transaction."""

    async def add(self, payout: Payout) -> None: ...
    async def get(self, payout_id: str) -> Payout | None: ...
    async def get_for_update(self, payout_id: str) -> Payout | None: ...
    async def update(self, payout: Payout) -> None: ...
    async def reference_exists(self, user_id: int, external_reference: str) -> bool: ...
    async def list_for_user(
        self, user_id: int, status: PayoutStatus | None, limit: int, after: PageCursor | None
    ) -> Sequence[Payout]: ...
    async def id_for_provider_payout_id(self, provider_payout_id: str) -> str | None: ...
    async def awaiting_provider_outcome(
        self, updated_before: datetime, limit: int
    ) -> Sequence[Payout]:
        """Processing, accepted by the provider, unchanged since before `updated_before`;
        the longest unchanged first."""
        ...

    async def stalled_sends(self, updated_before: datetime, limit: int) -> Sequence[Payout]:
        """Pending, or processing without the provider's id, not flagged for review, unchanged
        since before `updated_before` (no send attempt or retry touched them): the longest
        unchanged first."""
        ...

    async def needing_review(self, limit: int) -> Sequence[Payout]:
        """Flagged for an operator (needs_review), the longest waiting first."""
        ...

    async def unsent_needing_review(self, limit: int) -> Sequence[Payout]:
        """Flagged for an operator while not final and without a provider_payout_id: sending
        stopped without knowing whether the provider took them. Longest waiting first."""
        ...

    async def created_since(
        self, since: datetime, after: PageCursor | None, limit: int
    ) -> Sequence[Payout]:
        """Every user's payouts created at or after `since`, oldest first, after the cursor."""
        ...

    async def succeeded_since(
        self, since: datetime, after: tuple[datetime, str] | None, limit: int
    ) -> Sequence[Payout]:
        """Every user's successful payouts with a provider_payout_id, completed at or after
        `since`, ordered by (completed_at, id), after `after`: the (completed_at, id) of the
        previous page's last."""
        ...


class AccountRepository(Protocol):
    async def get_for_update(self, user_id: int, currency: str) -> Account | None: ...
    async def list_for_user(self, user_id: int) -> Sequence[Account]: ...
    async def save_balances(self, account: Account, now: datetime) -> None: ...
    async def append_entry(self, entry: LedgerEntry, now: datetime) -> None: ...


class IdempotencyStore(Protocol):
    async def find(self, user_id: int, key: str) -> StoredResponse | None: ...
    async def delete(self, user_id: int, key: str) -> None: ...
    async def save(
        self, user_id: int, key: str, response: StoredResponse, payout_id: str, now: datetime
    ) -> None: ...


class Outbox(Protocol):
    async def add(self, event: DomainEvent, headers: dict[str, str], now: datetime) -> None: ...
    async def message_id_of(self, aggregate_id: str, event_name: str) -> str | None:
        """The message id of the aggregate's first outbox row for the event, while kept."""
        ...


@dataclass(frozen=True, slots=True)
class AuditRun:
    """One comparison of our payouts with the provider's records: how many were compared, how
    many the provider did not answer about, and the disagreements found, by kind."""

    started_at: datetime
    finished_at: datetime
    checked: int
    unanswered: int
    disagreements: dict[str, int]


class ProviderAudits(Protocol):
    async def record(self, run: AuditRun) -> None: ...
    async def latest(self) -> AuditRun | None: ...


class ApiKeyRepository(Protocol):
    async def user_for_key_hash(self, key_hash: str) -> int | None: ...


class ProcessedMessages(Protocol):
    """Message ids each consumer has applied; remembered in the same transaction as the effect."""

    async def already_processed(self, consumer: str, message_id: str) -> bool: ...
    async def remember(self, consumer: str, message_id: str, now: datetime) -> None: ...
    async def processed_among(self, consumer: str, message_ids: Sequence[str]) -> set[str]: ...
    async def remember_all(
        self, consumer: str, message_ids: Sequence[str], now: datetime
    ) -> None: ...


class AuditLog(Protocol):
    async def append_all(self, envelopes: Sequence[Envelope], now: datetime) -> None: ...


@dataclass(frozen=True, slots=True)
class AccountLine:
    """One line of a user account's ledger, as its history shows it."""

    id: int
    direction: Direction
    kind: EntryKind
    amount_minor: int
    payout_id: str | None
    created_at: datetime


class LedgerHistory(Protocol):
    async def has_settled(self, payout_id: str) -> bool: ...
    async def has_returned(self, payout_id: str) -> bool: ...
    async def lines_of(
        self, account_id: int, limit: int, before_id: int | None
    ) -> Sequence[AccountLine]: ...


@dataclass(frozen=True, slots=True)
class ProviderWebhook:
    """A provider's status report as its webhook body carried it, checked at the edge."""

    event_id: str
    provider_payout_id: str | None
    reference: str | None  # our payout id, as the provider keeps it
    status: ProviderStatus
    occurred_at: datetime
    failure_code: str | None = None  # the provider's, for a failure or a return


# The result of a stored webhook that no inbox pass has applied yet.
RECEIVED = "received"


@dataclass(frozen=True, slots=True)
class InboxEvent:
    """A stored provider webhook; processed_at is None until an inbox pass applied it."""

    id: int
    webhook: ProviderWebhook
    payload_hash: str
    received_at: datetime
    processed_at: datetime | None
    result: str


class WebhookInbox(Protocol):
    """provider_webhook_events (event_id unique) and the conflicting payloads seen under one."""

    async def find(self, event_id: str) -> InboxEvent | None: ...
    async def get_for_update(self, inbox_id: int) -> InboxEvent | None: ...
    async def add(
        self, webhook: ProviderWebhook, payload: str, payload_hash: str, now: datetime
    ) -> int: ...
    async def mark_processed(
        self, inbox_id: int, result: str, payout_id: str | None, detail: str | None, now: datetime
    ) -> None: ...
    async def ids_to_process(self, limit: int, retry_not_found: bool) -> Sequence[int]: ...
    async def add_conflict(
        self, event_id: str, payload: str, payload_hash: str, now: datetime
    ) -> None: ...


@dataclass(frozen=True, slots=True)
class SendAttemptOutcome:
    result: SendAttemptResult
    http_status: int | None = None
    error_type: str | None = None
    error_message: str | None = None
    provider_payout_id: str | None = None


class SendAttemptLog(Protocol):
    """payout_send_attempts: one row per call to the provider, opened before it, closed after."""

    async def open(self, payout_id: str, now: datetime) -> int:
        """Marks any attempt left open as unknown, opens the next; returns its number (1, 2...)."""
        ...

    async def close(
        self, payout_id: str, attempt: int, outcome: SendAttemptOutcome, now: datetime
    ) -> None: ...
    async def results(self, payout_id: str) -> Sequence[SendAttemptResult]:
        """The payout's attempts' results, first attempt first."""
        ...

    async def last_outcome(self, payout_id: str) -> SendAttemptOutcome | None:
        """The latest attempt's outcome as recorded (SENDING while it is open)."""
        ...


@dataclass(frozen=True, slots=True)
class PayoutInstruction:
    """What the provider is asked to pay. `reference` is our payout id: the provider keeps it
    with its payout, names it in its reports and finds the payout by it. The idempotency key is
    the same on every attempt for one payout, so the provider pays it once however often it is
    asked. `metadata` is passed through (the client's external_reference)."""

    idempotency_key: str
    reference: str
    amount: str  # a decimal string with the currency's places, e.g. "150.00"
    currency: str
    wallet: str
    metadata: dict[str, str]


@dataclass(frozen=True, slots=True)
class ProviderAcceptance:
    provider_payout_id: str
    http_status: int


@dataclass(frozen=True, slots=True)
class ProviderPayoutState:
    """The provider's own record of a payout; `since`: when it reached that status, by the
    provider's clock. A payout the provider accepted but has not started is PROCESSING.
    `amount` is the provider's decimal string, `reference` our payout id as it keeps it."""

    provider_payout_id: str
    status: ProviderStatus
    since: datetime
    reference: str | None = None
    amount: str | None = None
    currency: str | None = None
    failure_code: str | None = None  # the provider's, for a failure or a return


class ProviderError(Exception):
    """The provider did not do what was asked. `reason` is a short word for the attempt log
    (rate_limited, unreachable, server_error, timeout, connection_error, conflict, rejected,
    malformed_response, unexpected_status, not_found); `http_status` is None when no answer
    came."""

    def __init__(self, reason: str, message: str, http_status: int | None = None) -> None:
        super().__init__(message)
        self.reason = reason
        self.http_status = http_status


class ProviderTemporaryError(ProviderError):
    """The provider did not take the payout, for now (429, or no connection could be made):
    worth asking again later. `retry_after`: how long it asked to be left alone, when it said."""

    def __init__(
        self,
        reason: str,
        message: str,
        http_status: int | None = None,
        retry_after: timedelta | None = None,
    ) -> None:
        super().__init__(reason, message, http_status)
        self.retry_after = retry_after


class ProviderOutcomeUnknown(ProviderTemporaryError):
    """No telling whether the provider took the payout: a timeout or a connection cut after the
    request was sent, any 5xx (providers commit, then fail to answer), 409, a 2xx that breaks
    the contract, anything unexpected. Asking again under the same key is safe; until the
    provider says something definite about the payout, its funds stay held."""


class ProviderPermanentError(ProviderError):
    """A definite refusal, as the provider documents it: 400 or 422 with its error code
    (`code`). Asking again cannot help, and the provider did not take the payout."""

    def __init__(
        self, reason: str, message: str, http_status: int | None = None, code: str | None = None
    ) -> None:
        super().__init__(reason, message, http_status)
        self.code = code


class ProviderClient(Protocol):
    async def send_payout(self, instruction: PayoutInstruction) -> ProviderAcceptance:
        """Raises ProviderTemporaryError (ProviderOutcomeUnknown among them) or
        ProviderPermanentError unless accepted."""
        ...

    async def get_payout(self, provider_payout_id: str) -> ProviderPayoutState:
        """Raises ProviderError when the provider gives no usable answer."""
        ...

    async def find_payout(self, reference: str) -> ProviderPayoutState | None:
        """The provider's payout holding our reference; None when the provider answers that it
        has never taken one (404). Raises ProviderError when it gives no usable answer."""
        ...


class ProviderSendQueue(Protocol):
    """The provider-send messages waiting in the broker."""

    async def cancel(self, created_message_id: str) -> None:
        """Best effort and never raises: the send triggered by the payout.created outbox message
        `created_message_id` will not start. The send's own status check under the payout's lock
        is what guarantees a cancelled payout is never sent; this only saves it the trip."""
        ...


class UniqueViolation(Exception):
    """Raised by adapters when an insert breaks a unique constraint (a concurrent twin won)."""


class UnitOfWork(Protocol):
    """One database transaction: rolled back on leaving unless commit() was called.

    commit() first writes the new events of every payout added or updated through `payouts` to
    the outbox (with the headers the unit of work was opened with), then clears them: a use case
    saves its aggregate and never writes the aggregate's events itself."""

    @property
    def payouts(self) -> PayoutRepository: ...
    @property
    def accounts(self) -> AccountRepository: ...
    @property
    def idempotency(self) -> IdempotencyStore: ...
    @property
    def outbox(self) -> Outbox: ...
    @property
    def api_keys(self) -> ApiKeyRepository: ...
    @property
    def processed_messages(self) -> ProcessedMessages: ...
    @property
    def audit(self) -> AuditLog: ...
    @property
    def ledger(self) -> LedgerHistory: ...
    @property
    def webhooks(self) -> WebhookInbox: ...
    @property
    def send_attempts(self) -> SendAttemptLog: ...
    @property
    def provider_audits(self) -> ProviderAudits: ...

    async def __aenter__(self) -> UnitOfWork: ...
    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...
    async def commit(self) -> None: ...


class UnitOfWorkFactory(Protocol):
    def __call__(self, headers: Mapping[str, str] | None = None) -> UnitOfWork:
        """`headers`: the request's or message's tracing headers (request_id...), carried by the
        events this unit of work writes."""
        ...


class Clock(Protocol):
    def now(self) -> datetime: ...


class IdGenerator(Protocol):
    def new_id(self) -> str: ...


JsonDict = dict[str, Any]


class Metrics(Protocol):
    """What the use cases count. Calls are cheap and never raise (the create path makes them on
    every request); each outcome is counted once, by the code that commits it, after the commit.

    payout_finished's outcome is "succeeded", "failed" or "cancelled", with the payout's
    failure_code (None for "succeeded"); the ledger consumer counts it when it settles the
    payout's hold, so a use case that ends a payout does not count it again. payout_returned is
    counted by the ledger consumer too, when it posts the return.
    provider_request's result is "accepted", "rejected", "temporary_error" or "timeout" (an
    unknown answer other than a timeout counts as "temporary_error");
    webhook_processed's result is, at the endpoint, "rejected" (bad signature), "duplicate" or
    "payload_conflict" (an event_id reused with another payload); once applied, the outcome of
    domain.provider_report.ReportOutcome ("applied", "stale", "unchanged", "conflict",
    "payout_not_found").
    """

    def payout_create_requested(self) -> None: ...
    def payout_created(self) -> None: ...
    def payout_finished(self, outcome: str, failure_code: str | None) -> None: ...
    def payout_returned(self, failure_code: str) -> None: ...
    def account_debited(self) -> None: ...
    def provider_request(self, result: str, seconds: float) -> None: ...
    def webhook_ingested(self) -> None: ...
    def webhook_processed(self, result: str) -> None: ...
