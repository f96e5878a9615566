"""The aiohttp provider client against the mock provider on 127.0.0.1: each mode's answer is
classified as the contract says (accepted, refused, not taken for now, or unknown), network
failures included, and the lookup by our reference finds what the provider holds."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import aiohttp
import pytest

from payout_service.application.ports import (
    PayoutInstruction,
    ProviderError,
    ProviderOutcomeUnknown,
    ProviderPermanentError,
    ProviderTemporaryError,
)
from payout_service.domain.provider_report import ProviderStatus
from payout_service.infrastructure.provider.http_client import AiohttpProviderClient
from payout_service.provider_mock.provider import MockMode
from tests.integration.processes import eventually
from tests.integration.provider_support import MockServer, quiet_mock, serving_mock
from tests.processes import free_port

INSTRUCTION = PayoutInstruction(
    idempotency_key="payout-p1",
    reference="p1",
    amount="150.00",
    currency="USD",
    wallet="W1",
    metadata={"external_reference": "ref-1"},
)


def client_of(url: str, total: float = 1.0) -> AiohttpProviderClient:
    return AiohttpProviderClient(url, aiohttp.ClientTimeout(total=total, connect=0.5))


@pytest.fixture
async def slow_mock() -> AsyncIterator[MockServer]:
    async with serving_mock(quiet_mock(stall=2.0)) as server:
        yield server


@pytest.fixture
async def client(slow_mock: MockServer) -> AsyncIterator[AiohttpProviderClient]:
    provider = client_of(slow_mock.url)
    yield provider
    await provider.close()


async def test_success_is_an_acceptance_with_the_providers_id(
    client: AiohttpProviderClient, slow_mock: MockServer
) -> None:
    acceptance = await client.send_payout(INSTRUCTION)
    held = slow_mock.provider.payout_for_key("payout-p1")
    assert held is not None
    assert acceptance.provider_payout_id == held.provider_payout_id
    assert acceptance.http_status == 202
    # the provider keeps our payout id as its reference, the client's reference as metadata
    assert held.request == {
        "reference": "p1",
        "amount": "150.00",
        "currency": "USD",
        "wallet": "W1",
        "metadata": {"external_reference": "ref-1"},
    }


async def test_rate_limit_is_not_taken_for_now_with_the_providers_wait(
    client: AiohttpProviderClient, slow_mock: MockServer
) -> None:
    slow_mock.provider.script(MockMode.RATE_LIMIT)
    with pytest.raises(ProviderTemporaryError) as later:
        await client.send_payout(INSTRUCTION)
    assert (later.value.reason, later.value.http_status) == ("rate_limited", 429)
    assert later.value.retry_after == timedelta(seconds=1)
    assert not isinstance(later.value, ProviderOutcomeUnknown)


async def test_a_server_error_is_an_unknown_outcome(
    client: AiohttpProviderClient, slow_mock: MockServer
) -> None:
    # A 503 cannot say whether the provider committed the payout before failing
    slow_mock.provider.script(MockMode.SERVER_ERROR)
    with pytest.raises(ProviderOutcomeUnknown) as unknown:
        await client.send_payout(INSTRUCTION)
    assert (unknown.value.reason, unknown.value.http_status) == ("server_error", 503)


async def test_a_server_error_after_the_provider_took_the_payout_is_an_unknown_outcome(
    client: AiohttpProviderClient, slow_mock: MockServer
) -> None:
    slow_mock.provider.script(MockMode.SERVER_ERROR_AFTER_COMMIT)
    with pytest.raises(ProviderOutcomeUnknown) as unknown:
        await client.send_payout(INSTRUCTION)
    assert (unknown.value.reason, unknown.value.http_status) == ("server_error", 500)
    assert slow_mock.provider.payout_for_key("payout-p1") is not None


async def test_a_success_with_a_broken_body_is_an_unknown_outcome(
    client: AiohttpProviderClient, slow_mock: MockServer
) -> None:
    slow_mock.provider.script(MockMode.MALFORMED_SUCCESS)
    with pytest.raises(ProviderOutcomeUnknown) as unknown:
        await client.send_payout(INSTRUCTION)
    assert (unknown.value.reason, unknown.value.http_status) == ("malformed_response", 200)
    assert slow_mock.provider.payout_for_key("payout-p1") is not None


async def test_a_conflict_on_a_retry_is_an_unknown_outcome(
    client: AiohttpProviderClient, slow_mock: MockServer
) -> None:
    # Given a payout the provider took under the key
    first = await client.send_payout(INSTRUCTION)
    # When a retry under the same key is answered 409
    slow_mock.provider.script(MockMode.CONFLICT_ON_RETRY)
    with pytest.raises(ProviderOutcomeUnknown) as unknown:
        await client.send_payout(INSTRUCTION)
    # Then it says nothing definite, and the provider still holds its one payout
    assert (unknown.value.reason, unknown.value.http_status) == ("conflict", 409)
    assert list(slow_mock.provider.payouts) == [first.provider_payout_id]


async def test_a_timeout_is_an_unknown_outcome_and_the_retry_learns_the_payout(
    client: AiohttpProviderClient, slow_mock: MockServer
) -> None:
    slow_mock.provider.script(MockMode.TIMEOUT_AFTER_COMMIT)
    with pytest.raises(ProviderOutcomeUnknown) as unknown:
        await client.send_payout(INSTRUCTION)
    assert (unknown.value.reason, unknown.value.http_status) == ("timeout", None)
    # and the provider did take it: the next call, same key, learns the same payout
    again = await client.send_payout(INSTRUCTION)
    held = slow_mock.provider.payout_for_key("payout-p1")
    assert held is not None and again.provider_payout_id == held.provider_payout_id
    assert len(slow_mock.provider.payouts) == 1


async def test_permanent_error_is_a_definite_refusal(
    client: AiohttpProviderClient, slow_mock: MockServer
) -> None:
    slow_mock.provider.script(MockMode.PERMANENT_ERROR)
    with pytest.raises(ProviderPermanentError) as refused:
        await client.send_payout(INSTRUCTION)
    assert (refused.value.reason, refused.value.http_status) == ("rejected", 400)
    assert slow_mock.provider.payouts == {}


async def test_a_provider_nobody_listens_for_is_unreachable_not_unknown() -> None:
    client = client_of(f"http://127.0.0.1:{free_port()}")
    try:
        with pytest.raises(ProviderTemporaryError) as later:
            await client.send_payout(INSTRUCTION)
    finally:
        await client.close()
    assert later.value.reason == "unreachable"
    assert not isinstance(later.value, ProviderOutcomeUnknown)


async def test_get_payout_reads_the_providers_status(
    client: AiohttpProviderClient, slow_mock: MockServer
) -> None:
    acceptance = await client.send_payout(INSTRUCTION)
    state = await eventually(
        lambda: client.get_payout(acceptance.provider_payout_id),
        lambda s: s.status is ProviderStatus.SUCCESS,
        timeout=5,
        what="the provider's success",
    )
    held = slow_mock.provider.payouts[acceptance.provider_payout_id]
    assert state.since == held.updated_at
    assert (state.reference, state.amount, state.currency) == ("p1", "150.00", "USD")


async def test_get_of_an_unknown_payout_is_not_found(client: AiohttpProviderClient) -> None:
    with pytest.raises(ProviderError) as missing:
        await client.get_payout("prv_nothing")
    assert (missing.value.reason, missing.value.http_status) == ("not_found", 404)


async def test_the_lookup_by_reference_finds_the_payout_the_provider_took(
    client: AiohttpProviderClient, slow_mock: MockServer
) -> None:
    # Given a payout the provider took although its answer was lost
    slow_mock.provider.script(MockMode.TIMEOUT_AFTER_COMMIT)
    with pytest.raises(ProviderOutcomeUnknown):
        await client.send_payout(INSTRUCTION)
    # When it is looked up by our reference
    record = await client.find_payout("p1")
    # Then the provider's record names its id, our reference and what it pays
    held = slow_mock.provider.payout_for_key("payout-p1")
    assert record is not None and held is not None
    assert (record.provider_payout_id, record.reference) == (held.provider_payout_id, "p1")
    assert (record.amount, record.currency) == ("150.00", "USD")


async def test_the_lookup_of_a_reference_never_taken_is_none(
    client: AiohttpProviderClient,
) -> None:
    assert await client.find_payout("never-sent") is None


async def test_a_lookup_without_an_answer_is_a_provider_error() -> None:
    client = client_of(f"http://127.0.0.1:{free_port()}")
    try:
        with pytest.raises(ProviderError) as unanswered:
            await client.find_payout("p1")
    finally:
        await client.close()
    assert unanswered.value.reason == "unreachable"
