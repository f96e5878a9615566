"""The ports the use cases need; adapters in payout_service.infrastructure implement them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from types import TracebackType
from typing import Any, Protocol

from payout_service.application.messages import Envelope
from payout_service.domain.accounts import Account, LedgerEntry
from payout_service.domain.events import DomainEvent
from payout_service.domain.payout import Payout, PayoutStatus


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
    async def add(self, payout: Payout) -> None: ...
    async def get(self, payout_id: str) -> Payout | None: ...
    async def get_for_update(self, payout_id: str) -> Payout | None: ...
    async def update(self, payout: Payout) -> None: ...
    async def reference_exists(self, user_id: int, external_reference: str) -> bool: ...
    async def list_for_user(
        self, user_id: int, status: PayoutStatus | None, limit: int, after: PageCursor | None
    ) -> Sequence[Payout]: ...


class AccountRepository(Protocol):
    async def get_for_update(self, user_id: int, currency: str) -> Account | None: ...
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


class ApiKeyRepository(Protocol):
    async def user_for_key_hash(self, key_hash: str) -> int | None: ...


class ConsumerInbox(Protocol):
    """Message ids each consumer has applied; remembered in the same transaction as the effect."""

    async def already_processed(self, consumer: str, message_id: str) -> bool: ...
    async def remember(self, consumer: str, message_id: str, now: datetime) -> None: ...


class AuditLog(Protocol):
    async def append(self, envelope: Envelope, now: datetime) -> None: ...


class LedgerHistory(Protocol):
    async def has_settled(self, payout_id: str) -> bool: ...


class UniqueViolation(Exception):
    """Raised by adapters when an insert breaks a unique constraint (a concurrent twin won)."""


class UnitOfWork(Protocol):
    """One database transaction: rolled back on leaving unless commit() was called."""

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
    def inbox(self) -> ConsumerInbox: ...
    @property
    def audit(self) -> AuditLog: ...
    @property
    def ledger(self) -> LedgerHistory: ...

    async def __aenter__(self) -> UnitOfWork: ...
    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...
    async def commit(self) -> None: ...


class UnitOfWorkFactory(Protocol):
    def __call__(self) -> UnitOfWork: ...


class Clock(Protocol):
    def now(self) -> datetime: ...


class IdGenerator(Protocol):
    def new_id(self) -> str: ...


JsonDict = dict[str, Any]
