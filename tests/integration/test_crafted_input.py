"""Crafted input the API once answered with a 500: each is now a 4xx problem naming what is
wrong, and writes nothing."""

from __future__ import annotations

import base64
import json

import pytest

from tests.integration.helpers import error_fields, payout_body, problem, written_rows
from tests.integration.webhook_support import count, post_webhook, raw, webhook

ROW_ID = "00000000-0000-4000-8000-000000000001"
JSON = {"Content-Type": "application/json"}


def cursor(text: str) -> str:
    """A list cursor as the API encodes one: URL-safe base64 of "<moment>|<row id>"."""
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


# (GET path and query, the one field its 422 names)
QUERIES = {
    "superscript digit limit": ("/api/payouts?limit=²", "limit"),
    "4 000-digit limit": ("/api/payouts?limit=" + "9" * 4000, "limit"),
    "ledger cursor past a BIGINT": (
        "/api/accounts/USD/ledger?cursor=9999999999999999999",
        "cursor",
    ),
    "cursor in year 1 east of UTC": (
        "/api/payouts?cursor=" + cursor(f"0001-01-01T00:00:00+05:00|{ROW_ID}"),
        "cursor",
    ),
    "cursor in year 9999 west of UTC": (
        "/api/payouts?cursor=" + cursor(f"9999-12-31T23:59:59-05:00|{ROW_ID}"),
        "cursor",
    ),
    "batch cursor in year 1 east of UTC": (
        "/api/payout-batches?cursor=" + cursor(f"0001-01-01T00:00:00+05:00|{ROW_ID}"),
        "cursor",
    ),
    "cursor before year 1000": (
        "/api/payouts?cursor=" + cursor(f"0999-01-01T00:00:00+00:00|{ROW_ID}"),
        "cursor",
    ),
    "cursor whose row id is no id": (
        "/api/payouts?cursor=" + cursor("2026-01-01T00:00:00+00:00|x"),
        "cursor",
    ),
    "created_gte in year 1 east of UTC": (
        "/api/payouts?created_gte=0001-01-01T00:00:00%2B05:00",
        "created_gte",
    ),
    "created_lt in year 9999 west of UTC": (
        "/api/payouts?created_lt=9999-12-31T23:59:59-23:59",
        "created_lt",
    ),
    "a parameter given twice": ("/api/payouts?limit=1&limit=2", "limit"),
    "event after with a superscript digit": ("/api/events?after=²", "after"),
    "delivery limit with a superscript digit": (
        "/api/webhook-endpoints/we_1/deliveries?limit=²",
        "limit",
    ),
}


@pytest.mark.parametrize(("path", "field"), QUERIES.values(), ids=QUERIES)
async def test_a_crafted_query_is_a_422_naming_its_parameter(api, auth, path, field):
    response = await api.get(path, headers=auth)
    body = await problem(response, 422)
    assert error_fields(body) == {field}


@pytest.mark.parametrize(
    "path",
    [
        "/api/payouts/" + "x" * 5000,
        "/api/payouts/%ED%A0%80",
        "/api/payouts/²",
    ],
)
async def test_a_path_that_can_name_no_payout_is_a_404_that_does_not_echo_it(api, auth, path):
    response = await api.get(path, headers=auth)
    body = await problem(response, 404)
    assert len(body["detail"]) < 100


async def test_a_json_integer_of_5000_digits_is_a_400_and_writes_nothing(api, auth, db):
    # Given a payout whose user_id has more digits than Python's int() will read
    text = json.dumps(payout_body(user_id=0)).replace('"user_id": 0', '"user_id": ' + "9" * 5000)
    before = await written_rows(db)
    # When it is posted
    response = await api.post(
        "/api/payouts", data=text, headers={**auth, **JSON, "Idempotency-Key": "k-big"}
    )
    # Then it is a malformed-JSON problem, and nothing is written
    body = await problem(response, 400)
    assert body["code"] == "malformed_json"
    assert "number" in body["detail"]
    assert await written_rows(db) == before


@pytest.mark.parametrize("number", ["NaN", "Infinity", "-Infinity", "1" * 41, "1." + "5" * 40])
async def test_numbers_json_does_not_have_or_of_unbounded_length_are_400s(api, auth, number):
    text = json.dumps(payout_body(user_id=0)).replace('"user_id": 0', f'"user_id": {number}')
    response = await api.post(
        "/api/payouts", data=text, headers={**auth, **JSON, "Idempotency-Key": "k-nan"}
    )
    assert (await problem(response, 400))["code"] == "malformed_json"


async def test_a_user_id_beyond_a_bigint_is_a_422(api, auth):
    response = await api.post(
        "/api/payouts",
        json=payout_body(user_id=2**63),
        headers={**auth, "Idempotency-Key": "k-huge-user"},
    )
    assert error_fields(await problem(response, 422)) == {"user_id"}


async def test_thousands_of_unknown_fields_get_a_short_answer_that_counts_them(api, auth):
    # Given a 58 KB body of 5 000 unknown fields beside a valid payout
    body = {**payout_body(), **{f"x{n:05d}": 1 for n in range(5000)}}
    data = json.dumps(body, separators=(",", ":"))
    assert 50_000 < len(data) < 65_536
    # When it is posted
    response = await api.post(
        "/api/payouts", data=data, headers={**auth, **JSON, "Idempotency-Key": "k-fields"}
    )
    # Then the problem lists the first 50, counts the others, and stays small
    problem_body = await problem(response, 422)
    assert len(problem_body["errors"]) == 50
    assert problem_body["errors_not_listed"] == 4950
    assert problem_body["detail"].startswith("5000 errors")
    assert len(await response.read()) < 8 * 1024


async def test_a_few_errors_are_all_listed_with_no_count_of_others(api, auth):
    response = await api.post(
        "/api/payouts",
        json=payout_body(amount=1, currency=None, extra=1),
        headers={**auth, "Idempotency-Key": "k-few"},
    )
    body = await problem(response, 422)
    assert error_fields(body) == {"amount", "currency", "extra"}
    assert "errors_not_listed" not in body


@pytest.mark.parametrize(
    "occurred_at",
    [
        "9999-12-31T23:59:59-23:59",  # after year 9999 in UTC
        "0001-01-01T00:00:00+05:00",  # before year 1 in UTC
        "0999-06-01T00:00:00+00:00",  # a year no database column here can hold
        "2026-01-01",  # a date, not an RFC 3339 time
    ],
)
async def test_a_signed_webhook_whose_time_cannot_be_stored_is_a_422(webhook_api, db, occurred_at):
    # Given a correctly signed webhook whose occurred_at overflows (or is out of range)
    data = raw(webhook("evt-overflow", occurred_at=occurred_at))
    # When it arrives
    response = await post_webhook(webhook_api, data)
    # Then it is refused on that field (the provider stops retrying), and nothing is stored
    assert error_fields(await problem(response, 422)) == {"occurred_at"}
    assert await count(db, "provider_webhook_events") == 0


async def test_a_batch_rejection_lists_every_bad_item_under_a_short_detail(api, auth):
    # Given a batch of 60 items, every one with an amount sent as a number
    item = {"amount": 1, "currency": "USD", "wallet": "W", "external_reference": "r"}
    items = [{**item, "external_reference": f"r-{n}"} for n in range(60)]
    # When it is posted
    response = await api.post(
        "/api/payout-batches", json={"items": items}, headers={**auth, "Idempotency-Key": "b-60"}
    )
    # Then every item is named (more than a validation problem lists), the detail stays short
    body = await problem(response, 422)
    assert body["code"] == "batch_rejected"
    assert sorted(e["index"] for e in body["errors"]) == list(range(60))
    assert "errors_not_listed" not in body
    assert len(body["detail"]) <= 500


async def test_a_long_unknown_parameter_is_named_whole_under_a_short_detail(api, auth):
    name = "p" * 3000
    response = await api.get(f"/api/payouts?{name}=1", headers=auth)
    body = await problem(response, 422)
    assert error_fields(body) == {name}
    assert len(body["detail"]) <= 500
    assert body["detail"].endswith("…")
