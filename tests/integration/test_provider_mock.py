"""The mock provider keeps the provider's contract: idempotency, validation, modes, status, and
signed webhooks delivered until the receiver answers 2xx. Over real HTTP on 127.0.0.1."""

from __future__ import annotations

import json
import random
from typing import Any

import aiohttp
from aiohttp import web
from aiohttp.test_utils import TestClient

from payout_service.infrastructure.webhook_signature import (
    SIGNATURE_HEADER,
    WebhookSignatureVerifier,
)
from payout_service.provider_mock.app import create_mock_app
from payout_service.provider_mock.provider import MockMode, MockProvider
from tests.integration.processes import eventually
from tests.integration.provider_support import quiet_mock, serving_mock

PAYOUT = {"external_reference": "ref-1", "amount": "150.00", "currency": "USD", "wallet": "W1"}


async def mock_client(aiohttp_client: Any, **config: Any) -> tuple[TestClient, MockProvider]:
    provider = MockProvider(quiet_mock(**config), rng=random.Random(5))
    client: TestClient = await aiohttp_client(create_mock_app(provider))
    return client, provider


async def post(client: TestClient, key: str | None, body: Any = PAYOUT, **headers: str) -> Any:
    sent = {**headers, **({"Idempotency-Key": key} if key else {})}
    return await client.post("/provider/payouts", json=body, headers=sent)


async def test_a_payout_without_idempotency_key_is_refused(aiohttp_client: Any) -> None:
    client, provider = await mock_client(aiohttp_client)
    response = await post(client, None)
    assert response.status == 400
    assert (await response.json())["error"] == "idempotency_key_required"
    assert provider.payouts == {}


async def test_an_invalid_body_is_refused(aiohttp_client: Any) -> None:
    client, provider = await mock_client(aiohttp_client)
    for body in (
        {**PAYOUT, "amount": 150},
        {**PAYOUT, "amount": "0.00"},
        {**PAYOUT, "currency": "usd"},
        {k: v for k, v in PAYOUT.items() if k != "wallet"},
        {**PAYOUT, "external_reference": "x" * 129},
        ["not", "an", "object"],
    ):
        response = await post(client, "k", body)
        assert response.status == 422, body
    assert provider.payouts == {}


async def test_the_same_key_gets_the_same_payout_and_never_a_second_one(
    aiohttp_client: Any,
) -> None:
    client, provider = await mock_client(aiohttp_client)
    first = await post(client, "key-1")
    again = await post(client, "key-1")
    assert (first.status, again.status) == (202, 202)
    assert await first.json() == await again.json()
    assert (await first.json())["status"] == "accepted"
    assert len(provider.payouts) == 1


async def test_the_same_key_with_another_body_is_refused(aiohttp_client: Any) -> None:
    client, provider = await mock_client(aiohttp_client)
    await post(client, "key-1")
    response = await post(client, "key-1", {**PAYOUT, "amount": "151.00"})
    assert response.status == 422
    assert (await response.json())["error"] == "idempotency_key_reused"
    assert len(provider.payouts) == 1


async def test_each_error_mode_answers_as_the_contract_says(aiohttp_client: Any) -> None:
    client, provider = await mock_client(aiohttp_client)
    limited = await post(client, "a", **{"X-Mock-Mode": "rate_limit"})
    down = await post(client, "b", **{"X-Mock-Mode": "server_error"})
    refused = await post(client, "c", **{"X-Mock-Mode": "permanent_error"})
    assert (limited.status, limited.headers["Retry-After"]) == (429, "1")
    assert down.status == 503
    assert refused.status == 400
    assert provider.payouts == {}


async def test_a_known_key_is_replayed_even_in_permanent_error_mode(aiohttp_client: Any) -> None:
    # Given a payout the provider took (its answer possibly lost on the way)
    client, _ = await mock_client(aiohttp_client)
    first = await post(client, "key-1")
    # When the same key comes again while the provider refuses new payouts
    again = await post(client, "key-1", **{"X-Mock-Mode": "permanent_error"})
    # Then the provider answers as the first time: it holds that payout
    assert again.status == 202
    assert await again.json() == await first.json()


async def test_timeout_mode_takes_the_payout_but_answers_too_late(aiohttp_client: Any) -> None:
    # Given a client that waits 0.3 s, and a provider in timeout mode that stalls 2 s
    client, provider = await mock_client(aiohttp_client, stall=2.0)
    timeout = aiohttp.ClientTimeout(total=0.3)
    # When the client sends a payout
    async with aiohttp.ClientSession(timeout=timeout) as session:
        try:
            await session.post(
                str(client.make_url("/provider/payouts")),
                json=PAYOUT,
                headers={"Idempotency-Key": "key-1", "X-Mock-Mode": "timeout"},
            )
            answered = True
        except TimeoutError:
            answered = False
    # Then it hears nothing, yet the provider holds the payout
    assert not answered
    assert provider.payout_for_key("key-1") is not None


async def test_random_mode_mixes_the_answers(aiohttp_client: Any) -> None:
    client, _ = await mock_client(aiohttp_client, mode=MockMode.RANDOM, stall=0.0)
    statuses = {(await post(client, f"key-{i}")).status for i in range(120)}
    assert {202, 429, 503, 400} <= statuses


async def test_a_payout_moves_to_its_outcome_and_get_shows_it(aiohttp_client: Any) -> None:
    client, _ = await mock_client(aiohttp_client)
    accepted = await (await post(client, "key-1")).json()
    path = f"/provider/payouts/{accepted['provider_payout_id']}"

    async def status() -> str:
        return str((await (await client.get(path)).json())["status"])

    assert await status() in ("accepted", "processing")
    assert (
        await eventually(status, lambda s: s == "success", timeout=5, what="success") == "success"
    )
    assert (await client.get("/provider/payouts/prv_unknown")).status == 404


async def test_webhooks_are_signed_and_delivered_until_2xx(aiohttp_server: Any) -> None:
    # Given a receiver that fails its first delivery and checks signatures like the service
    verifier = WebhookSignatureVerifier(("whsec_test",))
    received: list[dict[str, Any]] = []
    deliveries = 0

    async def receive(request: web.Request) -> web.Response:
        nonlocal deliveries
        deliveries += 1
        raw = await request.read()
        verifier.verify(request.headers.get(SIGNATURE_HEADER), raw)
        if deliveries == 1:
            return web.Response(status=500)
        received.append(json.loads(raw))
        return web.Response(status=202)

    receiver = web.Application()
    receiver.router.add_post("/api/webhooks/provider", receive)
    server = await aiohttp_server(receiver)
    config = quiet_mock(
        webhook_url=str(server.make_url("/api/webhooks/provider")),
        webhook_secrets=("whsec_test", "whsec_old"),
        success_percent=0,
    )
    # When the mock accepts a payout
    async with serving_mock(config) as mock, aiohttp.ClientSession() as session:
        async with session.post(
            f"{mock.url}/provider/payouts", json=PAYOUT, headers={"Idempotency-Key": "key-1"}
        ) as response:
            accepted = await response.json()
        await eventually(lambda: len(received), lambda n: n == 2, timeout=10, what="2 webhooks")
    # Then both status changes arrive, signed, the refused one delivered again
    assert sorted(event["status"] for event in received) == ["failed", "processing"]
    assert {event["provider_payout_id"] for event in received} == {accepted["provider_payout_id"]}
    assert {event["external_reference"] for event in received} == {"ref-1"}
    assert len({event["event_id"] for event in received}) == 2
    assert deliveries == 3
