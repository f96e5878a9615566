"""What each provider answer means: accepted, temporary (retry) or permanent (give up)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from payout_service.application.ports import ProviderPermanentError, ProviderTemporaryError
from payout_service.domain.provider_report import ProviderStatus
from payout_service.infrastructure.provider.classification import (
    classify_send,
    classify_status,
    parse_retry_after,
)

NOW = datetime(2026, 1, 15, 12, 0, 0, tzinfo=UTC)


def body(**fields: object) -> bytes:
    return json.dumps(fields).encode()


@pytest.mark.parametrize("status", [200, 201, 202])
def test_2xx_with_the_expected_fields_is_accepted(status: int) -> None:
    # When the provider answers the contract's body
    acceptance = classify_send(
        status, None, body(provider_payout_id="prv_1", status="accepted"), NOW
    )
    # Then the payout is accepted under the provider's id
    assert (acceptance.provider_payout_id, acceptance.http_status) == ("prv_1", status)


@pytest.mark.parametrize(
    "answer",
    [
        body(status="accepted"),
        body(provider_payout_id="", status="accepted"),
        body(provider_payout_id=42, status="accepted"),
        body(provider_payout_id="x" * 129, status="accepted"),
        body(provider_payout_id="prv_1", status="pending"),
        body(provider_payout_id="prv_1"),
        b"<html>ok</html>",
        b"[]",
        b"",
    ],
)
def test_a_2xx_that_breaks_the_contract_is_permanent(answer: bytes) -> None:
    with pytest.raises(ProviderPermanentError) as refused:
        classify_send(202, None, answer, NOW)
    assert refused.value.reason == "malformed_response"
    assert refused.value.http_status == 202


def test_429_is_temporary_and_carries_retry_after_seconds() -> None:
    with pytest.raises(ProviderTemporaryError) as later:
        classify_send(429, "7", body(error="rate_limited"), NOW)
    assert later.value.reason == "rate_limited"
    assert later.value.retry_after == timedelta(seconds=7)
    assert later.value.http_status == 429
    assert later.value.answer_lost is False


def test_429_with_an_http_date_waits_until_then() -> None:
    with pytest.raises(ProviderTemporaryError) as later:
        classify_send(429, "Thu, 15 Jan 2026 12:01:30 GMT", b"", NOW)
    assert later.value.retry_after == timedelta(seconds=90)


def test_429_without_a_usable_retry_after_leaves_the_wait_to_the_backoff() -> None:
    for header in (None, "soon", ""):
        with pytest.raises(ProviderTemporaryError) as later:
            classify_send(429, header, b"", NOW)
        assert later.value.retry_after is None


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_5xx_is_temporary(status: int) -> None:
    with pytest.raises(ProviderTemporaryError) as later:
        classify_send(status, None, b"upstream down", NOW)
    assert later.value.reason == "server_error"
    assert later.value.retry_after is None


@pytest.mark.parametrize("status", [400, 401, 403, 404, 409, 422])
def test_other_4xx_are_permanent(status: int) -> None:
    with pytest.raises(ProviderPermanentError) as refused:
        classify_send(status, None, body(error="payout_rejected"), NOW)
    assert refused.value.http_status == status
    assert "payout_rejected" in str(refused.value)


def test_retry_after_in_the_past_means_now() -> None:
    assert parse_retry_after("Thu, 15 Jan 2026 11:00:00 GMT", NOW) == timedelta(0)


@pytest.mark.parametrize(
    ("provider_status", "expected"),
    [
        ("accepted", ProviderStatus.PROCESSING),
        ("processing", ProviderStatus.PROCESSING),
        ("success", ProviderStatus.SUCCESS),
        ("failed", ProviderStatus.FAILED),
    ],
)
def test_a_status_answer_maps_to_the_payouts_view(
    provider_status: str, expected: ProviderStatus
) -> None:
    answer = body(provider_payout_id="prv_1", status=provider_status, updated_at=NOW.isoformat())
    state = classify_status(200, None, answer, NOW)
    assert (state.provider_payout_id, state.status, state.since) == ("prv_1", expected, NOW)


def test_a_status_answer_with_an_unknown_status_is_permanent() -> None:
    answer = body(provider_payout_id="prv_1", status="lost", updated_at=NOW.isoformat())
    with pytest.raises(ProviderPermanentError):
        classify_status(200, None, answer, NOW)


def test_an_unknown_payout_is_permanent_and_said_so() -> None:
    with pytest.raises(ProviderPermanentError) as refused:
        classify_status(404, None, body(error="not_found"), NOW)
    assert refused.value.reason == "not_found"
