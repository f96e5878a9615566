"""GET /api/events: the caller's events in sequence order after a sequence it has seen, in
pages that say whether more follow, filtered by type and payout; every bad parameter a 422; and
a user's sequences stay 1..N with no gap and no duplicate under concurrent creates."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from payout_service.domain.events import PAYOUT_CANCELLED, PAYOUT_CREATED
from payout_service.infrastructure.db.seed import DEMO_USER_ID
from tests.integration.helpers import (
    add_user,
    error_fields,
    payout_body,
    post_payout,
    problem,
)

OTHER_USER = 456


async def create_payouts(api, auth, count: int) -> list[str]:
    ids = []
    for n in range(count):
        body = payout_body(amount="1.00", external_reference=f"ref-{n}")
        response = await post_payout(api, auth, body, key=f"k-{n}")
        assert response.status == 201, await response.text()
        ids.append((await response.json())["id"])
    return ids


async def events(api, auth, **query: str) -> dict:
    response = await api.get("/api/events", params=query, headers=auth)
    assert response.status == 200, await response.text()
    return await response.json()


async def test_the_log_shows_each_change_as_the_payout_was_then(api, auth):
    # Given a payout created, then cancelled
    (payout_id,) = await create_payouts(api, auth, 1)
    cancelled = await api.post(f"/api/payouts/{payout_id}/cancel", headers=auth)
    assert cancelled.status == 200
    # When the caller reads its log from the start
    page = await events(api, auth)
    # Then it holds the two events, 1 and 2, each with the payout at its version
    created, cancel = page["data"]
    assert page["has_more"] is False
    assert [(e["sequence"], e["type"], e["payout_version"]) for e in page["data"]] == [
        (1, PAYOUT_CREATED, 1),
        (2, PAYOUT_CANCELLED, 2),
    ]
    assert {e["payout_id"] for e in page["data"]} == {payout_id}
    assert all(e["user_id"] == DEMO_USER_ID and e["id"].startswith("evt_") for e in page["data"])
    assert (created["data"]["status"], cancel["data"]["status"]) == ("pending", "cancelled")
    assert cancel["data"] == await (await api.get(f"/api/payouts/{payout_id}", headers=auth)).json()


async def test_pages_after_a_sequence_walk_the_log_once_and_say_when_more_follow(api, auth):
    # Given five events
    await create_payouts(api, auth, 5)
    # When the caller reads two at a time, each time after the last sequence it saw
    seen, more, after = [], [], 0
    while True:
        page = await events(api, auth, after=str(after), limit="2")
        seen += [e["sequence"] for e in page["data"]]
        more.append(page["has_more"])
        if not page["has_more"]:
            break
        after = page["data"][-1]["sequence"]
    # Then it saw 1..5 once each, in order, and the last page said no more
    assert seen == [1, 2, 3, 4, 5]
    assert more == [True, True, False]
    # And asking after the last sequence is an empty page
    assert await events(api, auth, after="5") == {"data": [], "has_more": False}


async def test_filters_by_type_and_by_payout(api, auth):
    first, second = await create_payouts(api, auth, 2)
    assert (await api.post(f"/api/payouts/{second}/cancel", headers=auth)).status == 200

    cancellations = await events(api, auth, type=PAYOUT_CANCELLED)
    of_first = await events(api, auth, payout_id=first)
    of_second_upper = await events(api, auth, payout_id=second.upper())

    assert [(e["sequence"], e["payout_id"]) for e in cancellations["data"]] == [(3, second)]
    assert [e["sequence"] for e in of_first["data"]] == [1]
    assert [e["sequence"] for e in of_second_upper["data"]] == [2, 3]


async def test_a_user_sees_only_its_own_events_numbered_from_one(api, auth, db):
    other = await add_user(db, OTHER_USER, "psk_other_user_key")
    await create_payouts(api, auth, 2)
    body = payout_body(user_id=OTHER_USER, external_reference="theirs")
    assert (await post_payout(api, other, body, key="theirs")).status == 201

    mine = await events(api, auth)
    theirs = await events(api, other)

    assert [(e["user_id"], e["sequence"]) for e in mine["data"]] == [
        (DEMO_USER_ID, 1),
        (DEMO_USER_ID, 2),
    ]
    assert [(e["user_id"], e["sequence"]) for e in theirs["data"]] == [(OTHER_USER, 1)]


@pytest.mark.parametrize(
    ("query", "fields"),
    [
        ({"after": "-1"}, {"after"}),
        ({"after": "one"}, {"after"}),
        ({"after": "1.5"}, {"after"}),
        ({"after": "²"}, {"after"}),
        ({"after": "9" * 30}, {"after"}),
        ({"limit": "0"}, {"limit"}),
        ({"limit": "101"}, {"limit"}),
        ({"limit": "²"}, {"limit"}),
        ({"type": "payout.exploded"}, {"type"}),
        ({"type": "ping"}, {"type"}),
        ({"payout_id": "p-1"}, {"payout_id"}),
        ({"payout_id": "x" * 300}, {"payout_id"}),
        ({"cursor": "abc"}, {"cursor"}),
        ({"after": "x", "limit": "x", "type": "x"}, {"after", "limit", "type"}),
    ],
)
async def test_every_bad_parameter_is_a_422_naming_it(api, auth, query, fields):
    response = await api.get("/api/events", params=query, headers=auth)

    body = await problem(response, 422)
    assert body["code"] == "validation_failed"
    assert error_fields(body) == fields


@pytest.mark.parametrize("database_url", ["mysql"], indirect=True)
async def test_fifty_concurrent_creates_of_one_user_are_numbered_1_to_50_without_gap(api, auth):
    # When one user creates 50 payouts at once
    responses = await asyncio.gather(
        *(
            post_payout(
                api,
                auth,
                payout_body(amount="1.00", external_reference=key),
                key=key,
            )
            for key in (uuid.uuid4().hex for _ in range(50))
        )
    )
    assert [r.status for r in responses] == [201] * 50
    created = {(await r.json())["id"] for r in responses}
    # Then its log holds one payout.created per payout, numbered exactly 1..50
    log = []
    after = 0
    while True:
        page = await events(api, auth, after=str(after), limit="100")
        log += page["data"]
        if not page["has_more"]:
            break
        after = page["data"][-1]["sequence"]
    assert [e["sequence"] for e in log] == list(range(1, 51))
    assert {e["payout_id"] for e in log if e["type"] == PAYOUT_CREATED} == created
