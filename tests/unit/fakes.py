"""In-memory adapters for the ports in payout_service.application.ports.

A FakeDatabase holds committed state. Each FakeUnitOfWork works on a private copy of it and
publishes the copy only on commit(), so a use case that fails half-way leaves nothing behind,
exactly as a rolled-back transaction would. Unique constraints raise UniqueViolation both on
insert (against what the transaction sees) and on commit (against what others committed since).
"""

from __future__ import annotations

import copy
import dataclasses
import itertools
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from types import TracebackType

from payout_service.application.messages import Envelope
from payout_service.application.ports import PageCursor, StoredResponse, UniqueViolation
from payout_service.domain.accounts import Account, EntryKind, LedgerEntry
from payout_service.domain.events import DomainEvent
from payout_service.domain.payout import Payout, PayoutStatus


@dataclass
class StoredKey:
    response: StoredResponse
    payout_id: str


@dataclass
class OutboxRow:
    event: DomainEvent
    headers: dict[str, str]


@dataclass
class State:
    payouts: dict[str, Payout] = field(default_factory=dict)
    accounts: dict[tuple[int, str], Account] = field(default_factory=dict)
    ledger: list[LedgerEntry] = field(default_factory=list)
    idempotency: dict[tuple[int, str], StoredKey] = field(default_factory=dict)
    outbox: list[OutboxRow] = field(default_factory=list)
    api_keys: dict[str, int] = field(default_factory=dict)
    processed: set[tuple[str, str]] = field(default_factory=set)
    audit: list[Envelope] = field(default_factory=list)

    def references(self) -> set[tuple[int, str]]:
        return {(p.user_id, p.external_reference) for p in self.payouts.values()}


class FakeDatabase:
    """Committed state, plus an optional hook run once just before the next commit."""

    def __init__(self) -> None:
        self.committed = State()
        self.before_next_commit: Callable[[], Awaitable[None]] | None = None
        self._account_ids = itertools.count(1)

    def open_account(self, user_id: int, currency: str, balance_minor: int) -> Account:
        account = Account(next(self._account_ids), user_id, currency, balance_minor, 0)
        self.committed.accounts[(user_id, currency)] = account
        return account


class FakePayoutRepository:
    """`seen`: the payouts added or updated through it, whose events the commit writes."""

    def __init__(self, state: State) -> None:
        self._state = state
        self.seen: dict[str, Payout] = {}

    async def add(self, payout: Payout) -> None:
        self.seen[payout.id] = payout
        if payout.id in self._state.payouts:
            raise UniqueViolation(f"payout {payout.id} exists")
        if (payout.user_id, payout.external_reference) in self._state.references():
            raise UniqueViolation(f"external_reference {payout.external_reference} is used")
        self._state.payouts[payout.id] = _stored(payout)

    async def get(self, payout_id: str) -> Payout | None:
        return copy.deepcopy(self._state.payouts.get(payout_id))

    async def get_for_update(self, payout_id: str) -> Payout | None:
        return await self.get(payout_id)

    async def update(self, payout: Payout) -> None:
        self.seen[payout.id] = payout
        self._state.payouts[payout.id] = _stored(payout)

    async def reference_exists(self, user_id: int, external_reference: str) -> bool:
        return (user_id, external_reference) in self._state.references()

    async def list_for_user(
        self, user_id: int, status: PayoutStatus | None, limit: int, after: PageCursor | None
    ) -> Sequence[Payout]:
        mine = [
            p
            for p in self._state.payouts.values()
            if p.user_id == user_id and (status is None or p.status is status)
        ]
        mine.sort(key=lambda p: (p.created_at, p.id), reverse=True)
        if after is not None:
            mine = [p for p in mine if (p.created_at, p.id) < (after.created_at, after.payout_id)]
        return copy.deepcopy(mine[:limit])


def _stored(payout: Payout) -> Payout:
    """A row keeps the payout's state, not its events: a payout read back has none pending."""
    return dataclasses.replace(copy.deepcopy(payout), events=[])


class FakeAccountRepository:
    def __init__(self, state: State) -> None:
        self._state = state

    async def get_for_update(self, user_id: int, currency: str) -> Account | None:
        return copy.deepcopy(self._state.accounts.get((user_id, currency)))

    async def save_balances(self, account: Account, now: datetime) -> None:
        self._state.accounts[(account.user_id, account.currency)] = copy.deepcopy(account)

    async def append_entry(self, entry: LedgerEntry, now: datetime) -> None:
        self._state.ledger.append(entry)


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


class FakeOutbox:
    def __init__(self, state: State) -> None:
        self._state = state

    async def add(self, event: DomainEvent, headers: dict[str, str], now: datetime) -> None:
        self._state.outbox.append(OutboxRow(event, dict(headers)))


class FakeApiKeyRepository:
    def __init__(self, state: State) -> None:
        self._state = state

    async def user_for_key_hash(self, key_hash: str) -> int | None:
        return self._state.api_keys.get(key_hash)


class FakeProcessedMessages:
    def __init__(self, state: State) -> None:
        self._state = state

    async def already_processed(self, consumer: str, message_id: str) -> bool:
        return (consumer, message_id) in self._state.processed

    async def remember(self, consumer: str, message_id: str, now: datetime) -> None:
        if (consumer, message_id) in self._state.processed:
            raise UniqueViolation(f"{consumer} already processed {message_id}")
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
        self._state.audit.extend(envelopes)


class FakeLedgerHistory:
    def __init__(self, state: State) -> None:
        self._state = state

    async def has_settled(self, payout_id: str) -> bool:
        return any(
            e.payout_id == payout_id and e.kind in {EntryKind.DEBIT, EntryKind.RELEASE}
            for e in self._state.ledger
        )


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

    def __init__(self, database: FakeDatabase, headers: Mapping[str, str] | None = None) -> None:
        self._database = database
        self._headers = dict(headers or {})

    async def __aenter__(self) -> FakeUnitOfWork:
        self._start = copy.deepcopy(self._database.committed)
        self._work = copy.deepcopy(self._database.committed)
        self.payouts = FakePayoutRepository(self._work)
        self.accounts = FakeAccountRepository(self._work)
        self.idempotency = FakeIdempotencyStore(self._work)
        self.outbox = FakeOutbox(self._work)
        self.api_keys = FakeApiKeyRepository(self._work)
        self.processed_messages = FakeProcessedMessages(self._work)
        self.audit = FakeAuditLog(self._work)
        self.ledger = FakeLedgerHistory(self._work)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        return None

    async def commit(self) -> None:
        for payout in self.payouts.seen.values():
            for event in payout.events:
                await self.outbox.add(event, self._headers, payout.updated_at)
            payout.events.clear()
        hook, self._database.before_next_commit = self._database.before_next_commit, None
        if hook is not None:
            await hook()
        self._refuse_conflicts_with(self._database.committed)
        self._database.committed = copy.deepcopy(self._work)

    def _refuse_conflicts_with(self, committed: State) -> None:
        """Rows another transaction committed since ours began, clashing with rows we added."""
        new_keys = self._work.idempotency.keys() - self._start.idempotency.keys()
        if new_keys & committed.idempotency.keys() - self._start.idempotency.keys():
            raise UniqueViolation("idempotency key committed by another transaction")
        new_refs = self._work.references() - self._start.references()
        if new_refs & committed.references() - self._start.references():
            raise UniqueViolation("external_reference committed by another transaction")
        new_processed = self._work.processed - self._start.processed
        if new_processed & committed.processed - self._start.processed:
            raise UniqueViolation("message processed by another transaction")


class FakeUnitOfWorkFactory:
    def __init__(self, database: FakeDatabase) -> None:
        self.database = database

    def __call__(self, headers: Mapping[str, str] | None = None) -> FakeUnitOfWork:
        return FakeUnitOfWork(self.database, headers)


class FakeClock:
    def __init__(self, now: datetime | None = None) -> None:
        self.moment = now or datetime(2026, 1, 1, 12, 0, tzinfo=UTC)

    def now(self) -> datetime:
        return self.moment

    def advance(self, delta: timedelta) -> None:
        self.moment += delta


class SequentialIds:
    def __init__(self) -> None:
        self._numbers = itertools.count(1)

    def new_id(self) -> str:
        return f"00000000-0000-4000-8000-{next(self._numbers):012d}"
