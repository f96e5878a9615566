"""Wires the use cases to their adapters, in one place, from one Settings object."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta

from payout_service.application.authenticate import Authenticate
from payout_service.application.create_payout import CreatePayout
from payout_service.application.read_payouts import ReadPayouts
from payout_service.application.record_audit import RecordAudit
from payout_service.application.settle_ledger import SettleLedger
from payout_service.infrastructure.broker import build_broker
from payout_service.infrastructure.clock import SystemClock, UuidGenerator
from payout_service.infrastructure.db.dialect import dialect_for_url
from payout_service.infrastructure.db.unit_of_work import SqlUnitOfWorkFactory
from payout_service.infrastructure.outbox.claims import ClaimPolicy
from payout_service.infrastructure.outbox.fast_path import OutboxFastPath
from payout_service.infrastructure.outbox.publisher import DramatiqPublisher
from payout_service.infrastructure.outbox.relay import OutboxRelay, relay_owner
from payout_service.infrastructure.readiness import readiness_checks
from payout_service.infrastructure.settings import Settings


@dataclass(frozen=True)
class Services:
    settings: Settings
    authenticate: Authenticate
    create_payout: CreatePayout
    read_payouts: ReadPayouts
    readiness: Callable[[], Awaitable[dict[str, str]]]
    fast_path: OutboxFastPath | None


@dataclass(frozen=True)
class WorkerServices:
    settings: Settings
    record_audit: RecordAudit
    settle_ledger: SettleLedger


def build_worker_services(settings: Settings) -> WorkerServices:
    uow = SqlUnitOfWorkFactory(dialect_for_url(settings.database_url))
    clock = SystemClock()
    return WorkerServices(
        settings=settings,
        record_audit=RecordAudit(uow, clock),
        settle_ledger=SettleLedger(uow, clock),
    )


def build_relay(settings: Settings, uow: SqlUnitOfWorkFactory) -> OutboxRelay:
    publisher = DramatiqPublisher(build_broker(settings))
    policy = ClaimPolicy(
        batch_size=settings.relay_batch_size,
        max_attempts=settings.relay_max_attempts,
        lease=timedelta(seconds=settings.relay_lease_seconds),
        owner=relay_owner(),
    )
    return OutboxRelay(uow, publisher.publish, SystemClock(), policy)


def build_services(settings: Settings) -> Services:
    """The web process's services. With Redis configured, committed outbox rows are published
    at once by the fast path (started and stopped with the app)."""
    uow = SqlUnitOfWorkFactory(dialect_for_url(settings.database_url))
    fast_path = None
    if settings.redis_url:
        fast_path = OutboxFastPath(build_relay(settings, uow), settings.relay_batch_size)
        uow.on_commit = fast_path.committed
    return Services(
        fast_path=fast_path,
        settings=settings,
        authenticate=Authenticate(uow, settings.api_key_cache_seconds),
        create_payout=CreatePayout(
            uow,
            SystemClock(),
            UuidGenerator(),
            max_amount=settings.max_payout_amount,
            key_ttl=settings.idempotency_key_ttl,
        ),
        read_payouts=ReadPayouts(uow),
        readiness=readiness_checks(settings),
    )
