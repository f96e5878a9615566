"""In-memory adapters for the ports in payout_service.application.ports.

A FakeDatabase holds committed state. Each FakeUnitOfWork works on a private copy of it and
publishes the copy only on commit(), so a use case that fails half-way leaves nothing behind,
exactly as a rolled-back transaction would. Unique constraints raise UniqueViolation both on
insert (against what the transaction sees) and on commit (against what others committed since).
Row ids come from the database, as auto-increment ids do: a rolled-back insert uses one up.
"""

from __future__ import annotations

import copy
import dataclasses
import itertools
from collections import deque
from collections.abc import (
    AsyncIterator,
    Awaitable,
    Callable,
    Collection,
    Hashable,
    Mapping,
    Sequence,
)
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from types import TracebackType
from typing import Any

from payout_service.application import ledger_settlement
from payout_service.application.event_routes import booked, is_published, unheard
from payout_service.application.messages import Envelope
from payout_service.application.metrics import NO_METRICS
from payout_service.application.ports import (
    RECEIVED,
    AccountCredit,
    AccountLine,
    ApiKeyRecord,
    AuditRun,
    DeliveryClaim,
    InboxEvent,
    Metrics,
    NewClientEvent,
    PageCursor,
    PayoutFilter,
    PayoutInstruction,
    ProviderAcceptance,
    ProviderError,
    ProviderPayoutState,
    ProviderWebhook,
    SendAttemptOutcome,
    StoredResponse,
    UniqueViolation,
    User,
    WebhookAnswer,
    WebhookResult,
)
from payout_service.application.saved_events import write_saved_events
from payout_service.application.saved_payouts import SavedPayouts
from payout_service.application.write_events import audit_entry
from payout_service.domain.accounts import Account, EntryKind, LedgerEntry, LedgerLine
from payout_service.domain.client_events import (
    ClientEvent,
    Delivery,
    DeliveryAttempt,
    DeliveryStatus,
    EndpointState,
    WebhookEndpoint,
    delivery_chain,
    new_event_id,
)
from payout_service.domain.events import DomainEvent
from payout_service.domain.failure_codes import Failure, FailureCode
from payout_service.domain.money import Money, currency
from payout_service.domain.payout import Payout, PayoutStatus
from payout_service.domain.payout_batch import PayoutBatch
from payout_service.domain.provider_report import ReportOutcome
from payout_service.domain.send_attempts import SendAttemptResult


@dataclass
class StoredKey:
    response: StoredResponse
    payout_id: str


@dataclass
class OutboxRow:
    event: DomainEvent
    headers: dict[str, str]
    message_id: str
    created_at: datetime

    def envelope(self) -> Envelope:
        """The row as its consumers receive it once published."""
        return Envelope(
            message_id=self.message_id,
            event=self.event.name,
            aggregate_type=self.event.aggregate_type,
            aggregate_id=self.event.aggregate_id,
            payload=copy.deepcopy(self.event.payload),
            headers=dict(self.headers),
            occurred_at=self.created_at,
        )


@dataclass
class LedgerRow:
    """One line of a posting; account_id None is the clearing account."""

    id: int
    line: LedgerLine
    created_at: datetime


@dataclass
class StoredWebhook:
    """A provider_webhook_events row."""

    id: int
    webhook: ProviderWebhook
    payload: str
    payload_hash: str
    received_at: datetime
    processed_at: datetime | None = None
    result: str = RECEIVED
    payout_id: str | None = None
    detail: str | None = None


@dataclass
class WebhookConflict:
    event_id: str
    payload: str
    payload_hash: str
    received_at: datetime


@dataclass
class SendAttempt:
    """A payout_send_attempts row."""

    number: int
    result: SendAttemptResult
    started_at: datetime
    finished_at: datetime | None = None
    http_status: int | None = None
    error_type: str | None = None
    error_message: str | None = None
    provider_payout_id: str | None = None


@dataclass
class DeliveryRow:
    """A webhook_deliveries row, with its attempts (webhook_delivery_attempts) in order."""

    id: int
    endpoint_id: str
    event_id: str
    sequence: int
    chain: str
    chain_position: int
    status: DeliveryStatus
    next_attempt_at: datetime
    created_at: datetime
    attempts: list[DeliveryAttempt] = field(default_factory=list)
    leased_until: datetime | None = None
    last_status_code: int | None = None
    last_error: str | None = None
    finished_at: datetime | None = None

    def delivery(self) -> Delivery:
        return Delivery(
            self.id,
            self.endpoint_id,
            self.event_id,
            self.sequence,
            self.chain,
            self.chain_position,
            self.status,
            len(self.attempts),
            self.next_attempt_at,
            self.created_at,
            self.last_status_code,
            self.last_error,
            self.finished_at,
            tuple(self.attempts),
        )

    def leased(self, now: datetime) -> bool:
        return self.leased_until is not None and self.leased_until > now


@dataclass
class State:
    payouts: dict[str, Payout] = field(default_factory=dict)
    accounts: dict[tuple[int, str], Account] = field(default_factory=dict)
    ledger: list[LedgerEntry] = field(default_factory=list)
    ledger_lines: list[LedgerRow] = field(default_factory=list)
    idempotency: dict[tuple[int, str], StoredKey] = field(default_factory=dict)
    outbox: list[OutboxRow] = field(default_factory=list)
    api_keys: dict[str, ApiKeyRecord] = field(default_factory=dict)  # by the key's hash
    users: dict[int, User] = field(default_factory=dict)
    account_credits: dict[tuple[int, str], AccountCredit] = field(default_factory=dict)
    processed: set[tuple[str, str]] = field(default_factory=set)
    # every event written, once, in write order (application.write_events)
    audit: list[Envelope] = field(default_factory=list)
    webhooks: dict[int, StoredWebhook] = field(default_factory=dict)
    webhook_conflicts: list[WebhookConflict] = field(default_factory=list)
    send_attempts: dict[str, list[SendAttempt]] = field(default_factory=dict)
    provider_audits: list[AuditRun] = field(default_factory=list)
    client_events: list[ClientEvent] = field(default_factory=list)
    event_sequences: dict[int, int] = field(default_factory=dict)
    webhook_endpoints: dict[str, WebhookEndpoint] = field(default_factory=dict)
    webhook_deliveries: dict[int, DeliveryRow] = field(default_factory=dict)
    batches: dict[str, PayoutBatch] = field(default_factory=dict)

    def references(self) -> set[tuple[int, str]]:
        return {(p.user_id, p.external_reference) for p in self.payouts.values()}

    def provider_payout_ids(self) -> set[str]:
        return {p.provider_payout_id for p in self.payouts.values() if p.provider_payout_id}

    def webhook_event_ids(self) -> set[str]:
        return {w.webhook.event_id for w in self.webhooks.values()}

    def conflict_keys(self) -> set[tuple[str, str]]:
        return {(c.event_id, c.payload_hash) for c in self.webhook_conflicts}

    def attempt_keys(self) -> set[tuple[str, int]]:
        return {(p, a.number) for p, attempts in self.send_attempts.items() for a in attempts}

    def events_of(self, aggregate_id: str) -> list[str]:
        """The names of the aggregate's events, published or audit-only, in write order."""
        return [e.event for e in self.audit if e.aggregate_id == aggregate_id]


# The unique constraints a commit checks against what others committed since it began.
UNIQUE_KEYS: dict[str, Callable[[State], set[Hashable]]] = {
    "idempotency key": lambda s: set(s.idempotency),
    "external_reference": lambda s: set(s.references()),
    "provider_payout_id": lambda s: set(s.provider_payout_ids()),
    # the user's counter row lock, as a conflict: two transactions never take one sequence
    "client event sequence": lambda s: {(e.user_id, e.sequence) for e in s.client_events},
    "processed message": lambda s: set(s.processed),
    "webhook event_id": lambda s: set(s.webhook_event_ids()),
    "webhook conflict": lambda s: set(s.conflict_keys()),
    "send attempt": lambda s: set(s.attempt_keys()),
    "webhook delivery": lambda s: {
        (r.endpoint_id, r.event_id) for r in s.webhook_deliveries.values()
    },
    "user id": lambda s: set(s.users),
    "account": lambda s: set(s.accounts),
    "account credit": lambda s: set(s.account_credits),
}


class FakeDatabase:
    """Committed state, plus an optional hook run once just before the next commit."""

    def __init__(self) -> None:
        self.committed = State()
        self.before_next_commit: Callable[[], Awaitable[None]] | None = None
        # raised by every payout lookup for update while set: a lock wait timeout, a deadlock
        self.fail_payout_lookups: Exception | None = None
        # every lookup of users' endpoints (FakeWebhookEndpoints), for tests that count them
        self.endpoint_queries: list[tuple[str, tuple[int, ...]]] = []
        # the locks MySQL would take on users' event counters and endpoints, in order, for tests
        # of the order transactions take them in
        self.locks: list[tuple[str, object]] = []
        self._sequences: dict[str, itertools.count[int]] = {}

    def next_id(self, table: str) -> int:
        return next(self._sequences.setdefault(table, itertools.count(1)))

    def add_user(self, user_id: int, name: str) -> User:
        user = User(user_id, name, START)
        self.committed.users[user_id] = user
        return user

    def add_api_key(
        self, user_id: int, key_hash: str, prefix: str, label: str = ""
    ) -> ApiKeyRecord:
        key = ApiKeyRecord(self.next_id("api_keys"), user_id, prefix, label, START, None, None)
        self.committed.api_keys[key_hash] = key
        return key

    def open_account(self, user_id: int, currency: str, balance_minor: int) -> Account:
        account = Account(self.next_id("user_accounts"), user_id, currency, balance_minor, 0)
        self.committed.accounts[(user_id, currency)] = account
        return account

    def add_endpoint(self, user_id: int, endpoint_id: str = "we_listening") -> WebhookEndpoint:
        """An enabled endpoint of the user for every event type: the user's client-visible
        events go to the notify consumer from now on (event_routes.UNHEARD)."""
        endpoint = WebhookEndpoint(
            id=endpoint_id,
            user_id=user_id,
            url=f"https://client.example/{endpoint_id}",
            event_types=("*",),
            description="",
            secret=f"whsec_{endpoint_id}",
            created_at=START,
            updated_at=START,
        )
        self.committed.webhook_endpoints[endpoint.id] = endpoint
        return endpoint

    def add_payout(self, payout: Payout, headers: Mapping[str, str] | None = None) -> None:
        """Stores the payout and writes its pending events, as a committed unit of work would
        (application.write_events), though it posts nothing to the ledger."""
        self.committed.payouts[payout.id] = _stored(payout)
        listening = any(
            e.user_id == payout.user_id and e.state is not EndpointState.DISABLED
            for e in self.committed.webhook_endpoints.values()
        )
        for event in payout.events:
            message_id, moment = self.new_message_id(), payout.updated_at
            heard = listening or event.snapshot is None
            if is_published(event.name, heard):
                marked = booked(headers or {})
                self.committed.outbox.append(
                    OutboxRow(event, marked if heard else unheard(marked), message_id, moment)
                )
            self.committed.audit.append(audit_entry(message_id, event, moment, headers or {}))
        payout.events.clear()

    def add_send_attempts(
        self, payout_id: str, results: Sequence[SendAttemptResult], now: datetime
    ) -> None:
        attempts = self.committed.send_attempts.setdefault(payout_id, [])
        for result in results:
            attempts.append(SendAttempt(len(attempts) + 1, result, now))

    def new_message_id(self) -> str:
        return f"msg-{self.next_id('outbox_messages')}"


class FakePayoutRepository:
    """`seen`: the payouts added or updated through it, whose events the commit writes."""

    def __init__(self, state: State, failure: Exception | None = None) -> None:
        self._state = state
        self._failure = failure
        self.seen = SavedPayouts()

    async def add(self, payout: Payout) -> None:
        self.seen.remember(payout)
        if payout.id in self._state.payouts:
            raise UniqueViolation(f"payout {payout.id} exists")
        if (payout.user_id, payout.external_reference) in self._state.references():
            raise UniqueViolation(f"external_reference {payout.external_reference} is used")
        self._refuse_taken_provider_payout_id(payout)
        self._state.payouts[payout.id] = _stored(payout)

    async def get(self, payout_id: str) -> Payout | None:
        return copy.deepcopy(self._state.payouts.get(payout_id))

    async def get_for_update(self, payout_id: str) -> Payout | None:
        if self._failure is not None:
            raise self._failure
        return await self.get(payout_id)

    async def update(self, payout: Payout) -> None:
        self.seen.remember(payout)
        if payout.id not in self._state.payouts:
            return  # an UPDATE of no row changes nothing
        self._refuse_taken_provider_payout_id(payout)
        self._state.payouts[payout.id] = _stored(payout)

    async def lock_all(self, payout_ids: Collection[str]) -> None:
        if self._failure is not None:
            raise self._failure

    @asynccontextmanager
    async def writing_together(self) -> AsyncIterator[None]:
        yield  # each update() is stored at once: what the SQL one's reads answer meanwhile

    async def reference_exists(self, user_id: int, external_reference: str) -> bool:
        return (user_id, external_reference) in self._state.references()

    async def add_all(self, payouts: Sequence[Payout]) -> None:
        for payout in payouts:
            await self.add(payout)

    async def references_taken(self, user_id: int, references: Sequence[str]) -> set[str]:
        return {r for u, r in self._state.references() if u == user_id} & set(references)

    async def count_in_batch(self, batch_id: str) -> dict[PayoutStatus, int]:
        counts: dict[PayoutStatus, int] = {}
        for p in self._state.payouts.values():
            if p.batch_id == batch_id:
                counts[p.status] = counts.get(p.status, 0) + 1
        return counts

    async def ids_in_batch(
        self, batch_id: str, statuses: Sequence[PayoutStatus], after_id: str, limit: int
    ) -> Sequence[str]:
        ids = sorted(
            p.id
            for p in self._state.payouts.values()
            if p.batch_id == batch_id and p.status in statuses and p.id > after_id
        )
        return ids[:limit]

    async def list_for_user(
        self, user_id: int, filters: PayoutFilter, limit: int, after: PageCursor | None
    ) -> Sequence[Payout]:
        f = filters
        mine = [
            p
            for p in self._state.payouts.values()
            if p.user_id == user_id
            and (f.status is None or p.status is f.status)
            and (f.batch_id is None or p.batch_id == f.batch_id)
            and (f.external_reference is None or p.external_reference == f.external_reference)
            and (f.created_gte is None or p.created_at >= f.created_gte)
            and (f.created_lt is None or p.created_at < f.created_lt)
        ]
        mine.sort(key=lambda p: (p.created_at, p.id), reverse=True)
        if after is not None:
            mine = [p for p in mine if (p.created_at, p.id) < (after.created_at, after.payout_id)]
        return copy.deepcopy(mine[:limit])

    async def id_for_provider_payout_id(self, provider_payout_id: str) -> str | None:
        for payout in self._state.payouts.values():
            if payout.provider_payout_id == provider_payout_id:
                return payout.id
        return None

    async def stalled_sends(self, updated_before: datetime, limit: int) -> Sequence[Payout]:
        stalled = [
            p
            for p in self._state.payouts.values()
            if p.awaits_sending and not p.needs_review and p.updated_at < updated_before
        ]
        stalled.sort(key=lambda p: p.updated_at)
        return copy.deepcopy(stalled[:limit])

    async def needing_review(self, limit: int) -> Sequence[Payout]:
        flagged = [p for p in self._state.payouts.values() if p.needs_review]
        flagged.sort(key=lambda p: (p.review_since or p.updated_at, p.id))
        return copy.deepcopy(flagged[:limit])

    async def unsent_needing_review(self, limit: int) -> Sequence[Payout]:
        flagged = await self.needing_review(len(self._state.payouts))
        unsent = [p for p in flagged if p.provider_payout_id is None and not p.status.is_final]
        return unsent[:limit]

    async def created_since(
        self, since: datetime, after: PageCursor | None, limit: int
    ) -> Sequence[Payout]:
        found = sorted(
            (p for p in self._state.payouts.values() if p.created_at >= since),
            key=lambda p: (p.created_at, p.id),
        )
        if after is not None:
            found = [p for p in found if (p.created_at, p.id) > (after.created_at, after.payout_id)]
        return copy.deepcopy(found[:limit])

    async def succeeded_since(
        self, since: datetime, after: tuple[datetime, str] | None, limit: int
    ) -> Sequence[Payout]:
        def position(p: Payout) -> tuple[datetime, str]:
            assert p.completed_at is not None
            return (p.completed_at, p.id)

        found = sorted(
            (
                p
                for p in self._state.payouts.values()
                if p.status is PayoutStatus.SUCCESS
                and p.provider_payout_id is not None
                and position(p)[0] >= since
            ),
            key=position,
        )
        if after is not None:
            found = [p for p in found if position(p) > after]
        return copy.deepcopy(found[:limit])

    async def awaiting_provider_outcome(
        self, updated_before: datetime, limit: int
    ) -> Sequence[Payout]:
        quiet = [
            p
            for p in self._state.payouts.values()
            if p.status is PayoutStatus.PROCESSING
            and p.provider_payout_id is not None
            and p.updated_at < updated_before
        ]
        quiet.sort(key=lambda p: p.updated_at)
        return copy.deepcopy(quiet[:limit])

    def _refuse_taken_provider_payout_id(self, payout: Payout) -> None:
        if payout.provider_payout_id is None:
            return
        for other in self._state.payouts.values():
            if other.id != payout.id and other.provider_payout_id == payout.provider_payout_id:
                raise UniqueViolation(f"provider_payout_id {payout.provider_payout_id} is used")


def _stored(payout: Payout) -> Payout:
    """A row keeps the payout's state, not its events: a payout read back has none pending."""
    return dataclasses.replace(copy.deepcopy(payout), events=[])


class FakeAccountRepository:
    def __init__(self, state: State, next_id: Callable[[str], int]) -> None:
        self._state = state
        self._next_id = next_id

    async def get_for_update(self, user_id: int, currency: str) -> Account | None:
        return copy.deepcopy(self._state.accounts.get((user_id, currency)))

    async def get_all_for_update(
        self, keys: Collection[tuple[int, str]]
    ) -> dict[tuple[int, str], Account]:
        return {
            key: copy.deepcopy(self._state.accounts[key])
            for key in sorted(keys)
            if key in self._state.accounts
        }

    async def list_for_user(self, user_id: int) -> Sequence[Account]:
        mine = [a for (owner, _), a in self._state.accounts.items() if owner == user_id]
        return copy.deepcopy(sorted(mine, key=lambda a: a.currency))

    async def save_balances(self, account: Account, now: datetime) -> None:
        self._state.accounts[(account.user_id, account.currency)] = copy.deepcopy(account)

    async def save_all_balances(self, accounts: Collection[Account], now: datetime) -> None:
        for account in accounts:
            await self.save_balances(account, now)

    async def append_entry(self, entry: LedgerEntry, now: datetime) -> None:
        self._state.ledger.append(entry)
        for line in entry.lines():
            self._state.ledger_lines.append(
                LedgerRow(self._next_id("account_ledger_entries"), line, now)
            )

    async def append_entries(self, entries: Sequence[LedgerEntry], now: datetime) -> None:
        for entry in entries:
            await self.append_entry(entry, now)

    async def find_user(self, user_id: int) -> User | None:
        return self._state.users.get(user_id)

    async def add_user(self, user: User) -> None:
        if user.id in self._state.users:
            raise UniqueViolation(f"user {user.id} exists")
        self._state.users[user.id] = user

    async def open(self, user_id: int, currency: str, now: datetime) -> Account:
        if (user_id, currency) in self._state.accounts:
            raise UniqueViolation(f"user {user_id} has a {currency} account")
        account = Account(self._next_id("user_accounts"), user_id, currency, 0, 0)
        self._state.accounts[(user_id, currency)] = account
        return copy.deepcopy(account)

    async def find_credit(self, account_id: int, reference: str) -> AccountCredit | None:
        return self._state.account_credits.get((account_id, reference))

    async def append_credit(self, entry: LedgerEntry, reference: str, now: datetime) -> None:
        if (entry.account_id, reference) in self._state.account_credits:
            raise UniqueViolation(f"account {entry.account_id} has a credit {reference}")
        self._state.account_credits[(entry.account_id, reference)] = AccountCredit(
            entry.account_id, reference, entry.amount_minor, now
        )
        await self.append_entry(entry, now)


class FakePayoutBatches:
    """`seen`: the batches added or updated through it, whose events the commit writes."""

    def __init__(self, state: State) -> None:
        self._state = state
        self.seen: dict[str, PayoutBatch] = {}

    async def add(self, batch: PayoutBatch) -> None:
        self.seen[batch.id] = batch
        if batch.id in self._state.batches:
            raise UniqueViolation(f"batch {batch.id} exists")
        self._state.batches[batch.id] = dataclasses.replace(copy.deepcopy(batch), events=[])

    async def update(self, batch: PayoutBatch) -> None:
        self.seen[batch.id] = batch
        self._state.batches[batch.id] = dataclasses.replace(copy.deepcopy(batch), events=[])

    async def get(self, batch_id: str) -> PayoutBatch | None:
        return copy.deepcopy(self._state.batches.get(batch_id))

    async def get_for_update(self, batch_id: str) -> PayoutBatch | None:
        return await self.get(batch_id)

    async def list_for_user(
        self, user_id: int, limit: int, after: tuple[datetime, str] | None
    ) -> Sequence[PayoutBatch]:
        mine = [b for b in self._state.batches.values() if b.user_id == user_id]
        mine.sort(key=lambda b: (b.created_at, b.id), reverse=True)
        if after is not None:
            mine = [b for b in mine if (b.created_at, b.id) < after]
        return copy.deepcopy(mine[:limit])


class FakeIdempotencyStore:
    def __init__(self, state: State) -> None:
        self._state = state

    async def find(self, user_id: int, key: str) -> StoredResponse | None:
        stored = self._state.idempotency.get((user_id, key))
        return stored.response if stored else None

    async def delete(self, user_id: int, key: str) -> None:
        self._state.idempotency.pop((user_id, key), None)

    async def save(
        self, user_id: int, key: str, response: StoredResponse, payout_id: str, now: datetime
    ) -> None:
        if (user_id, key) in self._state.idempotency:
            raise UniqueViolation(f"idempotency key {key!r} exists")
        self._state.idempotency[(user_id, key)] = StoredKey(response, payout_id)

    async def save_all(
        self, keys: Sequence[tuple[int, str, StoredResponse, str]], now: datetime
    ) -> None:
        for user_id, key, response, payout_id in keys:
            await self.save(user_id, key, response, payout_id, now)


class FakeOutbox:
    def __init__(self, state: State, new_message_id: Callable[[], str]) -> None:
        self._state = state
        self._new_message_id = new_message_id

    async def add(self, event: DomainEvent, headers: dict[str, str], now: datetime) -> str:
        message_id = self._new_message_id()
        self._state.outbox.append(OutboxRow(copy.deepcopy(event), dict(headers), message_id, now))
        return message_id

    async def add_all(
        self, dated: Sequence[tuple[DomainEvent, datetime, dict[str, str]]]
    ) -> list[str]:
        return [await self.add(event, headers, now) for event, now, headers in dated]

    async def message_id_of(self, aggregate_id: str, event_name: str) -> str | None:
        for row in self._state.outbox:
            if row.event.aggregate_id == aggregate_id and row.event.name == event_name:
                return row.message_id
        return None


class FakeApiKeyRepository:
    def __init__(self, state: State) -> None:
        self._state = state

    async def user_for_key_hash(self, key_hash: str) -> int | None:
        key = self._state.api_keys.get(key_hash)
        return key.user_id if key is not None and key.revoked_at is None else None

    async def list_for_user(self, user_id: int) -> Sequence[ApiKeyRecord]:
        return sorted((k for k in self._state.api_keys.values() if k.user_id == user_id), key=_id)

    async def with_prefix(self, prefix: str) -> Sequence[ApiKeyRecord]:
        return sorted((k for k in self._state.api_keys.values() if k.prefix == prefix), key=_id)

    async def revoke(self, key_id: int, now: datetime) -> bool:
        for key_hash, key in self._state.api_keys.items():
            if key.id == key_id and key.revoked_at is None:
                self._state.api_keys[key_hash] = dataclasses.replace(key, revoked_at=now)
                return True
        return False

    async def record_use(self, key_hash: str, now: datetime) -> None:
        key = self._state.api_keys.get(key_hash)
        if key is not None:
            self._state.api_keys[key_hash] = dataclasses.replace(key, last_used_at=now)


def _id(key: ApiKeyRecord) -> int:
    return key.id


class FakeProcessedMessages:
    def __init__(self, state: State) -> None:
        self._state = state

    async def already_processed(self, consumer: str, message_id: str) -> bool:
        return (consumer, message_id) in self._state.processed

    async def remember(self, consumer: str, message_id: str, now: datetime) -> None:
        if (consumer, message_id) in self._state.processed:
            raise UniqueViolation(f"{consumer} already processed {message_id}")
        self._state.processed.add((consumer, message_id))

    async def remember_if_new(self, consumer: str, message_id: str, now: datetime) -> None:
        self._state.processed.add((consumer, message_id))

    async def processed_among(self, consumer: str, message_ids: Sequence[str]) -> set[str]:
        return {m for m in message_ids if (consumer, m) in self._state.processed}

    async def remember_all(self, consumer: str, message_ids: Sequence[str], now: datetime) -> None:
        for message_id in message_ids:
            await self.remember(consumer, message_id, now)


class FakeAuditLog:
    def __init__(self, state: State) -> None:
        self._state = state

    async def append_all(self, envelopes: Sequence[Envelope], now: datetime) -> None:
        audited = {e.message_id for e in self._state.audit}
        fresh = [e for e in envelopes if e.message_id not in audited]
        self._state.audit.extend(fresh)


class FakeLedgerHistory:
    def __init__(self, state: State) -> None:
        self._state = state

    async def has_settled(self, payout_id: str) -> bool:
        return any(
            e.payout_id == payout_id and e.kind in {EntryKind.DEBIT, EntryKind.RELEASE}
            for e in self._state.ledger
        )

    async def has_returned(self, payout_id: str) -> bool:
        return any(
            e.payout_id == payout_id and e.kind is EntryKind.RETURN for e in self._state.ledger
        )

    async def lines_of(
        self, account_id: int, limit: int, before_id: int | None
    ) -> Sequence[AccountLine]:
        """The account's lines, newest first, older than `before_id` when given."""
        rows = [
            r
            for r in self._state.ledger_lines
            if r.line.account_id == account_id and (before_id is None or r.id < before_id)
        ]
        rows.sort(key=lambda r: r.id, reverse=True)
        return [
            AccountLine(
                r.id,
                r.line.direction,
                r.line.kind,
                r.line.amount_minor,
                r.line.payout_id,
                r.created_at,
            )
            for r in rows[:limit]
        ]


def _processed(row: StoredWebhook, applied: WebhookResult, now: datetime) -> None:
    row.processed_at, row.result = now, applied.result
    row.payout_id, row.detail = applied.payout_id, applied.detail


class FakeWebhookInbox:
    """provider_webhook_events, event_id unique, and its conflicts, (event_id, hash) unique."""

    def __init__(self, state: State, next_id: Callable[[str], int]) -> None:
        self._state = state
        self._next_id = next_id

    async def find(self, event_id: str) -> InboxEvent | None:
        for row in self._state.webhooks.values():
            if row.webhook.event_id == event_id:
                return _inbox_event(row)
        return None

    async def get_for_update(self, inbox_id: int) -> InboxEvent | None:
        row = self._state.webhooks.get(inbox_id)
        return _inbox_event(row) if row else None

    async def add(
        self,
        webhook: ProviderWebhook,
        payload: str,
        payload_hash: str,
        now: datetime,
        applied: WebhookResult | None = None,
    ) -> int:
        if webhook.event_id in self._state.webhook_event_ids():
            raise UniqueViolation(f"webhook event_id {webhook.event_id} exists")
        inbox_id = self._next_id("provider_webhook_events")
        self._state.webhooks[inbox_id] = row = StoredWebhook(
            inbox_id, webhook, payload, payload_hash, now
        )
        if applied is not None:
            _processed(row, applied, now)
        return inbox_id

    async def mark_processed(self, inbox_id: int, applied: WebhookResult, now: datetime) -> None:
        row = self._state.webhooks.get(inbox_id)
        if row is not None:  # an UPDATE of no row changes nothing
            _processed(row, applied, now)

    async def ids_to_process(self, limit: int, retry_not_found: bool) -> Sequence[int]:
        open_ids = [
            row.id
            for row in self._state.webhooks.values()
            if row.processed_at is None
            or (retry_not_found and row.result == ReportOutcome.PAYOUT_NOT_FOUND)
        ]
        return sorted(open_ids)[:limit]

    async def add_conflict(
        self, event_id: str, payload: str, payload_hash: str, now: datetime
    ) -> None:
        if (event_id, payload_hash) in self._state.conflict_keys():
            raise UniqueViolation(f"conflict {payload_hash} of {event_id} exists")
        self._state.webhook_conflicts.append(WebhookConflict(event_id, payload, payload_hash, now))


def _inbox_event(row: StoredWebhook) -> InboxEvent:
    return InboxEvent(
        row.id, row.webhook, row.payload_hash, row.received_at, row.processed_at, row.result
    )


class FakeSendAttemptLog:
    def __init__(self, state: State) -> None:
        self._state = state

    async def open(self, payout_id: str, now: datetime) -> int:
        attempts = self._state.send_attempts.setdefault(payout_id, [])
        last = attempts[-1] if attempts else None
        if last is not None and last.result is SendAttemptResult.SENDING:
            last.result = SendAttemptResult.UNKNOWN
        number = last.number + 1 if last else 1
        attempts.append(SendAttempt(number, SendAttemptResult.SENDING, now))
        return number

    async def open_first(self, payout_ids: Sequence[str], now: datetime) -> None:
        for payout_id in payout_ids:
            attempts = self._state.send_attempts.setdefault(payout_id, [])
            # The SQL one does not look: a caller wrong about "first" would reuse attempt 1.
            assert not attempts, f"payout {payout_id} has attempts already"
            attempts.append(SendAttempt(1, SendAttemptResult.SENDING, now))

    async def close(
        self, payout_id: str, attempt: int, outcome: SendAttemptOutcome, now: datetime
    ) -> None:
        for row in self._state.send_attempts.get(payout_id, []):
            if row.number == attempt:
                row.result = outcome.result
                row.http_status = outcome.http_status
                row.error_type = outcome.error_type
                row.error_message = outcome.error_message[:2000] if outcome.error_message else None
                row.provider_payout_id = outcome.provider_payout_id
                row.finished_at = now

    async def results(self, payout_id: str) -> Sequence[SendAttemptResult]:
        attempts = sorted(self._state.send_attempts.get(payout_id, []), key=lambda a: a.number)
        return [a.result for a in attempts]

    async def last_outcome(self, payout_id: str) -> SendAttemptOutcome | None:
        attempts = sorted(self._state.send_attempts.get(payout_id, []), key=lambda a: a.number)
        if not attempts:
            return None
        a = attempts[-1]
        return SendAttemptOutcome(
            a.result, a.http_status, a.error_type, a.error_message, a.provider_payout_id
        )


class FakeProviderAudits:
    def __init__(self, state: State) -> None:
        self._state = state

    async def record(self, run: AuditRun) -> None:
        self._state.provider_audits.append(run)

    async def latest(self) -> AuditRun | None:
        return self._state.provider_audits[-1] if self._state.provider_audits else None


class FakeClientEventLog:
    def __init__(
        self, state: State, locks: list[tuple[str, object]], endpoints: FakeWebhookEndpoints
    ) -> None:
        self._state = state
        self._locks = locks
        self._endpoints = endpoints

    async def append_heard(self, new: Sequence[NewClientEvent], now: datetime) -> set[int]:
        await self.append(new, now)
        return await self._endpoints.users_with_endpoints({n.user_id for n in new}, locking=True)

    async def append(self, new: Sequence[NewClientEvent], now: datetime) -> Sequence[ClientEvent]:
        self._locks += [("counter", user) for user in sorted({n.user_id for n in new})]
        numbered = []
        for n in new:
            sequence = self._state.event_sequences.get(n.user_id, 0) + 1
            self._state.event_sequences[n.user_id] = sequence
            numbered.append(
                ClientEvent(
                    n.event_id or new_event_id(),
                    n.type,
                    n.user_id,
                    sequence,
                    n.payout_id,
                    n.payout_version,
                    now,
                    n.data,
                )
            )
        self._state.client_events.extend(numbered)
        return numbered

    async def page(
        self,
        user_id: int,
        after_sequence: int,
        limit: int,
        event_type: str | None = None,
        payout_id: str | None = None,
    ) -> Sequence[ClientEvent]:
        found = [
            e
            for e in sorted(self._state.client_events, key=lambda e: e.sequence)
            if e.user_id == user_id
            and e.sequence > after_sequence
            and event_type in (None, e.type)
            and payout_id in (None, e.payout_id)
        ]
        return found[:limit]

    async def get(self, event_id: str) -> ClientEvent | None:
        return next((e for e in self._state.client_events if e.id == event_id), None)

    async def of_payout(self, payout_id: str, up_to_version: int) -> Sequence[ClientEvent]:
        found = [
            e
            for e in self._state.client_events
            if e.payout_id == payout_id and (e.payout_version or 0) <= up_to_version
        ]
        return sorted(found, key=lambda e: e.payout_version or 0)

    async def last_sequence(self, user_id: int) -> int:
        self._locks.append(("counter", user_id))
        return self._state.event_sequences.get(user_id, 0)

    async def purge(self, created_before: datetime, limit: int) -> int:
        old = [e for e in self._state.client_events if e.created_at < created_before][:limit]
        self._state.client_events = [e for e in self._state.client_events if e not in old]
        return len(old)


class FakeWebhookEndpoints:
    """`queries`: each lookup of users' endpoints, (method, user ids), for tests that count them;
    `locks`: the row locks MySQL would take, shared with the client event log's."""

    def __init__(
        self,
        state: State,
        queries: list[tuple[str, tuple[int, ...]]],
        locks: list[tuple[str, object]],
    ) -> None:
        self._state = state
        self._queries = queries
        self._locks = locks

    async def add(self, endpoint: WebhookEndpoint) -> None:
        self._state.webhook_endpoints[endpoint.id] = copy.deepcopy(endpoint)

    async def get(self, endpoint_id: str) -> WebhookEndpoint | None:
        return copy.deepcopy(self._state.webhook_endpoints.get(endpoint_id))

    async def get_for_update(self, endpoint_id: str) -> WebhookEndpoint | None:
        self._locks.append(("endpoint", endpoint_id))
        return await self.get(endpoint_id)

    async def list_for_user(self, user_id: int) -> Sequence[WebhookEndpoint]:
        found = [e for e in self._state.webhook_endpoints.values() if e.user_id == user_id]
        return [copy.deepcopy(e) for e in sorted(found, key=lambda e: (e.created_at, e.id))]

    async def receiving(self, user_id: int, event_type: str) -> Sequence[WebhookEndpoint]:
        self._queries.append(("receiving", (user_id,)))
        return [
            e
            for e in await self.list_for_user(user_id)
            if e.state is not EndpointState.DISABLED and e.subscribes_to(event_type)
        ]

    async def users_with_endpoints(
        self, user_ids: Collection[int], *, locking: bool = False
    ) -> set[int]:
        query = "users_with_endpoints, locking" if locking else "users_with_endpoints"
        self._queries.append((query, tuple(sorted(user_ids))))
        if locking:
            self._locks += [
                ("endpoint", e.id)
                for e in self._state.webhook_endpoints.values()
                if e.user_id in user_ids
            ]
        return {
            e.user_id
            for e in self._state.webhook_endpoints.values()
            if e.user_id in user_ids and e.state is not EndpointState.DISABLED
        }

    async def update(self, endpoint: WebhookEndpoint) -> None:
        if endpoint.id in self._state.webhook_endpoints:
            self._state.webhook_endpoints[endpoint.id] = copy.deepcopy(endpoint)

    async def delete(self, endpoint_id: str) -> None:
        self._state.webhook_endpoints.pop(endpoint_id, None)

    async def count_by_state(self) -> dict[str, int]:
        counts = {str(state): 0 for state in EndpointState}
        for e in self._state.webhook_endpoints.values():
            counts[str(e.state)] += 1
        return counts


class FakeWebhookDeliveries:
    """webhook_deliveries, (endpoint_id, event_id) unique, and their attempts."""

    def __init__(self, state: State, next_id: Callable[[str], int]) -> None:
        self._state = state
        self._next_id = next_id

    async def list_for_endpoint(
        self, endpoint_id: str, status: DeliveryStatus | None, limit: int, before_id: int | None
    ) -> Sequence[Delivery]:
        found = [
            r
            for r in self._rows(endpoint_id)
            if status in (None, r.status) and (before_id is None or r.id < before_id)
        ]
        found.sort(key=lambda r: r.id, reverse=True)
        return [r.delivery() for r in found[:limit]]

    async def get(self, delivery_id: int) -> Delivery | None:
        row = self._state.webhook_deliveries.get(delivery_id)
        return row.delivery() if row else None

    async def retry(self, delivery_id: int, now: datetime) -> None:
        row = self._state.webhook_deliveries.get(delivery_id)
        if row is not None:
            _pending_again(row, now)

    async def replay(self, endpoint_id: str, after_sequence: int, now: datetime) -> int:
        endpoint = self._state.webhook_endpoints.get(endpoint_id)
        if endpoint is None:
            return 0
        events = [
            e
            for e in sorted(self._state.client_events, key=lambda e: e.sequence)
            if e.user_id == endpoint.user_id
            and e.sequence > after_sequence
            and endpoint.subscribes_to(e.type)
        ]
        for event in events:
            row = self._find(endpoint_id, event.id)
            if row is None:
                self._insert(endpoint_id, event, now)
            else:
                _pending_again(row, now)
        return len(events)

    async def add_missing(
        self, endpoint_id: str, events: Sequence[ClientEvent], now: datetime
    ) -> int:
        missing = [e for e in events if self._find(endpoint_id, e.id) is None]
        for event in missing:
            self._insert(endpoint_id, event, now)
        return len(missing)

    async def due_chains(self, endpoint_id: str, now: datetime, limit: int) -> Sequence[str]:
        due = [
            r
            for r in self._heads(endpoint_id).values()
            if r.next_attempt_at <= now and not r.leased(now)
        ]
        due.sort(key=lambda r: (r.next_attempt_at, r.id))
        return [r.chain for r in due[:limit]]

    async def claim_next(
        self, endpoint_id: str, chain: str, now: datetime, lease_until: datetime
    ) -> DeliveryClaim:
        head = self._heads(endpoint_id).get(chain)
        if head is None or head.next_attempt_at > now:
            return DeliveryClaim()
        if head.leased(now):
            return DeliveryClaim(leased_until=head.leased_until)
        head.leased_until = lease_until
        return DeliveryClaim(head.delivery())

    async def release(self, delivery_id: int) -> None:
        row = self._state.webhook_deliveries.get(delivery_id)
        if row is not None:
            row.leased_until = None

    async def record_attempt(
        self,
        delivery_id: int,
        attempt: DeliveryAttempt,
        status: DeliveryStatus,
        next_attempt_at: datetime,
    ) -> None:
        row = self._state.webhook_deliveries.get(delivery_id)
        if row is None:
            return
        row.attempts.append(attempt)
        row.leased_until = None
        row.last_status_code, row.last_error = attempt.status_code, attempt.error
        if row.status is DeliveryStatus.PENDING:
            row.status, row.next_attempt_at = status, next_attempt_at
            row.finished_at = None if status is DeliveryStatus.PENDING else attempt.attempted_at

    async def overdue_endpoints(self, due_before: datetime, limit: int) -> Sequence[str]:
        overdue = sorted(
            {
                r.endpoint_id
                for r in self._state.webhook_deliveries.values()
                if r.status is DeliveryStatus.PENDING
                and r.next_attempt_at < due_before
                and not r.leased(due_before)
                and (endpoint := self._state.webhook_endpoints.get(r.endpoint_id)) is not None
                and endpoint.state is not EndpointState.DISABLED
            }
        )
        return overdue[:limit]

    def _rows(self, endpoint_id: str) -> list[DeliveryRow]:
        return [r for r in self._state.webhook_deliveries.values() if r.endpoint_id == endpoint_id]

    def _heads(self, endpoint_id: str) -> dict[str, DeliveryRow]:
        """Each chain's lowest pending delivery."""
        heads: dict[str, DeliveryRow] = {}
        for row in self._rows(endpoint_id):
            if row.status is DeliveryStatus.PENDING and (
                row.chain not in heads or row.chain_position < heads[row.chain].chain_position
            ):
                heads[row.chain] = row
        return heads

    def _find(self, endpoint_id: str, event_id: str) -> DeliveryRow | None:
        return next((r for r in self._rows(endpoint_id) if r.event_id == event_id), None)

    def _insert(self, endpoint_id: str, event: ClientEvent, now: datetime) -> None:
        chain, position = delivery_chain(event)
        row_id = self._next_id("webhook_deliveries")
        self._state.webhook_deliveries[row_id] = DeliveryRow(
            row_id, endpoint_id, event.id, event.sequence, chain, position,
            DeliveryStatus.PENDING, now, now,
        )  # fmt: skip


def _pending_again(row: DeliveryRow, now: datetime) -> None:
    row.status, row.next_attempt_at, row.finished_at = DeliveryStatus.PENDING, now, None


class FakeUnitOfWork:
    """One transaction over a FakeDatabase: a private copy, published only by commit()."""

    payouts: FakePayoutRepository
    accounts: FakeAccountRepository
    idempotency: FakeIdempotencyStore
    outbox: FakeOutbox
    api_keys: FakeApiKeyRepository
    processed_messages: FakeProcessedMessages
    audit: FakeAuditLog
    ledger: FakeLedgerHistory
    webhooks: FakeWebhookInbox
    send_attempts: FakeSendAttemptLog
    provider_audits: FakeProviderAudits

    def __init__(
        self,
        database: FakeDatabase,
        headers: Mapping[str, str] | None = None,
        metrics: Metrics = NO_METRICS,
        headers_of: Mapping[str, Mapping[str, str]] | None = None,
    ) -> None:
        self._database = database
        self._headers = dict(headers or {})
        self._headers_of = {} if headers_of is None else headers_of
        self._metrics = metrics

    async def __aenter__(self) -> FakeUnitOfWork:
        database = self._database
        self._start = copy.deepcopy(database.committed)
        self._work = copy.deepcopy(database.committed)
        self.payouts = FakePayoutRepository(self._work, database.fail_payout_lookups)
        self.accounts = FakeAccountRepository(self._work, database.next_id)
        self.batches = FakePayoutBatches(self._work)
        self.idempotency = FakeIdempotencyStore(self._work)
        self.outbox = FakeOutbox(self._work, database.new_message_id)
        self.api_keys = FakeApiKeyRepository(self._work)
        self.processed_messages = FakeProcessedMessages(self._work)
        self.audit = FakeAuditLog(self._work)
        self.ledger = FakeLedgerHistory(self._work)
        self.webhooks = FakeWebhookInbox(self._work, database.next_id)
        self.send_attempts = FakeSendAttemptLog(self._work)
        self.provider_audits = FakeProviderAudits(self._work)
        self.webhook_endpoints = FakeWebhookEndpoints(
            self._work, database.endpoint_queries, database.locks
        )
        self.client_events = FakeClientEventLog(self._work, database.locks, self.webhook_endpoints)
        self.webhook_deliveries = FakeWebhookDeliveries(self._work, database.next_id)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        return None

    async def commit(self) -> None:
        posted = await write_saved_events(self, self._headers, self._headers_of)
        hook, self._database.before_next_commit = self._database.before_next_commit, None
        if hook is not None:
            await hook()
        self._refuse_conflicts_with(self._database.committed)
        self._database.committed = copy.deepcopy(self._work)
        ledger_settlement.report(self._metrics, posted, self._headers_of)

    def _refuse_conflicts_with(self, committed: State) -> None:
        """Rows another transaction committed since ours began, clashing with rows we added."""
        for name, keys in UNIQUE_KEYS.items():
            before = keys(self._start)
            if (keys(self._work) - before) & (keys(committed) - before):
                raise UniqueViolation(f"{name} committed by another transaction")


class FakeUnitOfWorkFactory:
    """`metrics` counts what each committed unit of work posted, as the SQL one's does."""

    def __init__(self, database: FakeDatabase, metrics: Metrics = NO_METRICS) -> None:
        self.database = database
        self.metrics = metrics

    def __call__(
        self,
        headers: Mapping[str, str] | None = None,
        headers_of: Mapping[str, Mapping[str, str]] | None = None,
    ) -> FakeUnitOfWork:
        return FakeUnitOfWork(self.database, headers, self.metrics, headers_of)

    def reading(self) -> FakeUnitOfWork:
        """A unit of work never committed: what it reads is the committed state."""
        return FakeUnitOfWork(self.database)


class FakeProviderClient:
    """The provider, scripted by the test.

    send_payout takes the next answer queued by will_accept() or will_fail(): an acceptance is
    returned, an error raised; with none queued the call fails the test. `while_sending`, when
    set, runs once during the next send_payout, before it answers: what happens elsewhere while
    the provider is being called. get_payout answers from `payouts` by provider_payout_id, a
    ProviderError there is raised, an unknown id is not_found, as the real provider's 404 is.
    find_payout answers from the same records by reference (None: never taken), unless
    `lookups` holds a ProviderError for that reference. `sent`, `asked` and `looked_up` record
    the calls."""

    def __init__(self) -> None:
        self.sent: list[PayoutInstruction] = []
        self.asked: list[str] = []
        self.looked_up: list[str] = []
        self.lookups: dict[str, ProviderError] = {}
        self.payouts: dict[str, ProviderPayoutState | ProviderError] = {}
        self.while_sending: Callable[[], Awaitable[None]] | None = None
        self._answers: deque[ProviderAcceptance | ProviderError] = deque()

    def will_accept(self, provider_payout_id: str, http_status: int = 201) -> None:
        self._answers.append(ProviderAcceptance(provider_payout_id, http_status))

    def will_fail(self, error: ProviderError) -> None:
        self._answers.append(error)

    async def send_payout(self, instruction: PayoutInstruction) -> ProviderAcceptance:
        self.sent.append(instruction)
        assert self._answers, f"the provider was not expected to be asked to pay {instruction}"
        hook, self.while_sending = self.while_sending, None
        if hook is not None:
            await hook()
        answer = self._answers.popleft()
        if isinstance(answer, ProviderError):
            raise answer
        return answer

    async def get_payout(self, provider_payout_id: str) -> ProviderPayoutState:
        self.asked.append(provider_payout_id)
        answer = self.payouts.get(provider_payout_id)
        if answer is None:
            raise ProviderError("not_found", f"no payout {provider_payout_id}", 404)
        if isinstance(answer, ProviderError):
            raise answer
        return answer

    async def find_payout(self, reference: str) -> ProviderPayoutState | None:
        self.looked_up.append(reference)
        if reference in self.lookups:
            raise self.lookups[reference]
        for answer in self.payouts.values():
            if isinstance(answer, ProviderPayoutState) and answer.reference == reference:
                return answer
        return None


class FakeProviderSendQueue:
    """`cancelled`: the payout.created message ids whose provider-send was aborted."""

    def __init__(self) -> None:
        self.cancelled: list[str] = []

    async def cancel(self, created_message_id: str) -> None:
        self.cancelled.append(created_message_id)


@dataclass(frozen=True)
class WebhookPost:
    url: str
    body: dict[str, Any]
    event_id: str
    sequence: int | None
    secrets: tuple[str, ...]


# What FakeWebhookSender answers: a status code, NO_ANSWER (a timeout) or REFUSED_ADDRESS.
NO_ANSWER = 0
REFUSED_ADDRESS = -1


class FakeWebhookSender:
    """The clients' endpoints, scripted by the test: each POST takes the next answer queued by
    will_answer(), else asks `answer_for` (when set), else gets 200. `while_posting`, when set,
    runs once during the next POST, before it answers. `posts` records every POST, `answered`
    the answer each got."""

    def __init__(self) -> None:
        self.posts: list[WebhookPost] = []
        self.answered: list[int] = []
        self.answer_for: Callable[[WebhookPost], int] | None = None
        self.while_posting: Callable[[], Awaitable[None]] | None = None
        self._answers: deque[int] = deque()

    def will_answer(self, *answers: int) -> None:
        self._answers.extend(answers)

    def delivered(self) -> list[WebhookPost]:
        """The POSTs answered with a 2xx, in order."""
        return [p for p, code in zip(self.posts, self.answered, strict=True) if 200 <= code < 300]

    async def post(
        self,
        url: str,
        body: Mapping[str, Any],
        event_id: str,
        sequence: int | None,
        secrets: Sequence[str],
    ) -> WebhookAnswer:
        sent = WebhookPost(url, copy.deepcopy(dict(body)), event_id, sequence, tuple(secrets))
        self.posts.append(sent)
        hook, self.while_posting = self.while_posting, None
        if hook is not None:
            await hook()
        if self._answers:
            code = self._answers.popleft()
        else:
            code = self.answer_for(sent) if self.answer_for is not None else 200
        self.answered.append(code)
        if code == REFUSED_ADDRESS:
            return WebhookAnswer(None, 0.0, "resolves to a private address", refused_address=True)
        if code == NO_ANSWER:
            return WebhookAnswer(None, 10.0, "TimeoutError: no answer in time")
        return WebhookAnswer(code, 0.01, None if 200 <= code < 300 else f"HTTP {code}")


class FakeDeliveryWakeUps:
    """`asked`: each wake-up asked for, as (endpoint id, when)."""

    def __init__(self) -> None:
        self.asked: list[tuple[str, datetime]] = []

    async def wake_at(self, endpoint_id: str, at: datetime) -> None:
        self.asked.append((endpoint_id, at))


class RecordingMetrics:
    """`counted`: each call as (name, label), label None for the unlabelled counters."""

    def __init__(self) -> None:
        self.counted: list[tuple[str, str | None]] = []
        self.failure_codes: list[str | None] = []  # of each payout_finished

    def payout_create_requested(self) -> None:
        self.counted.append(("payout_create_requested", None))

    def payout_created(self) -> None:
        self.counted.append(("payout_created", None))

    def payout_finished(self, outcome: str, failure_code: str | None) -> None:
        self.counted.append(("payout_finished", outcome))
        self.failure_codes.append(failure_code)

    def payout_returned(self, failure_code: str) -> None:
        self.counted.append(("payout_returned", failure_code))

    def account_debited(self) -> None:
        self.counted.append(("account_debited", None))

    def provider_request(self, result: str, seconds: float) -> None:
        self.counted.append(("provider_request", result))

    def webhook_ingested(self) -> None:
        self.counted.append(("webhook_ingested", None))

    def webhook_processed(self, result: str) -> None:
        self.counted.append(("webhook_processed", result))

    def outgoing_webhook_delivery(self, result: str, seconds: float | None) -> None:
        self.counted.append(("outgoing_webhook_delivery", result))


# The moment a FakeClock starts at unless told otherwise, and new payouts are created at.
START = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
# A provider's failure, for tests that fail a payout.
DECLINED = Failure.of(FailureCode.DECLINED)


def new_payout(
    payout_id: str = "p-1",
    *,
    user_id: int = 7,
    amount_minor: int = 15000,
    currency_code: str = "USD",
    external_reference: str | None = None,
    now: datetime = START,
    batch_id: str | None = None,
) -> Payout:
    """A new pending payout to wallet W-1, its payout.created event pending. Its external
    reference, unless given, follows its id: ref-1 for p-1, ref-9 for p-9."""
    if external_reference is None:
        external_reference = f"ref-{payout_id.removeprefix('p-')}"
    return Payout.create(
        payout_id=payout_id,
        user_id=user_id,
        amount=Money(amount_minor, currency(currency_code)),
        wallet="W-1",
        external_reference=external_reference,
        now=now,
        batch_id=batch_id,
    )


class FakeClock:
    def __init__(self, now: datetime | None = None) -> None:
        self.moment = now or START

    def now(self) -> datetime:
        return self.moment

    def advance(self, delta: timedelta) -> None:
        self.moment += delta


class SequentialIds:
    def __init__(self) -> None:
        self._numbers = itertools.count(1)

    def new_id(self) -> str:
        return f"00000000-0000-4000-8000-{next(self._numbers):012d}"
