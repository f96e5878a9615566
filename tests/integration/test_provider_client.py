"""The aiohttp provider client against the mock provider on 127.0.0.1: each mode's answer is
classified as the contract says, network failures included."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import aiohttp
import pytest

from payout_service.application.ports import (
    PayoutInstruction,
    ProviderPermanentError,
    ProviderTemporaryError,
)
from payout_service.domain.provider_report import ProviderStatus
from payout_service.infrastructure.provider.http_client import AiohttpProviderClient
from payout_service.provider_mock.provider import MockMode
from tests.integration.processes import eventually
from tests.integration.provider_support import MockServer, quiet_mock, serving_mock
from tests.processes import free_port

INSTRUCTION = PayoutInstruction("payout-p1", "ref-1", "150.00", "USD", "W1")


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
    assert held.request == {
        "external_reference": "ref-1",
        "amount": "150.00",
        "currency": "USD",
        "wallet": "W1",
    }


async def test_rate_limit_is_temporary_with_the_providers_wait(
    client: AiohttpProviderClient, slow_mock: MockServer
) -> None:
    slow_mock.provider.script(MockMode.RATE_LIMIT)
    with pytest.raises(ProviderTemporaryError) as later:
        await client.send_payout(INSTRUCTION)
    assert (later.value.reason, later.value.http_status) == ("rate_limited", 429)
    assert later.value.retry_after == timedelta(seconds=1)
    assert later.value.answer_lost is False


async def test_server_error_is_temporary(
    client: AiohttpProviderClient, slow_mock: MockServer
) -> None:
    slow_mock.provider.script(MockMode.SERVER_ERROR)
    with pytest.raises(ProviderTemporaryError) as later:
        await client.send_payout(INSTRUCTION)
    assert (later.value.reason, later.value.http_status) == ("server_error", 503)
    assert later.value.answer_lost is False


async def test_a_timeout_is_temporary_with_the_answer_lost(
    client: AiohttpProviderClient, slow_mock: MockServer
) -> None:
    slow_mock.provider.script(MockMode.TIMEOUT)
    with pytest.raises(ProviderTemporaryError) as later:
        await client.send_payout(INSTRUCTION)
    assert (later.value.reason, later.value.http_status) == ("timeout", None)
    assert later.value.answer_lost is True
    # and the provider did take it: the next call, same key, learns the same payout
    again = await client.send_payout(INSTRUCTION)
    held = slow_mock.provider.payout_for_key("payout-p1")
    assert held is not None and again.provider_payout_id == held.provider_payout_id
    assert len(slow_mock.provider.payouts) == 1


async def test_permanent_error_is_permanent(
    client: AiohttpProviderClient, slow_mock: MockServer
) -> None:
    slow_mock.provider.script(MockMode.PERMANENT_ERROR)
    with pytest.raises(ProviderPermanentError) as refused:
        await client.send_payout(INSTRUCTION)
    assert (refused.value.reason, refused.value.http_status) == ("rejected", 400)


async def test_a_provider_nobody_listens_for_is_unreachable_not_lost() -> None:
    client = client_of(f"http://127.0.0.1:{free_port()}")
    try:
        with pytest.raises(ProviderTemporaryError) as later:
            await client.send_payout(INSTRUCTION)
    finally:
        await client.close()
    assert later.value.reason == "unreachable"
    assert later.value.answer_lost is False


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


async def test_get_of_an_unknown_payout_is_permanent(client: AiohttpProviderClient) -> None:
    with pytest.raises(ProviderPermanentError) as refused:
        await client.get_payout("prv_nothing")
    assert refused.value.reason == "not_found"
