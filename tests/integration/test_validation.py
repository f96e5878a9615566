"""Every bad input is a 4xx problem that names what is wrong, and writes nothing."""

import json
from typing import Any

import pytest

from tests.integration.helpers import error_fields, payout_body, problem, written_rows

JSON = "application/json"


def without(field: str) -> dict[str, Any]:
    body = payout_body()
    del body[field]
    return body


def raw(body: str | bytes, content_type: str = JSON) -> tuple[str | bytes, str]:
    return body, content_type


def as_json(body: dict[str, Any]) -> tuple[str, str]:
    return json.dumps(body), JSON


# (request body and content type, status, problem code, the fields its `errors` must name)
CASES: dict[str, tuple[tuple[str | bytes, str], int, str, set[str] | None]] = {
    "malformed json": (raw('{"user_id": 123,'), 400, "malformed_json", None),
    "json that is not an object": (raw('["user_id", 123]'), 400, "malformed_json", None),
    "invalid utf-8": (raw(b'{"wallet": "\xff"}'), 400, "malformed_json", None),
    "lone surrogate in metadata": (
        as_json(payout_body(metadata={"note": "\ud800"})),
        400,
        "malformed_json",
        None,
    ),
    "wrong content type": (raw(json.dumps(payout_body()), "text/plain"), 415, None, None),
    "form content type": (raw("user_id=123", "application/x-www-form-urlencoded"), 415, None, None),
    "body over 64 KiB": (
        as_json(payout_body(wallet="W" * 64 * 1024)),
        413,
        "payload_too_large",
        None,
    ),
    "unknown field": (as_json(payout_body(note="hi")), 422, "validation_failed", {"note"}),
    "amount as json number": (
        as_json(payout_body(amount=150.0)),
        422,
        "validation_failed",
        {"amount"},
    ),
    "amount as json integer": (
        as_json(payout_body(amount=150)),
        422,
        "validation_failed",
        {"amount"},
    ),
    "too many decimals for usd": (
        as_json(payout_body(amount="1.234")),
        422,
        "validation_failed",
        {"amount"},
    ),
    "zero amount": (as_json(payout_body(amount="0")), 422, "validation_failed", {"amount"}),
    "negative amount": (as_json(payout_body(amount="-1")), 422, "validation_failed", {"amount"}),
    "non-numeric amount": (
        as_json(payout_body(amount="abc")),
        422,
        "validation_failed",
        {"amount"},
    ),
    "amount above the maximum": (
        as_json(payout_body(amount="1000000.01")),
        422,
        "validation_failed",
        {"amount"},
    ),
    "unknown currency": (
        as_json(payout_body(currency="XYZ")),
        422,
        "validation_failed",
        {"currency"},
    ),
    "wallet too long": (
        as_json(payout_body(wallet="W" * 256)),
        422,
        "validation_failed",
        {"wallet"},
    ),
    "external reference too long": (
        as_json(payout_body(external_reference="r" * 129)),
        422,
        "validation_failed",
        {"external_reference"},
    ),
    "blank wallet": (as_json(payout_body(wallet="  ")), 422, "validation_failed", {"wallet"}),
    "wallet with a control character": (
        as_json(payout_body(wallet="W1\n")),
        422,
        "validation_failed",
        {"wallet"},
    ),
    "user_id as string": (
        as_json(payout_body(user_id="123")),
        422,
        "validation_failed",
        {"user_id"},
    ),
    "user_id as bool": (as_json(payout_body(user_id=True)), 422, "validation_failed", {"user_id"}),
    "user_id negative": (as_json(payout_body(user_id=-123)), 422, "validation_failed", {"user_id"}),
    "null amount": (as_json(payout_body(amount=None)), 422, "validation_failed", {"amount"}),
    "several bad fields at once": (
        as_json(payout_body(amount=1, currency=None, extra=1)),
        422,
        "validation_failed",
        {"amount", "currency", "extra"},
    ),
    **{
        f"missing {field}": (as_json(without(field)), 422, "validation_failed", {field})
        for field in ("user_id", "amount", "currency", "wallet", "external_reference")
    },
}


@pytest.mark.parametrize(("request_body", "status", "code", "fields"), CASES.values(), ids=CASES)
async def test_bad_input_is_a_problem_that_writes_nothing(
    api, auth, db, request_body, status, code, fields
):
    # Given a request that is wrong in exactly one way (or the named ways)
    data, content_type = request_body
    before = await written_rows(db)
    # When it is posted with a valid key
    response = await api.post(
        "/api/payouts",
        data=data,
        headers={**auth, "Idempotency-Key": "key-1", "Content-Type": content_type},
    )
    # Then it is the documented problem, listing each bad field, and nothing is written
    body = await problem(response, status)
    if code is not None:
        assert body["code"] == code
    if fields is None:
        assert "errors" not in body
    else:
        assert error_fields(body) == fields
        assert all(error["message"] for error in body["errors"])
    assert await written_rows(db) == before


async def test_a_refused_request_does_not_use_up_its_key(api, auth):
    # Given a request refused for a bad amount under key-1
    refused = await api.post(
        "/api/payouts",
        json=payout_body(amount="1.234"),
        headers={**auth, "Idempotency-Key": "key-1"},
    )
    assert refused.status == 422
    # When the corrected request is sent under key-1
    corrected = await api.post(
        "/api/payouts", json=payout_body(), headers={**auth, "Idempotency-Key": "key-1"}
    )
    # Then it is created, not compared with the refused one
    assert corrected.status == 201
    assert "Idempotent-Replayed" not in corrected.headers
