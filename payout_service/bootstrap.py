"""Wires the use cases to their adapters, in one place, from one Settings object."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from payout_service.application.authenticate import Authenticate
from payout_service.application.create_payout import CreatePayout
from payout_service.application.read_payouts import ReadPayouts
from payout_service.infrastructure.clock import SystemClock, UuidGenerator
from payout_service.infrastructure.db.database import close_database, open_database
from payout_service.infrastructure.db.dialect import dialect_for_url
from payout_service.infrastructure.db.unit_of_work import SqlUnitOfWorkFactory
from payout_service.infrastructure.readiness import readiness_checks
from payout_service.infrastructure.settings import Settings


@dataclass(frozen=True)
class Services:
    settings: Settings
    authenticate: Authenticate
    create_payout: CreatePayout
    read_payouts: ReadPayouts
    readiness: Callable[[], Awaitable[dict[str, str]]]


def build_services(settings: Settings) -> Services:
    uow = SqlUnitOfWorkFactory(dialect_for_url(settings.database_url))
    return Services(
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


async def start(settings: Settings) -> Services:
    await open_database(settings)
    return build_services(settings)


async def stop() -> None:
    await close_database()
