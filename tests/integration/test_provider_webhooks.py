"""The whole flow `make run` shows, with no manual step: the mock provider accepts a payout and
delivers its signed webhooks to the service's endpoint, which stores them; the inbox actor
applies them and the books consumer debits the balance."""

from __future__ import annotations

from dataclasses import replace

from aiohttp.test_utils import TestClient

from payout_service.infrastructure.db.seed import DEMO_USER_ID
from payout_service.infrastructure.db.unit_of_work import SqlUnitOfWorkFactory
from tests.integration.helpers import rows
from tests.integration.processes import RunningProcess, eventually
from tests.integration.provider_support import (
    WEBHOOK_SECRET,
    MockServer,
    create_payout,
    payout_row,
)


async def test_the_mock_providers_signed_webhooks_finish_the_payout(
    provider_api: TestClient,
    auth: dict[str, str],
    db: SqlUnitOfWorkFactory,
    mock: MockServer,
    worker: RunningProcess,
) -> None:
    # Given the mock provider posting its webhooks to the service, signed with its secret
    mock.provider.config = replace(
        mock.provider.config,
        webhook_url=str(provider_api.make_url("/api/webhooks/provider")),
        webhook_secrets=(WEBHOOK_SECRET,),
    )
    # When a payout is created
    created = await create_payout(provider_api, auth)
    # Then the provider's webhooks finish it, and the balance pays for it
    payout = await eventually(
        lambda: payout_row(db, created["id"]),
        lambda p: p["status"] == "success",
        what="the payout succeeded by webhook",
    )
    assert payout["provider_status"] == "success"
    inbox = await rows(
        db,
        "SELECT status, result FROM provider_webhook_events WHERE provider_payout_id = %s"
        " ORDER BY id",
        payout["provider_payout_id"],
    )
    assert sorted(r["status"] for r in inbox) == ["processing", "success"]

    async def balance() -> tuple[int, int]:
        (row,) = await rows(
            db,
            "SELECT balance_minor, held_minor FROM user_accounts"
            " WHERE user_id = %s AND currency = 'USD'",
            DEMO_USER_ID,
        )
        return int(row["balance_minor"]), int(row["held_minor"])

    await eventually(balance, lambda money: money == (1_000_000 - 15000, 0), what="the debit")
