"""Whether a client endpoint hears of a transaction's events is read under the user's event
counter, as committed then: on MariaDB at REPEATABLE READ, a plain read would answer from the
transaction's snapshot, taken at its first read, and miss an endpoint registered after it. The
endpoint then starts after a sequence read before these events, and their notify message would
never be sent: a gap in the client's webhooks. The user's counter answers for the endpoints in the
statement that moves it on; a counter created by the transaction is followed by a read of its own:
both ways are checked."""

from __future__ import annotations

import asyncio
import contextvars
import json
from datetime import timedelta

import pytest

from payout_service.application.event_routes import NOTIFY, consumers_of
from payout_service.application.manage_webhook_endpoints import ManageWebhookEndpoints
from payout_service.domain import events
from payout_service.domain.money import Money, currency
from payout_service.domain.payout import Payout
from payout_service.infrastructure.clock import SystemClock
from payout_service.infrastructure.db.seed import DEMO_USER_ID
from payout_service.infrastructure.db.unit_of_work import SqlUnitOfWorkFactory
from payout_service.infrastructure.outgoing_webhooks.url_policy import UrlPolicy
from payout_service.infrastructure.settings import Settings


def a_payout(payout_id: str) -> Payout:
    return Payout.create(
        payout_id=payout_id,
        user_id=DEMO_USER_ID,
        amount=Money(100, currency("USD")),
        wallet="W-1",
        external_reference=f"ref-{payout_id}",
        now=SystemClock().now(),
    )


async def created_row_routes(db: SqlUnitOfWorkFactory, payout_id: str) -> tuple[str, ...]:
    async with db.reading() as uow:
        (row,) = await uow.session.rows(
            "SELECT headers FROM outbox_messages WHERE aggregate_id = %s AND event_name = %s",
            payout_id,
            events.PAYOUT_CREATED,
        )
    return tuple(c.name for c in consumers_of(events.PAYOUT_CREATED, json.loads(row["headers"])))


async def given_earlier_payouts(db: SqlUnitOfWorkFactory, count: int) -> None:
    """Each committed with its payout.created: the user's counter exists after the first."""
    for n in range(count):
        async with db() as earlier:
            await earlier.payouts.add(a_payout(f"p-earlier-{n}"))
            await earlier.commit()


EARLIER = pytest.mark.parametrize(
    "earlier", [0, 1], ids=["first events: a new counter", "a counter with events"]
)


@pytest.mark.parametrize("database_url", ["mysql"], indirect=True)
@EARLIER
async def test_an_endpoint_registered_after_a_transactions_first_read_is_heard(
    db: SqlUnitOfWorkFactory, settings: Settings, earlier: int
) -> None:
    endpoints = ManageWebhookEndpoints(
        db, SystemClock(), UrlPolicy.from_settings(settings), secret_overlap=timedelta(hours=1)
    )
    await given_earlier_payouts(db, earlier)
    async with db() as writer:
        # Given a transaction whose first read has fixed its snapshot
        await writer.session.rows("SELECT COUNT(*) AS n FROM payouts")
        # When the user registers an endpoint, committed before the transaction takes the
        # user's event counter
        # (in a context of its own: in this one, Tortoise would nest it in the transaction)
        registered = await asyncio.get_running_loop().create_task(
            endpoints.register(DEMO_USER_ID, "http://127.0.0.1:9/hooks", ["*"], ""),
            context=contextvars.Context(),
        )
        # And the transaction then writes a payout of that user
        await writer.payouts.add(a_payout("p-heard"))
        await writer.commit()
    # Then the endpoint starts before the payout's events, and notify hears of them
    assert registered.endpoint.after_sequence == earlier
    assert NOTIFY.name in await created_row_routes(db, "p-heard")


@pytest.mark.parametrize("database_url", ["mysql"], indirect=True)
@EARLIER
async def test_a_user_without_endpoints_is_not_heard(
    db: SqlUnitOfWorkFactory, earlier: int
) -> None:
    await given_earlier_payouts(db, earlier)
    async with db() as writer:
        await writer.payouts.add(a_payout("p-unheard"))
        await writer.commit()
    assert await created_row_routes(db, "p-unheard") == ("send_payout",)
