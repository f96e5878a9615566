"""/api/webhook-endpoints over HTTP: registered with a secret shown once, read, changed,
rotated, pinged and deleted; only ever the caller's; URLs that could reach inside refused with
a 422 naming the url and why; every bad body a 4xx problem that writes nothing."""

from __future__ import annotations

import json

import pytest

from payout_service.application.manage_webhook_endpoints import MAX_ENDPOINTS_PER_USER
from payout_service.domain.client_events import (
    DELIVERIES_REQUESTED,
    ENDPOINT_AGGREGATE,
    PING_REQUESTED,
)
from payout_service.domain.events import PAYOUT_CREATED, PAYOUT_SUCCEEDED
from payout_service.infrastructure.db.seed import DEMO_USER_ID
from tests.integration.helpers import (
    add_user,
    error_fields,
    payout_body,
    post_payout,
    problem,
    rows,
)

ENDPOINTS = "/api/webhook-endpoints"
RECEIVER = "http://127.0.0.1:8999/hooks"  # loopback: allowed over http in the tests' settings
OTHER_USER = 456
OTHER_KEY = "psk_other_user_key"


def endpoint_body(**changes) -> dict:
    return {"url": RECEIVER, "event_types": ["*"], "description": "ledger sync", **changes}


async def register(api, auth, **changes) -> dict:
    response = await api.post(ENDPOINTS, json=endpoint_body(**changes), headers=auth)
    assert response.status == 201, await response.text()
    return await response.json()


async def endpoint_count(db) -> int:
    (row,) = await rows(db, "SELECT COUNT(*) AS n FROM webhook_endpoints")
    return int(row["n"])


async def outbox_requests(db, endpoint_id: str) -> list[tuple[str, str, dict]]:
    found = await rows(
        db,
        "SELECT event_name, aggregate_type, payload FROM outbox_messages"
        " WHERE aggregate_id = %s ORDER BY id",
        endpoint_id,
    )
    return [(r["event_name"], r["aggregate_type"], json.loads(r["payload"])) for r in found]


async def test_register_answers_201_with_the_secret_once(api, auth):
    # Given a user with one event already
    assert (await post_payout(api, auth, payout_body())).status == 201
    # When it registers an endpoint
    created = await register(api, auth, event_types=[PAYOUT_CREATED, PAYOUT_SUCCEEDED])
    # Then the answer holds the endpoint and its signing secret
    assert created["id"].startswith("we_")
    assert created["secret"].startswith("whsec_")
    assert created == {
        **created,
        "url": RECEIVER,
        "event_types": [PAYOUT_CREATED, PAYOUT_SUCCEEDED],
        "description": "ledger sync",
        "state": "enabled",
        "failing_since": None,
        "previous_secret_signs_until": None,
        "after_sequence": 1,
    }
    assert created["created_at"].endswith("Z")
    # And reading it back, one or all, never shows the secret again
    one = await (await api.get(f"{ENDPOINTS}/{created['id']}", headers=auth)).json()
    listed = await (await api.get(ENDPOINTS, headers=auth)).json()
    without_secret = {k: v for k, v in created.items() if k != "secret"}
    assert one == without_secret
    assert listed == {"data": [without_secret], "has_more": False}


async def test_description_is_optional(api, auth):
    response = await api.post(ENDPOINTS, json={"url": RECEIVER, "event_types": ["*"]}, headers=auth)
    assert response.status == 201
    assert (await response.json())["description"] == ""


async def test_patch_changes_the_given_fields_and_disabling_then_enabling_asks_for_deliveries(
    api, auth, db
):
    endpoint = await register(api, auth)
    path = f"{ENDPOINTS}/{endpoint['id']}"

    changed = await api.patch(
        path,
        json={"url": "http://127.0.0.1:9000/v2", "event_types": [PAYOUT_SUCCEEDED]},
        headers=auth,
    )
    disabled = await api.patch(path, json={"disabled": True}, headers=auth)
    enabled = await api.patch(path, json={"disabled": False}, headers=auth)

    assert changed.status == 200
    body = await changed.json()
    assert (body["url"], body["event_types"], body["description"]) == (
        "http://127.0.0.1:9000/v2",
        [PAYOUT_SUCCEEDED],
        "ledger sync",
    )
    assert "secret" not in body
    assert (await disabled.json())["state"] == "disabled"
    assert (await enabled.json())["state"] == "enabled"
    # the re-enabling, and only it, asked the notify consumer for the deliveries that waited
    assert await outbox_requests(db, endpoint["id"]) == [
        (
            DELIVERIES_REQUESTED,
            ENDPOINT_AGGREGATE,
            {"user_id": DEMO_USER_ID, "endpoint_id": endpoint["id"]},
        )
    ]


async def test_rotation_answers_a_new_secret_and_the_previous_one_signs_for_the_overlap(
    api, auth, settings
):
    endpoint = await register(api, auth)

    response = await api.post(f"{ENDPOINTS}/{endpoint['id']}/rotate-secret", headers=auth)

    assert response.status == 200
    rotated = await response.json()
    assert rotated["secret"].startswith("whsec_") and rotated["secret"] != endpoint["secret"]
    assert rotated["previous_secret_signs_until"] is not None
    read = await (await api.get(f"{ENDPOINTS}/{endpoint['id']}", headers=auth)).json()
    assert "secret" not in read
    assert read["previous_secret_signs_until"] == rotated["previous_secret_signs_until"]
    assert settings.webhook_secret_overlap_hours == 24  # the default the overlap follows


async def test_test_answers_202_and_asks_the_notify_consumer_for_a_ping(api, auth, db):
    endpoint = await register(api, auth)

    response = await api.post(f"{ENDPOINTS}/{endpoint['id']}/test", headers=auth)

    assert response.status == 202
    assert await response.json() == {"endpoint_id": endpoint["id"], "ping": "requested"}
    assert await outbox_requests(db, endpoint["id"]) == [
        (
            PING_REQUESTED,
            ENDPOINT_AGGREGATE,
            {"user_id": DEMO_USER_ID, "endpoint_id": endpoint["id"]},
        )
    ]


async def test_delete_answers_204_and_the_endpoint_is_gone(api, auth, db):
    endpoint = await register(api, auth)
    path = f"{ENDPOINTS}/{endpoint['id']}"

    deleted = await api.delete(path, headers=auth)

    assert deleted.status == 204
    assert await deleted.read() == b""
    assert (await problem(await api.get(path, headers=auth), 404))["code"] == "not_found"
    assert (await problem(await api.delete(path, headers=auth), 404))["code"] == "not_found"
    assert await endpoint_count(db) == 0


async def test_another_users_endpoint_is_404_whatever_is_asked_and_stays_as_it_was(api, auth, db):
    # Given an endpoint of another user
    other = await add_user(db, OTHER_USER, OTHER_KEY)
    theirs = await register(api, other)
    path = f"{ENDPOINTS}/{theirs['id']}"
    # When the demo user asks anything of it
    answers = [
        await api.get(path, headers=auth),
        await api.patch(path, json={"disabled": True}, headers=auth),
        await api.delete(path, headers=auth),
        await api.post(f"{path}/rotate-secret", headers=auth),
        await api.post(f"{path}/test", headers=auth),
        await api.get(f"{path}/deliveries", headers=auth),
        await api.post(f"{path}/deliveries/1/retry", headers=auth),
        await api.post(f"{path}/replay", json={"after_sequence": 0}, headers=auth),
    ]
    # Then every answer is a 404, the list is empty, and the endpoint is untouched
    for answer in answers:
        assert (await problem(answer, 404))["code"] == "not_found"
    assert await (await api.get(ENDPOINTS, headers=auth)).json() == {"data": [], "has_more": False}
    still = await (await api.get(path, headers=other)).json()
    assert {k: v for k, v in theirs.items() if k != "secret"} == still
    assert await outbox_requests(db, theirs["id"]) == []


@pytest.mark.parametrize(
    "path",
    [f"{ENDPOINTS}/we_000000000000000000000000", f"{ENDPOINTS}/{'x' * 300}", f"{ENDPOINTS}/%00"],
)
async def test_an_unknown_endpoint_is_a_404(api, auth, path):
    for method in ("GET", "DELETE"):
        response = await api.request(method, path, headers=auth)
        assert (await problem(response, 404))["code"] == "not_found"


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("http://93.184.216.34/hooks", "http:// is allowed to loopback only"),
        ("https://10.0.0.1/hooks", "a private address"),
        ("https://192.168.1.20/hooks", "a private address"),
        ("https://[::ffff:10.0.0.1]/hooks", "a private address"),
        ("https://169.254.169.254/latest/meta-data", "link-local"),
        ("https://user:secret@127.0.0.1/hooks", "must not carry credentials"),
        ("ftp://127.0.0.1/hooks", "https://"),
        ("https://0.0.0.0/hooks", "not a unicast address"),
        ("https://does-not-exist.invalid/hooks", "does not resolve"),
        ("https://127.0.0.1:99999/hooks", "is not a URL"),
        ("https://a..b/hooks", ""),
        ("not a url", "printable ASCII without spaces"),
    ],
)
async def test_a_url_that_could_reach_inside_is_a_422_naming_the_url_and_why(
    api, auth, db, url, why
):
    response = await api.post(ENDPOINTS, json=endpoint_body(url=url), headers=auth)

    body = await problem(response, 422)
    assert body["code"] == "validation_failed"
    (error,) = body["errors"]
    assert error["field"] == "url" and why in error["message"]
    assert await endpoint_count(db) == 0


async def test_a_changed_url_is_refused_the_same_way(api, auth):
    endpoint = await register(api, auth)

    response = await api.patch(
        f"{ENDPOINTS}/{endpoint['id']}", json={"url": "https://10.0.0.1/"}, headers=auth
    )

    assert error_fields(await problem(response, 422)) == {"url"}
    read = await (await api.get(f"{ENDPOINTS}/{endpoint['id']}", headers=auth)).json()
    assert read["url"] == RECEIVER


async def test_http_to_loopback_is_accepted_with_the_tests_settings(api, auth, settings):
    assert settings.allows_http_loopback
    for url in ("http://127.0.0.1:8123/hooks", "http://localhost:8123/x?y=1", "http://[::1]:8/"):
        assert (await api.post(ENDPOINTS, json=endpoint_body(url=url), headers=auth)).status == 201


async def test_a_user_may_have_only_so_many_endpoints(api, auth, db):
    for _ in range(MAX_ENDPOINTS_PER_USER):
        await register(api, auth)

    response = await api.post(ENDPOINTS, json=endpoint_body(), headers=auth)

    assert (await problem(response, 409))["code"] == "endpoint_limit_reached"
    assert await endpoint_count(db) == MAX_ENDPOINTS_PER_USER


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"event_types": ["*"]}, {"url"}),
        ({"url": RECEIVER}, {"event_types"}),
        (endpoint_body(url=7), {"url"}),
        (endpoint_body(url=""), {"url"}),
        (endpoint_body(url="http://127.0.0.1/" + "a" * 2048), {"url"}),
        (endpoint_body(event_types=[]), {"event_types"}),
        (endpoint_body(event_types="*"), {"event_types"}),
        (endpoint_body(event_types=["payout.exploded"]), {"event_types"}),
        (endpoint_body(event_types=["ping"]), {"event_types"}),
        (endpoint_body(event_types=[PAYOUT_CREATED, PAYOUT_CREATED]), {"event_types"}),
        (endpoint_body(event_types=["*", PAYOUT_CREATED]), {"event_types"}),
        (endpoint_body(event_types=[1]), {"event_types"}),
        (endpoint_body(description="d" * 256), {"description"}),
        (endpoint_body(description=None), {"description"}),
        (endpoint_body(description="bell\a"), {"description"}),
        (endpoint_body(secret="whsec_mine"), {"secret"}),
        ({"url": None, "event_types": None}, {"url", "event_types"}),
    ],
)
async def test_every_bad_body_is_a_422_naming_its_fields_and_writes_nothing(
    api, auth, db, body, fields
):
    response = await api.post(ENDPOINTS, json=body, headers=auth)

    assert error_fields(await problem(response, 422)) == fields
    assert await endpoint_count(db) == 0


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"disabled": "yes"}, {"disabled"}),
        ({"disabled": None}, {"disabled"}),
        ({"event_types": []}, {"event_types"}),
        ({"state": "enabled"}, {"state"}),
        ({"secret": "whsec_mine"}, {"secret"}),
    ],
)
async def test_every_bad_change_is_a_422_naming_its_fields(api, auth, body, fields):
    endpoint = await register(api, auth)

    response = await api.patch(f"{ENDPOINTS}/{endpoint['id']}", json=body, headers=auth)

    assert error_fields(await problem(response, 422)) == fields


async def test_bodies_that_are_not_json_objects_are_4xx_problems(api, auth):
    endpoint = await register(api, auth)
    for method, path in (
        ("POST", ENDPOINTS),
        ("PATCH", f"{ENDPOINTS}/{endpoint['id']}"),
        ("POST", f"{ENDPOINTS}/{endpoint['id']}/replay"),
    ):
        malformed = await api.request(
            method, path, data="{", headers={**auth, "Content-Type": "application/json"}
        )
        listed = await api.request(method, path, json=["url"], headers=auth)
        text = await api.request(method, path, data="url=x", headers=auth)
        assert (await problem(malformed, 400))["code"] == "malformed_json", path
        assert (await problem(listed, 400))["code"] == "malformed_json", path
        assert (await problem(text, 415))["code"] == "unsupported_media_type", path
