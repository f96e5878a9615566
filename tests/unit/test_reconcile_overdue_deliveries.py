"""Reconciliation asks the notify consumer again for webhook deliveries whose wake-up was lost:
an endpoint's pending delivery overdue by the stalled-send period, not leased, the endpoint not
disabled."""

from datetime import timedelta

from payout_service.application.reconcile_payouts import ReconcilePayouts
from payout_service.domain.client_events import (
    DELIVERIES_REQUESTED,
    ClientEvent,
    DeliveryStatus,
    EndpointState,
    WebhookEndpoint,
)
from tests.unit.fakes import (
    START,
    DeliveryRow,
    FakeClock,
    FakeDatabase,
    FakeProviderClient,
    FakeUnitOfWorkFactory,
)

STALLED_AFTER = timedelta(minutes=15)


def endpoint_with_delivery(
    database: FakeDatabase,
    endpoint_id: str,
    due: timedelta,
    state: EndpointState = EndpointState.ENABLED,
    leased_until: timedelta | None = None,
) -> None:
    """An endpoint whose one pending delivery was due `due` before START."""
    database.committed.webhook_endpoints[endpoint_id] = WebhookEndpoint(
        endpoint_id, 7, "https://x.example/", ("*",), "", "whsec_x", START, START, state=state
    )
    event = ClientEvent(f"evt_{endpoint_id}", "payout.created", 7, 1, "p-1", 1, START, {})
    row_id = database.next_id("webhook_deliveries")
    database.committed.webhook_deliveries[row_id] = DeliveryRow(
        row_id, endpoint_id, event.id, 1, "p-1", 1, DeliveryStatus.PENDING, START - due, START,
        leased_until=START + leased_until if leased_until is not None else None,
    )  # fmt: skip


async def test_endpoints_with_an_overdue_delivery_are_asked_for_again(
    database: FakeDatabase, clock: FakeClock, provider: FakeProviderClient
) -> None:
    endpoint_with_delivery(database, "we_overdue", due=STALLED_AFTER + timedelta(minutes=1))
    endpoint_with_delivery(database, "we_recent", due=timedelta(minutes=1))
    endpoint_with_delivery(database, "we_off", due=timedelta(hours=1), state=EndpointState.DISABLED)
    endpoint_with_delivery(
        database, "we_sending", due=timedelta(hours=1), leased_until=timedelta(seconds=5)
    )
    reconcile = ReconcilePayouts(
        FakeUnitOfWorkFactory(database),
        clock,
        provider,
        quiet_for=timedelta(minutes=5),
        batch_size=10,
        stalled_after=STALLED_AFTER,
    )

    report = await reconcile()

    requested = [
        r.event.aggregate_id
        for r in database.committed.outbox
        if r.event.name == DELIVERIES_REQUESTED
    ]
    assert requested == ["we_overdue"]
    assert report.outcomes["deliveries_requested"] == 1
