"""The unit of work: one transaction with the repositories bound to it (on MySQL, on a connection
of db.transaction_pools; on SQLite, Tortoise's)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from types import TracebackType

import asyncmy
from tortoise import Tortoise
from tortoise.backends.base.client import TransactionContext
from tortoise.transactions import in_transaction

from payout_service.application import ledger_settlement
from payout_service.application.metrics import NO_METRICS
from payout_service.application.ports import Metrics
from payout_service.application.saved_events import write_saved_events
from payout_service.infrastructure.db import transaction_pools
from payout_service.infrastructure.db.accounts import SqlAccountRepository
from payout_service.infrastructure.db.api_keys import SqlApiKeyRepository
from payout_service.infrastructure.db.audit_log import SqlAuditLog
from payout_service.infrastructure.db.client_events import SqlClientEventLog
from payout_service.infrastructure.db.database import READ_COMMITTED_CONNECTION
from payout_service.infrastructure.db.dialect import Dialect
from payout_service.infrastructure.db.idempotency import SqlIdempotencyStore
from payout_service.infrastructure.db.ledger_history import SqlLedgerHistory
from payout_service.infrastructure.db.outbox import OutboxRow, SqlOutbox
from payout_service.infrastructure.db.payout_batches import SqlPayoutBatches
from payout_service.infrastructure.db.payouts import SqlPayoutRepository
from payout_service.infrastructure.db.processed_messages import SqlProcessedMessages
from payout_service.infrastructure.db.provider_audits import SqlProviderAudits
from payout_service.infrastructure.db.send_attempts import SqlSendAttemptLog
from payout_service.infrastructure.db.session import SqlSession
from payout_service.infrastructure.db.webhook_deliveries import SqlWebhookDeliveries
from payout_service.infrastructure.db.webhook_endpoints import SqlWebhookEndpoints
from payout_service.infrastructure.db.webhook_inbox import SqlWebhookInbox

# Called after each commit that wrote outbox rows: their message ids, and those of their rows that
# open an aggregate (SqlOutbox.opening), whole.
OnCommit = Callable[[list[str], list[OutboxRow]], None]


class SqlUnitOfWork:
    """Rolls back on leaving unless commit() was called; an exception always rolls back.
    commit() writes the new events of every payout and batch saved through it, and posts the
    payouts' ends and returns (application.saved_events); once committed, it counts and logs
    those postings on `metrics`."""

    payouts: SqlPayoutRepository
    accounts: SqlAccountRepository
    batches: SqlPayoutBatches
    idempotency: SqlIdempotencyStore
    outbox: SqlOutbox
    api_keys: SqlApiKeyRepository
    processed_messages: SqlProcessedMessages
    audit: SqlAuditLog
    ledger: SqlLedgerHistory
    webhooks: SqlWebhookInbox
    send_attempts: SqlSendAttemptLog
    provider_audits: SqlProviderAudits
    client_events: SqlClientEventLog
    webhook_endpoints: SqlWebhookEndpoints
    webhook_deliveries: SqlWebhookDeliveries

    def __init__(
        self,
        dialect: Dialect,
        connection_name: str = "default",
        on_commit: OnCommit | None = None,
        headers: Mapping[str, str] | None = None,
        metrics: Metrics = NO_METRICS,
        headers_of: Mapping[str, Mapping[str, str]] | None = None,
    ) -> None:
        self._dialect = dialect
        self._connection_name = connection_name
        self._on_commit = on_commit
        self._headers = dict(headers or {})
        self._headers_of = {} if headers_of is None else headers_of
        self._metrics = metrics
        self._context: TransactionContext | None = None  # SQLite: Tortoise's transaction
        self._driver: asyncmy.Connection | None = None  # MySQL: db.transaction_pools
        self._committed = False

    async def __aenter__(self) -> SqlUnitOfWork:
        if self._dialect.is_sqlite:
            self._context = in_transaction(self._connection_name)
            self.bind(SqlSession(await self._context.__aenter__(), self._dialect))
        else:
            self._driver = await transaction_pools.acquire(self._connection_name)
            self.bind(SqlSession(self._driver, self._dialect))
        return self

    def bind(self, session: SqlSession) -> None:
        self.session = session
        self.payouts = SqlPayoutRepository(session)
        self.accounts = SqlAccountRepository(session)
        self.batches = SqlPayoutBatches(session)
        self.idempotency = SqlIdempotencyStore(session)
        self.outbox = SqlOutbox(session)
        self.api_keys = SqlApiKeyRepository(session)
        self.processed_messages = SqlProcessedMessages(session)
        self.audit = SqlAuditLog(session)
        self.ledger = SqlLedgerHistory(session)
        self.webhooks = SqlWebhookInbox(session)
        self.send_attempts = SqlSendAttemptLog(session)
        self.provider_audits = SqlProviderAudits(session)
        self.client_events = SqlClientEventLog(session)
        self.webhook_endpoints = SqlWebhookEndpoints(session)
        self.webhook_deliveries = SqlWebhookDeliveries(session)

    async def commit(self) -> None:
        posted = await write_saved_events(self, self._headers, self._headers_of)
        await self.session.commit()
        self._committed = True
        ledger_settlement.report(self._metrics, posted, self._headers_of)
        if self._on_commit is not None and self.outbox.written:
            self._on_commit(self.outbox.written, self.outbox.opening)

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._context is not None:
            if exc_type is None and not self._committed:
                await self.session.rollback()
            await self._context.__aexit__(exc_type, exc, tb)
            return
        assert self._driver is not None
        try:
            if not isinstance(exc, Exception) and exc is not None:
                # Cancelled (or stopped) mid-statement: the connection may owe the server a
                # reply, so it is not reused. Closing it rolls back on the server.
                self._driver.close()
            elif not self._committed:
                await self.session.rollback()
        except Exception:
            # The connection is broken (that is often why the work failed): it is closed, and
            # the server rolls back whatever it held.
            self._driver.close()
            if exc_type is None:
                raise
        finally:
            transaction_pools.release(self._connection_name, self._driver)


class SqlUnitOfWorkFactory:
    """`on_commit` receives the outbox message ids each committed transaction wrote: the web
    process uses it to publish them at once instead of waiting for the relay's next poll.
    `metrics` counts the payouts each committed transaction ended or returned."""

    def __init__(
        self,
        dialect: Dialect,
        connection_name: str = "default",
        on_commit: OnCommit | None = None,
        metrics: Metrics = NO_METRICS,
    ) -> None:
        self._dialect = dialect
        self._connection_name = connection_name
        self.on_commit = on_commit
        self.metrics = metrics

    def __call__(
        self,
        headers: Mapping[str, str] | None = None,
        headers_of: Mapping[str, Mapping[str, str]] | None = None,
    ) -> SqlUnitOfWork:
        return SqlUnitOfWork(
            self._dialect, self._connection_name, self.on_commit, headers, self.metrics, headers_of
        )

    @asynccontextmanager
    async def reading(self) -> AsyncIterator[SqlUnitOfWork]:
        """A unit of work whose statements each run on their own, in autocommit, on a pooled
        connection (Tortoise's path, which acquires one per statement)."""
        uow = SqlUnitOfWork(self._dialect, self._connection_name)
        uow.bind(SqlSession(Tortoise.get_connection(self._connection_name), self._dialect))
        yield uow

    def read_committed(self) -> SqlUnitOfWorkFactory:
        """The same, on the connection whose transactions run at READ COMMITTED (MySQL, for
        outbox claims: see database.tortoise_config); on SQLite, itself."""
        if self._dialect.is_sqlite:
            return self
        return SqlUnitOfWorkFactory(self._dialect, READ_COMMITTED_CONNECTION, metrics=self.metrics)
