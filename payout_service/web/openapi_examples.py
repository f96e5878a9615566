"""The examples of the OpenAPI document: one client's payout of 150.00 USD, told by the code that
answers for real (payout_representation, batch_representation, the create's own validation), so
an example cannot drift from what the API returns. tests/integration/test_openapi.py checks every
example against its schema.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from payout_service.application.ports import RECEIVED
from payout_service.application.representation import (
    batch_counts_as_recorded,
    batch_representation,
    client_event_representation,
    payout_representation,
)
from payout_service.domain.client_events import ClientEvent
from payout_service.domain.money import Money, currency
from payout_service.domain.payout import Payout
from payout_service.domain.payout_batch import BatchMode, PayoutBatch
from payout_service.web.openapi_parts import Schema
from payout_service.web.problems import Problem
from payout_service.web.requests import create_payout_fields

USER_ID = 123
CREATED_AT = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)
PAYOUT_ID = "0b8f3c1e-5d2a-4e6b-9f41-7c3a2d1e8b90"
BATCH_ID = "6d1e2f3a-4b5c-4d6e-8f70-8192a3b4c5d6"
NEW_PAYOUT: dict[str, Any] = {
    "user_id": USER_ID,
    "amount": "150.00",
    "currency": "USD",
    "wallet": "W-4417",
    "external_reference": "order-1042",
    "metadata": {"order": "1042"},
}
PROVIDER_WEBHOOK = {
    "event_id": "prov_evt_8812",
    "provider_payout_id": "prov_po_5521",
    "reference": PAYOUT_ID,
    "status": "success",
    "occurred_at": "2026-12-01T09:30:05Z",
    "failure_code": None,
}
ACCOUNT = {"currency": "USD", "balance": "10000.00", "held": "150.00", "available": "9850.00"}
WEBHOOK_RECEIPT = {"inbox_event_id": 4711, "duplicate": False, "result": RECEIVED}


def example(summary: str, value: Any) -> Schema:
    return {"summary": summary, "value": value}


def payout(*, cancelled: bool = False, batch_id: str | None = None) -> dict[str, Any]:
    """NEW_PAYOUT as the API shows it once created (pending), or once cancelled."""
    created = _payout(PAYOUT_ID, NEW_PAYOUT["external_reference"], batch_id)
    if cancelled:
        created.cancel(CREATED_AT + timedelta(seconds=2))
    return payout_representation(created)


def payout_page() -> dict[str, Any]:
    return {"data": [payout()], "next_cursor": None, "has_more": False}


def batch(*, created: bool = False) -> dict[str, Any]:
    """A batch of two USD payouts as listed, or (`created`) as the create answers it."""
    items = [
        _payout(f"{BATCH_ID[:-1]}{n}", f"june-{n}", BATCH_ID, minor)
        for n, minor in ((1, 2500), (2, 7500))
    ]
    made = PayoutBatch.create(BATCH_ID, USER_ID, BatchMode.ALL_OR_NOTHING, items, CREATED_AT)
    shown = batch_representation(made, batch_counts_as_recorded(made))
    return shown | {"rejected_count": 0, "errors": []} if created else shown


def new_batch() -> dict[str, Any]:
    return {
        "mode": str(BatchMode.ALL_OR_NOTHING),
        "items": [
            {"amount": "25.00", "currency": "USD", "wallet": "W-1", "external_reference": "june-1"},
            {"amount": "75.00", "currency": "USD", "wallet": "W-2", "external_reference": "june-2"},
        ],
    }


def event_page() -> dict[str, Any]:
    event = ClientEvent(
        id="evt_0193a1b2c3d4e5f60718293a4b5c6d7e",
        type="payout.created",
        user_id=USER_ID,
        sequence=1,
        payout_id=PAYOUT_ID,
        payout_version=1,
        created_at=CREATED_AT,
        data=payout(),
    )
    return {"data": [client_event_representation(event)], "has_more": False}


def invalid_payout_problem() -> dict[str, Any]:
    """The 422 the create answers to an amount sent as a JSON number and a field it does not
    know: rendered by the create's own validation."""
    try:
        create_payout_fields({**NEW_PAYOUT, "amount": 150, "note": "rush"})
    except Problem as problem:
        body: dict[str, Any] = json.loads(problem.response("/api/payouts").text or "{}")
        return body
    raise AssertionError("the create accepted an amount sent as a number")


def _payout(
    payout_id: str, reference: str, batch_id: str | None, amount_minor: int = 15000
) -> Payout:
    return Payout.create(
        payout_id=payout_id,
        user_id=USER_ID,
        amount=Money(amount_minor, currency("USD")),
        wallet=NEW_PAYOUT["wallet"],
        external_reference=reference,
        now=CREATED_AT,
        batch_id=batch_id,
        metadata=NEW_PAYOUT["metadata"],
    )
