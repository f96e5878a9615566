"""What each provider answer means: accepted, refused for good, not taken for now (retry), or
unknown (the provider may hold the payout: retry under the same key, never release on a guess)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from payout_service.application.ports import (
    ProviderError,
    ProviderOutcomeUnknown,
    ProviderPermanentError,
    ProviderTemporaryError,
)
from payout_service.domain.provider_report import ProviderStatus
from payout_service.infrastructure.provider.classification import (
    classify_lookup,
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
def test_a_2xx_that_breaks_the_contract_is_unknown_not_a_refusal(answer: bytes) -> None:
    # A 2xx means the provider took the payout: its broken body cannot say it did not
    with pytest.raises(ProviderOutcomeUnknown) as unknown:
        classify_send(202, None, answer, NOW)
    assert unknown.value.reason == "malformed_response"
    assert unknown.value.http_status == 202


def test_429_is_not_taken_for_now_and_carries_retry_after_seconds() -> None:
    with pytest.raises(ProviderTemporaryError) as later:
        classify_send(429, "7", body(error="rate_limited"), NOW)
    assert later.value.reason == "rate_limited"
    assert later.value.retry_after == timedelta(seconds=7)
    assert later.value.http_status == 429
    assert not isinstance(later.value, ProviderOutcomeUnknown)


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
def test_5xx_is_unknown_the_provider_may_have_committed(status: int) -> None:
    with pytest.raises(ProviderOutcomeUnknown) as unknown:
        classify_send(status, None, b"upstream down", NOW)
    assert unknown.value.reason == "server_error"
    assert unknown.value.retry_after is None


@pytest.mark.parametrize("status", [400, 422])
def test_400_and_422_with_the_providers_error_code_are_definite_refusals(status: int) -> None:
    with pytest.raises(ProviderPermanentError) as refused:
        classify_send(status, None, body(error="payout_rejected"), NOW)
    assert refused.value.http_status == status
    assert "payout_rejected" in str(refused.value)


@pytest.mark.parametrize(
    ("status", "answer", "reason"),
    [
        (409, body(error="conflict"), "conflict"),
        (400, b"<html>bad gateway</html>", "unexpected_status"),
        (422, body(message="no code"), "unexpected_status"),
        (401, body(error="unauthorized"), "unexpected_status"),
        (404, body(error="not_found"), "unexpected_status"),
        (302, b"", "unexpected_status"),
    ],
)
def test_409_and_anything_undocumented_are_unknown(status: int, answer: bytes, reason: str) -> None:
    with pytest.raises(ProviderOutcomeUnknown) as unknown:
        classify_send(status, None, answer, NOW)
    assert (unknown.value.reason, unknown.value.http_status) == (reason, status)


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


def test_a_status_answer_with_an_unknown_status_is_no_answer() -> None:
    answer = body(provider_payout_id="prv_1", status="lost", updated_at=NOW.isoformat())
    with pytest.raises(ProviderError):
        classify_status(200, None, answer, NOW)


def test_an_unknown_payout_is_said_so() -> None:
    with pytest.raises(ProviderError) as missing:
        classify_status(404, None, body(error="not_found"), NOW)
    assert missing.value.reason == "not_found"


def test_a_lookup_by_reference_gives_the_record_with_what_it_pays() -> None:
    answer = body(
        provider_payout_id="prv_1",
        reference="p-1",
        status="success",
        amount="150.00",
        currency="USD",
        updated_at=NOW.isoformat(),
    )
    record = classify_lookup(200, None, answer, NOW)
    assert record is not None
    assert (record.reference, record.status, record.amount, record.currency) == (
        "p-1",
        ProviderStatus.SUCCESS,
        "150.00",
        "USD",
    )


def test_a_lookup_404_means_never_taken() -> None:
    assert classify_lookup(404, None, body(error="not_found"), NOW) is None


@pytest.mark.parametrize("status", [500, 503, 409, 400, 302])
def test_a_lookup_without_a_record_or_a_404_is_no_answer(status: int) -> None:
    with pytest.raises(ProviderError):
        classify_lookup(status, None, body(error="x"), NOW)
