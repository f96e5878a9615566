"""The ports the use cases need; adapters in payout_service.infrastructure implement them."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import datetime, timedelta
from types import TracebackType
from typing import Any, Protocol

from payout_service.application.messages import Envelope
from payout_service.application.saved_payouts import SavedPayouts
from payout_service.domain.accounts import Account, Direction, EntryKind, LedgerEntry
from payout_service.domain.client_events import (
    ClientEvent,
    Delivery,
    DeliveryAttempt,
    DeliveryStatus,
    WebhookEndpoint,
)
from payout_service.domain.events import DomainEvent
from payout_service.domain.payout import Payout, PayoutStatus
from payout_service.domain.payout_batch import PayoutBatch
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


@dataclass(frozen=True, slots=True)
class PayoutFilter:
    """Which of a user's payouts a listing shows: those matching every condition given (None:
    any). The times are aware; created_gte is inclusive, created_lt exclusive."""

    status: PayoutStatus | None = None
    batch_id: str | None = None
    external_reference: str | None = None
    created_gte: datetime | None = None
    created_lt: datetime | None = None


class PayoutRepository(Protocol):
    """add(), add_all() and update() also hand the payout to the unit of work (`seen`), whose
    commit() writes the events the payout has emitted to the outbox, in the same transaction."""

    @property
    def seen(self) -> SavedPayouts: ...
    async def add(self, payout: Payout) -> None: ...
    async def add_all(self, payouts: Sequence[Payout]) -> None:
        """Many new payouts at once (a batch's items), as add() would one by one."""
        ...

    async def references_taken(self, user_id: int, references: Sequence[str]) -> set[str]:
        """Those of `references` the user's payouts already carry."""
        ...

    async def count_in_batch(self, batch_id: str) -> dict[PayoutStatus, int]: ...
    async def ids_in_batch(
        self, batch_id: str, statuses: Sequence[PayoutStatus], after_id: str, limit: int
    ) -> Sequence[str]:
        """The batch's payouts in one of `statuses`, by id, after `after_id` ("" for the first)."""
        ...

    async def get(self, payout_id: str) -> Payout | None: ...
    async def get_for_update(self, payout_id: str) -> Payout | None: ...
    async def update(self, payout: Payout) -> None: ...
    async def lock_all(self, payout_ids: Collection[str]) -> None:
        """Locks these payouts (those that exist) in one statement, in id order, for a group's
        step: each one's get_for_update in this transaction then answers without a statement."""
        ...

    def writing_together(self) -> AbstractAsyncContextManager[None]:
        """A block whose update()s are written together when it ends, in one statement; reads
        of this repository meanwhile answer as if each had been written at once."""
        ...

    async def reference_exists(self, user_id: int, external_reference: str) -> bool: ...
    async def list_for_user(
        self, user_id: int, filters: PayoutFilter, limit: int, after: PageCursor | None
    ) -> Sequence[Payout]:
        """The user's payouts matching `filters`, newest first (created_at, then id), after the
        cursor."""
        ...

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


@dataclass(frozen=True, slots=True)
class User:
    """Who holds accounts and API keys, as an operator registered them."""

    id: int
    name: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class AccountCredit:
    """Money an operator credited to an account, kept under its reference: the same credit
    asked for again is recognised by it and never paid twice."""

    account_id: int
    reference: str
    amount_minor: int
    created_at: datetime


class AccountRepository(Protocol):
    """user_accounts and their postings; also the users who hold them, and the operators'
    credits by reference (account_credits)."""

    async def get_for_update(self, user_id: int, currency: str) -> Account | None: ...
    async def get_all_for_update(
        self, keys: Collection[tuple[int, str]]
    ) -> dict[tuple[int, str], Account]:
        """The accounts of these (user_id, currency), locked in that order, in one statement;
        one that does not exist is left out."""
        ...

    async def list_for_user(self, user_id: int) -> Sequence[Account]: ...
    async def save_balances(self, account: Account, now: datetime) -> None: ...
    async def save_all_balances(self, accounts: Collection[Account], now: datetime) -> None:
        """save_balances of each, in one statement."""
        ...

    async def append_entry(self, entry: LedgerEntry, now: datetime) -> None: ...
    async def append_entries(self, entries: Sequence[LedgerEntry], now: datetime) -> None: ...
    async def find_user(self, user_id: int) -> User | None: ...
    async def add_user(self, user: User) -> None:
        """UniqueViolation when the id is taken (a concurrent twin committed it first)."""
        ...

    async def open(self, user_id: int, currency: str, now: datetime) -> Account:
        """A new account at zero. UniqueViolation when the user has one in the currency."""
        ...

    async def find_credit(self, account_id: int, reference: str) -> AccountCredit | None: ...
    async def append_credit(self, entry: LedgerEntry, reference: str, now: datetime) -> None:
        """The deposit's posting, as append_entry writes it, and its row in account_credits.
        UniqueViolation when the account already has a credit under the reference."""
        ...


class PayoutBatches(Protocol):
    """payout_batches (domain.payout_batch). add() and update() hand the batch to the unit of
    work (`seen`, by id), whose commit() writes its events."""

    @property
    def seen(self) -> dict[str, PayoutBatch]: ...
    async def add(self, batch: PayoutBatch) -> None: ...
    async def update(self, batch: PayoutBatch) -> None: ...
    async def get(self, batch_id: str) -> PayoutBatch | None: ...
    async def get_for_update(self, batch_id: str) -> PayoutBatch | None: ...
    async def list_for_user(
        self, user_id: int, limit: int, after: tuple[datetime, str] | None
    ) -> Sequence[PayoutBatch]:
        """Newest first, after `after`: the (created_at, id) of the previous page's last."""
        ...


class IdempotencyStore(Protocol):
    async def find(self, user_id: int, key: str) -> StoredResponse | None: ...
    async def delete(self, user_id: int, key: str) -> None: ...
    async def save(
        self, user_id: int, key: str, response: StoredResponse, payout_id: str, now: datetime
    ) -> None: ...
    async def save_all(
        self, keys: Sequence[tuple[int, str, StoredResponse, str]], now: datetime
    ) -> None:
        """save() of each (user_id, key, response, payout_id), in one statement."""
        ...


class Outbox(Protocol):
    async def add(self, event: DomainEvent, headers: dict[str, str], now: datetime) -> str:
        """The new row's message id."""
        ...

    async def add_all(
        self, dated: Sequence[tuple[DomainEvent, datetime, dict[str, str]]]
    ) -> list[str]:
        """Events with the moment and headers of each, in order, as add() would one by one:
        their ids."""
        ...

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


@dataclass(frozen=True, slots=True)
class ApiKeyRecord:
    """An API key as operators see it: its first characters (`prefix`), never the key."""

    id: int
    user_id: int
    prefix: str
    label: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class ApiKeyRepository(Protocol):
    async def user_for_key_hash(self, key_hash: str) -> int | None: ...
    async def list_for_user(self, user_id: int) -> Sequence[ApiKeyRecord]:
        """The user's keys, revoked ones too, oldest first."""
        ...

    async def with_prefix(self, prefix: str) -> Sequence[ApiKeyRecord]:
        """Every key whose prefix is exactly `prefix`, revoked ones too, oldest first."""
        ...

    async def revoke(self, key_id: int, now: datetime) -> bool:
        """False when the key was revoked already."""
        ...

    async def record_use(self, key_hash: str, now: datetime) -> None:
        """The key's last_used_at becomes `now`. Authentication calls it at most once a
        minute per key and process, not once per request."""
        ...


class ProcessedMessages(Protocol):
    """Message ids each consumer has applied; remembered in the same transaction as the effect."""

    async def already_processed(self, consumer: str, message_id: str) -> bool: ...
    async def remember(self, consumer: str, message_id: str, now: datetime) -> None:
        """UniqueViolation if the consumer has applied the message already: a concurrent
        delivery's effect is then rolled back with it."""
        ...

    async def remember_if_new(self, consumer: str, message_id: str, now: datetime) -> None:
        """Remembers the message unless the consumer has already; never fails on that."""
        ...

    async def processed_among(self, consumer: str, message_ids: Sequence[str]) -> set[str]: ...
    async def remember_all(
        self, consumer: str, message_ids: Sequence[str], now: datetime
    ) -> None: ...


class AuditLog(Protocol):
    """audit_logs: each event once; append_all skips one the log holds already (by message_id)."""

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
class WebhookResult:
    """What applying a stored webhook did: its row's result, payout and why it was not applied."""

    result: str
    payout_id: str | None
    detail: str | None


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
        self,
        webhook: ProviderWebhook,
        payload: str,
        payload_hash: str,
        now: datetime,
        applied: WebhookResult | None = None,
    ) -> int:
        """Stores the webhook, processed at `now` with its result when `applied`, else for the
        inbox to apply; returns the row's id. UniqueViolation if its event_id is stored."""
        ...

    async def mark_processed(
        self, inbox_id: int, applied: WebhookResult, now: datetime
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

    async def open_first(self, payout_ids: Sequence[str], now: datetime) -> None:
        """Opens attempt 1 of each payout, in one statement: the caller knows they have none yet
        (they were pending, under their row locks), so none is looked for."""
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


class TransactionConflict(Exception):
    """Raised by adapters when the database gave up on a transaction that waited for locks
    another held (a deadlock, a lock wait timeout): it is rolled back whole, nothing of it
    stays, and the same work may be tried again."""


@dataclass(frozen=True, slots=True)
class NewClientEvent:
    """A client event before the log numbers it."""

    type: str
    user_id: int
    payout_id: str | None
    payout_version: int | None
    data: dict[str, Any]
    event_id: str | None = None  # chosen beforehand when an outbox row names it; else the log's


class ClientEventLog(Protocol):
    """client_events: the public event log (domain.client_events), numbered per user."""

    async def append(self, new: Sequence[NewClientEvent], now: datetime) -> Sequence[ClientEvent]:
        """Numbers them next in their users' sequences, in order, and stores them. Takes the
        user's sequence counter's lock until the transaction ends: no gap, no duplicate."""
        ...

    async def append_heard(self, new: Sequence[NewClientEvent], now: datetime) -> set[int]:
        """As append, and then which of the events' users have an endpoint not disabled, as
        WebhookEndpoints.users_with_endpoints(locking=True) reads them, under the counters just
        taken: an endpoint registered, enabled or disabled before is seen, and one after starts
        after these events (event_routes.UNHEARD)."""
        ...

    async def page(
        self,
        user_id: int,
        after_sequence: int,
        limit: int,
        event_type: str | None = None,
        payout_id: str | None = None,
    ) -> Sequence[ClientEvent]:
        """The user's events after `after_sequence`, in sequence order, at most `limit`."""
        ...

    async def get(self, event_id: str) -> ClientEvent | None: ...
    async def of_payout(self, payout_id: str, up_to_version: int) -> Sequence[ClientEvent]:
        """The payout's events up to that version, oldest first."""
        ...

    async def last_sequence(self, user_id: int) -> int:
        """The user's last sequence as committed, taking the counter's lock (append's) until
        the transaction ends: no event of the user commits between this read and the end, so an
        endpoint registered with it as `after_sequence` misses none of the user's events."""
        ...

    async def purge(self, created_before: datetime, limit: int) -> int: ...


class WebhookEndpoints(Protocol):
    """webhook_endpoints: the users' endpoints (domain.client_events.WebhookEndpoint)."""

    async def add(self, endpoint: WebhookEndpoint) -> None: ...
    async def get(self, endpoint_id: str) -> WebhookEndpoint | None: ...
    async def get_for_update(self, endpoint_id: str) -> WebhookEndpoint | None: ...
    async def list_for_user(self, user_id: int) -> Sequence[WebhookEndpoint]: ...
    async def receiving(self, user_id: int, event_type: str) -> Sequence[WebhookEndpoint]:
        """The user's endpoints not disabled that subscribe to the type."""
        ...

    async def users_with_endpoints(
        self, user_ids: Collection[int], *, locking: bool = False
    ) -> set[int]:
        """Those of the users with an endpoint not disabled: the only ones whose client events
        may have somewhere to go. One query, whatever the number of users. `locking`: read as
        committed now (not as the transaction's snapshot saw it), under shared locks kept until
        the transaction ends, so none of these users' endpoints is added, enabled or disabled
        meanwhile (SQLite's single writer keeps them as they are anyway)."""
        ...

    async def update(self, endpoint: WebhookEndpoint) -> None: ...
    async def delete(self, endpoint_id: str) -> None: ...
    async def count_by_state(self) -> dict[str, int]: ...


@dataclass(frozen=True, slots=True)
class DeliveryClaim:
    """What claiming a chain's next delivery found: the delivery, now leased to the claimer;
    or `leased_until`, when another claimer's lease on it ends; or neither: nothing pending,
    or the next is not due yet (its wake-up is scheduled)."""

    delivery: Delivery | None = None
    leased_until: datetime | None = None


class WebhookDeliveries(Protocol):
    """webhook_deliveries and their attempts (domain.client_events.Delivery). The notify
    consumer's own needs are its adapter's business; these are what the API asks."""

    async def list_for_endpoint(
        self,
        endpoint_id: str,
        status: DeliveryStatus | None,
        limit: int,
        before_id: int | None,
    ) -> Sequence[Delivery]:
        """Newest first, with their attempts (attempt_log, oldest first)."""
        ...

    async def get(self, delivery_id: int) -> Delivery | None: ...
    async def retry(self, delivery_id: int, now: datetime) -> None:
        """Back to pending, due now, whatever it was (its attempts are kept)."""
        ...

    async def replay(self, endpoint_id: str, after_sequence: int, now: datetime) -> int:
        """Every event of the endpoint's user after `after_sequence` that the endpoint
        subscribes to is pending again, due now (a delivery created where there was none); the
        count of them."""
        ...

    # What the notify consumer needs (application.deliver_client_events).
    async def add_missing(
        self, endpoint_id: str, events: Sequence[ClientEvent], now: datetime
    ) -> int:
        """A pending delivery, due now, of each event the endpoint has none of, in its chain
        (domain.client_events.delivery_chain); how many. UniqueViolation when a concurrent
        transaction added one of them first."""
        ...

    async def due_chains(self, endpoint_id: str, now: datetime, limit: int) -> Sequence[str]:
        """The endpoint's chains whose next pending delivery (the lowest chain_position) is due
        and not leased, the longest due first."""
        ...

    async def claim_next(
        self, endpoint_id: str, chain: str, now: datetime, lease_until: datetime
    ) -> DeliveryClaim:
        """Leases the chain's next pending delivery until `lease_until` if it is due and no one
        holds it; atomic, so two claimers never both get it."""
        ...

    async def release(self, delivery_id: int) -> None:
        """Ends the lease of a delivery claimed and not sent."""
        ...

    async def record_attempt(
        self,
        delivery_id: int,
        attempt: DeliveryAttempt,
        status: DeliveryStatus,
        next_attempt_at: datetime,
    ) -> None:
        """Logs the attempt, counts it and ends the lease; moves the delivery to `status` (due
        at next_attempt_at when pending again) unless it is no longer pending (a replay, a
        retry, or a claimer whose lease outlived ours got there first)."""
        ...

    async def overdue_endpoints(self, due_before: datetime, limit: int) -> Sequence[str]:
        """Endpoints not disabled holding a pending delivery due before `due_before` and not
        leased: the wake-up that should have sent it was lost."""
        ...


class EndpointUrlPolicy(Protocol):
    """Where a client's webhook endpoint may point (SSRF rules of the settings)."""

    async def check_resolved(self, url: str) -> None:
        """Raises ValueError, its message saying why in words for the client, unless webhooks
        may go to `url`: its shape, and every address its host resolves to now."""
        ...


@dataclass(frozen=True, slots=True)
class WebhookAnswer:
    """How one POST to a client's endpoint went. `status_code` None: no answer (no connection,
    a timeout, or `refused_address`: the URL led to an address the policy forbids, and nothing
    was sent). `error`: an excerpt of what went wrong, None for a 2xx."""

    status_code: int | None
    seconds: float
    error: str | None = None
    refused_address: bool = False

    @property
    def delivered(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


class WebhookSender(Protocol):
    async def post(
        self,
        url: str,
        body: Mapping[str, Any],
        event_id: str,
        sequence: int | None,
        secrets: Sequence[str],
    ) -> WebhookAnswer:
        """POSTs the body as JSON, signed with every secret, named by its event id (and its
        sequence, for a logged event). Never raises for what the network or the endpoint does:
        the answer says it."""
        ...


class DeliveryWakeUps(Protocol):
    async def wake_at(self, endpoint_id: str, at: datetime) -> None:
        """Best effort and never raises: the notify consumer is asked, at `at`, to send the
        endpoint's due deliveries. A lost wake-up only delays them: reconciliation asks again
        for deliveries long overdue (WebhookDeliveries.overdue_endpoints)."""
        ...


class UnitOfWork(Protocol):
    """One database transaction: rolled back on leaving unless commit() was called.

    commit() first writes the new events of every payout and batch saved through `payouts` and
    `batches` (application.saved_events): to the outbox, with the headers the unit of work was
    opened with, and the client-visible ones to the client event log too; a batch item's end
    moves its batch there as well. A use case saves its aggregate and never writes the
    aggregate's events itself."""

    @property
    def payouts(self) -> PayoutRepository: ...
    @property
    def accounts(self) -> AccountRepository: ...
    @property
    def batches(self) -> PayoutBatches: ...
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
    @property
    def client_events(self) -> ClientEventLog: ...
    @property
    def webhook_endpoints(self) -> WebhookEndpoints: ...
    @property
    def webhook_deliveries(self) -> WebhookDeliveries: ...

    async def __aenter__(self) -> UnitOfWork: ...
    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...
    async def commit(self) -> None: ...


class UnitOfWorkFactory(Protocol):
    def __call__(
        self,
        headers: Mapping[str, str] | None = None,
        headers_of: Mapping[str, Mapping[str, str]] | None = None,
    ) -> UnitOfWork:
        """`headers`: the request's or message's tracing headers (request_id...), carried by the
        events this unit of work writes. `headers_of`: by aggregate id, the headers its events
        carry instead (requests sharing one transaction, each with its own request_id); read when it
        commits, so it may be filled as the work learns which aggregates it touches."""
        ...

    def reading(self) -> AbstractAsyncContextManager[UnitOfWork]:
        """The repositories outside any transaction, for one read that needs none (a single
        statement sees what was committed before it): no BEGIN and ROLLBACK around it. Nothing
        done through it can be committed."""
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
    failure_code (None for "succeeded"); the unit of work that settles the payout's hold counts
    it once committed (ledger_settlement.report), so a use case that ends a payout does not
    count it again. payout_returned is counted the same way, when the return is posted.
    provider_request's result is "accepted", "rejected", "temporary_error" or "timeout" (an
    unknown answer other than a timeout counts as "temporary_error");
    webhook_processed's result is, at the endpoint, "rejected" (bad signature), "duplicate" or
    "payload_conflict" (an event_id reused with another payload); once applied, the outcome of
    domain.provider_report.ReportOutcome ("applied", "stale", "unchanged", "conflict",
    "payout_not_found").
    outgoing_webhook_delivery counts each attempt to deliver a client event: "delivered" (a
    2xx), "retry" (none, tried again later), "failed" (none, and the delivery is given up),
    "refused_address" (nothing sent: the URL led to a forbidden address; tried again like a
    failure); `seconds`, the POST's duration, None when no request was made.
    """

    def payout_create_requested(self) -> None: ...
    def payout_created(self) -> None: ...
    def payout_finished(self, outcome: str, failure_code: str | None) -> None: ...
    def payout_returned(self, failure_code: str) -> None: ...
    def account_debited(self) -> None: ...
    def provider_request(self, result: str, seconds: float) -> None: ...
    def webhook_ingested(self) -> None: ...
    def webhook_processed(self, result: str) -> None: ...
    def outgoing_webhook_delivery(self, result: str, seconds: float | None) -> None: ...
