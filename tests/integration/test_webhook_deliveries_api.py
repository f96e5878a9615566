"""An endpoint's delivery log over HTTP: replayed events become pending deliveries, listed newest
first with their attempts, in pages; one delivery sent again; only the caller's endpoint and
that endpoint's deliveries; every bad parameter a 4xx problem."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from payout_service.domain.client_events import (
    DELIVERIES_REQUESTED,
    DeliveryAttempt,
    DeliveryStatus,
)
from payout_service.infrastructure.clock import SystemClock
from payout_service.infrastructure.db.seed import DEMO_USER_ID
from tests.integration.helpers import error_fields, payout_body, post_payout, problem, rows

ENDPOINTS = "/api/webhook-endpoints"
RECEIVER = "http://127.0.0.1:8999/hooks"


async def register(api, auth) -> str:
    response = await api.post(ENDPOINTS, json={"url": RECEIVER, "event_types": ["*"]}, headers=auth)
    assert response.status == 201, await response.text()
    return str((await response.json())["id"])


@pytest.fixture
async def endpoint_id(api, auth) -> str:
    """An endpoint of the demo user, then three payouts: events 1-3, after its creation."""
    registered = await register(api, auth)
    for n in range(3):
        body = payout_body(amount="1.00", external_reference=f"ref-{n}")
        assert (await post_payout(api, auth, body, key=f"k-{n}")).status == 201
    return registered


async def replay(api, auth, endpoint_id: str, after: int) -> dict:
    response = await api.post(
        f"{ENDPOINTS}/{endpoint_id}/replay", json={"after_sequence": after}, headers=auth
    )
    assert response.status == 202, await response.text()
    return await response.json()


async def deliveries(api, auth, endpoint_id: str, **query: str) -> dict:
    response = await api.get(f"{ENDPOINTS}/{endpoint_id}/deliveries", params=query, headers=auth)
    assert response.status == 200, await response.text()
    return await response.json()


async def requests_for(db, endpoint_id: str) -> list[dict]:
    found = await rows(
        db,
        "SELECT payload FROM outbox_messages WHERE aggregate_id = %s AND event_name = %s",
        endpoint_id,
        DELIVERIES_REQUESTED,
    )
    return [json.loads(r["payload"]) for r in found]


async def test_replay_answers_the_count_and_the_deliveries_are_listed_newest_first(
    api, auth, db, endpoint_id
):
    # When the events after sequence 1 are replayed
    answer = await replay(api, auth, endpoint_id, 1)
    # Then two deliveries are pending, the notify consumer was asked for them once
    assert answer == {"after_sequence": 1, "replayed": 2}
    assert await requests_for(db, endpoint_id) == [
        {"user_id": DEMO_USER_ID, "endpoint_id": endpoint_id}
    ]
    page = await deliveries(api, auth, endpoint_id)
    assert [d["sequence"] for d in page["data"]] == [3, 2]
    assert (page["has_more"], page["next_cursor"]) == (False, None)
    newest = page["data"][0]
    assert newest == {
        **newest,
        "status": "pending",
        "attempts": 0,
        "last_status_code": None,
        "last_error": None,
        "finished_at": None,
        "attempt_log": [],
    }
    assert newest["event_id"].startswith("evt_") and newest["next_attempt_at"].endswith("Z")


async def test_pages_follow_the_cursor_and_filter_by_status(api, auth, endpoint_id):
    await replay(api, auth, endpoint_id, 0)

    first = await deliveries(api, auth, endpoint_id, limit="2")
    second = await deliveries(api, auth, endpoint_id, limit="2", cursor=first["next_cursor"])
    delivered = await deliveries(api, auth, endpoint_id, status="delivered")

    assert ([d["sequence"] for d in first["data"]], first["has_more"]) == ([3, 2], True)
    assert ([d["sequence"] for d in second["data"]], second["has_more"]) == ([1], False)
    assert second["next_cursor"] is None
    assert delivered == {"data": [], "has_more": False, "next_cursor": None}


async def test_a_failed_delivery_shows_its_attempts_and_a_retry_makes_it_pending(
    api, auth, db, endpoint_id
):
    # Given a delivery whose one attempt got a 500, and which was given up
    await replay(api, auth, endpoint_id, 2)
    (delivery,) = (await deliveries(api, auth, endpoint_id))["data"]
    attempted_at = SystemClock().now() - timedelta(seconds=5)
    async with db() as tx:
        await tx.webhook_deliveries.record_attempt(
            delivery["id"],
            DeliveryAttempt(attempted_at, 500, 42, "HTTP 500: upstream exploded"),
            DeliveryStatus.FAILED,
            attempted_at,
        )
        await tx.commit()
    (failed,) = (await deliveries(api, auth, endpoint_id, status="failed"))["data"]
    assert failed == {
        **failed,
        "status": "failed",
        "attempts": 1,
        "next_attempt_at": None,
        "last_status_code": 500,
        "last_error": "HTTP 500: upstream exploded",
    }
    (attempt,) = failed["attempt_log"]
    assert attempt == {
        **attempt,
        "status_code": 500,
        "latency_ms": 42,
        "error": "HTTP 500: upstream exploded",
    }
    # When it is retried
    response = await api.post(
        f"{ENDPOINTS}/{endpoint_id}/deliveries/{delivery['id']}/retry", headers=auth
    )
    # Then it is pending again with its attempt kept, and the notify consumer was asked
    assert response.status == 202
    retried = await response.json()
    assert (retried["id"], retried["status"], retried["finished_at"]) == (
        delivery["id"],
        "pending",
        None,
    )
    assert retried["attempt_log"] == failed["attempt_log"]
    assert len(await requests_for(db, endpoint_id)) == 2


async def test_a_delivery_of_another_endpoint_is_404(api, auth, db, endpoint_id):
    await replay(api, auth, endpoint_id, 2)
    (delivery,) = (await deliveries(api, auth, endpoint_id))["data"]
    other_endpoint = await register(api, auth)

    for delivery_id in (delivery["id"], 999999, "abc", "9" * 40, "-1"):
        response = await api.post(
            f"{ENDPOINTS}/{other_endpoint}/deliveries/{delivery_id}/retry", headers=auth
        )
        assert (await problem(response, 404))["code"] == "not_found", delivery_id
    assert await requests_for(db, other_endpoint) == []


@pytest.mark.parametrize(
    ("query", "fields"),
    [
        ({"status": "lost"}, {"status"}),
        ({"limit": "0"}, {"limit"}),
        ({"cursor": "abc"}, {"cursor"}),
        ({"cursor": "9" * 40}, {"cursor"}),
        ({"after": "1"}, {"after"}),
    ],
)
async def test_every_bad_listing_parameter_is_a_422_naming_it(
    api, auth, endpoint_id, query, fields
):
    response = await api.get(f"{ENDPOINTS}/{endpoint_id}/deliveries", params=query, headers=auth)
    assert error_fields(await problem(response, 422)) == fields


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({}, {"after_sequence"}),
        ({"after_sequence": -1}, {"after_sequence"}),
        ({"after_sequence": "1"}, {"after_sequence"}),
        ({"after_sequence": True}, {"after_sequence"}),
        ({"after_sequence": 1.5}, {"after_sequence"}),
        ({"after_sequence": 2**63}, {"after_sequence"}),
        ({"after_sequence": 0, "limit": 5}, {"limit"}),
    ],
)
async def test_every_bad_replay_body_is_a_422_naming_its_fields(
    api, auth, db, endpoint_id, body, fields
):
    response = await api.post(f"{ENDPOINTS}/{endpoint_id}/replay", json=body, headers=auth)
    assert error_fields(await problem(response, 422)) == fields
    assert await requests_for(db, endpoint_id) == []
