import pytest

from tests.integration.helpers import (
    add_user,
    held_minor,
    payout_body,
    post_payout,
    problem,
    written_rows,
)

OTHER_USER = 456


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer psk_not_a_key"},
        {"Authorization": "Bearer "},
        {"Authorization": "Basic cHNrOng="},
        {"Authorization": "psk_demo_user123_local_only"},
    ],
    ids=["missing", "unknown", "empty", "basic scheme", "no scheme"],
)
@pytest.mark.parametrize(
    ("method", "path"),
    [("POST", "/api/payouts"), ("GET", "/api/payouts"), ("GET", "/api/payouts/some-id")],
)
async def test_requests_without_a_valid_key_are_unauthenticated(api, db, headers, method, path):
    # When a request carries no key, an unknown key or no Bearer scheme
    response = await api.request(
        method, path, json=payout_body(), headers={**headers, "Idempotency-Key": "key-1"}
    )
    # Then it is a 401 problem with a Bearer challenge, and nothing is written
    assert (await problem(response, 401))["code"] == "unauthenticated"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert (await written_rows(db))["payouts"] == 0


async def test_another_users_payout_is_not_found(api, auth, db):
    # Given a payout of the demo user, and a second user with a key of its own
    payout = await (await post_payout(api, auth, payout_body())).json()
    other = await add_user(db, OTHER_USER, "psk_other_user_key")
    # When the second user asks for it
    response = await api.get(f"/api/payouts/{payout['id']}", headers=other)
    # Then it does not exist for them, told exactly as an unknown id would be
    missing = await api.get("/api/payouts/00000000-0000-4000-8000-000000000000", headers=other)
    assert (await problem(response, 404))["code"] == "not_found"
    assert (await problem(missing, 404))["code"] == "not_found"


async def test_another_users_payouts_are_not_listed(api, auth, db):
    # Given a payout of the demo user
    await post_payout(api, auth, payout_body())
    other = await add_user(db, OTHER_USER, "psk_other_user_key")
    # When the second user lists payouts
    response = await api.get("/api/payouts", headers=other)
    # Then the list is empty
    assert response.status == 200
    assert (await response.json())["data"] == []


async def test_a_body_user_id_of_another_user_is_forbidden(api, auth, db):
    # Given a second user with funds
    await add_user(db, OTHER_USER, "psk_other_user_key")
    before = await written_rows(db)
    # When the demo user's key asks to pay out for the second user
    response = await post_payout(api, auth, payout_body(user_id=OTHER_USER))
    # Then it is a 403 problem and nothing is written or held
    assert (await problem(response, 403))["code"] == "forbidden"
    assert await written_rows(db) == before
    assert await held_minor(db, OTHER_USER) == 0


async def test_each_users_key_acts_for_that_user(api, auth, db):
    # Given a second user with a key of its own
    other = await add_user(db, OTHER_USER, "psk_other_user_key")
    # When both create a payout under the same idempotency key and reference
    mine = await post_payout(api, auth, payout_body())
    theirs = await post_payout(api, other, payout_body(user_id=OTHER_USER))
    # Then keys and references are scoped per user: two payouts, each holding its own funds
    assert (mine.status, theirs.status) == (201, 201)
    assert "Idempotent-Replayed" not in theirs.headers
    assert (await theirs.json())["user_id"] == OTHER_USER
    assert (await held_minor(db), await held_minor(db, OTHER_USER)) == (15000, 15000)
