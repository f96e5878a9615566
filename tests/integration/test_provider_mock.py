"""The mock provider keeps the provider's contract and misbehaves as real ones do: idempotency,
one payout per reference, validation, every mode, the lookup by reference, signed webhooks
delivered until 2xx (duplicated and reordered on request), and payouts that survive a restart.
Over real HTTP on 127.0.0.1."""

from __future__ import annotations

import random
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestClient

from payout_service.infrastructure.settings import Settings, SettingsError
from payout_service.provider_mock.app import create_mock_app
from payout_service.provider_mock.modes import RANDOM_MIX
from payout_service.provider_mock.provider import MockConfig, MockMode, MockProvider
from tests.integration.mock_webhook_receiver import SECRET, WebhookReceiver, webhook_receiver
from tests.integration.processes import eventually
from tests.integration.provider_support import quiet_mock, serving_mock

PAYOUT = {
    "reference": "payout-1",
    "amount": "150.00",
    "currency": "USD",
    "wallet": "W1",
    "metadata": {"external_reference": "ref-1"},
}
RECORD_FIELDS = {
    "provider_payout_id",
    "reference",
    "amount",
    "currency",
    "wallet",
    "metadata",
    "status",
    "failure_code",
    "created_at",
    "updated_at",
}
WEBHOOK_FIELDS = {
    "event_id",
    "provider_payout_id",
    "reference",
    "status",
    "failure_code",
    "occurred_at",
}


async def mock_client(aiohttp_client: Any, **config: Any) -> tuple[TestClient, MockProvider]:
    provider = MockProvider(quiet_mock(**config), rng=random.Random(5))
    client: TestClient = await aiohttp_client(create_mock_app(provider))
    return client, provider


async def post(client: TestClient, key: str | None, body: Any = PAYOUT, **headers: str) -> Any:
    sent = {**headers, **({"Idempotency-Key": key} if key else {})}
    return await client.post("/provider/payouts", json=body, headers=sent)


async def call(method: str, url: str, **options: Any) -> tuple[int, Any]:
    """(status, JSON body) of one request on a session of its own."""
    async with aiohttp.ClientSession() as session, session.request(method, url, **options) as r:
        return r.status, await r.json()


def in_mode(mode: str) -> dict[str, str]:
    return {"X-Mock-Mode": mode}


async def status_of(client: TestClient, provider_payout_id: str) -> str:
    return str(
        (await (await client.get(f"/provider/payouts/{provider_payout_id}")).json())["status"]
    )


async def test_a_payout_without_idempotency_key_is_refused(aiohttp_client: Any) -> None:
    client, provider = await mock_client(aiohttp_client)
    response = await post(client, None)
    assert response.status == 400
    assert (await response.json())["error"] == "idempotency_key_required"
    assert provider.payouts == {}


async def test_an_invalid_body_is_refused(aiohttp_client: Any) -> None:
    client, provider = await mock_client(aiohttp_client)
    old_shape = {k: v for k, v in PAYOUT.items() if k not in ("reference", "metadata")}
    for body in (
        {**PAYOUT, "amount": 150},
        {**PAYOUT, "amount": "0.00"},
        {**PAYOUT, "currency": "usd"},
        {k: v for k, v in PAYOUT.items() if k != "wallet"},
        {**PAYOUT, "reference": "x" * 65},
        {**PAYOUT, "metadata": {"external_reference": 7}},
        {**PAYOUT, "metadata": ["ref-1"]},
        {**old_shape, "external_reference": "ref-1"},
        {**PAYOUT, "external_reference": "ref-1"},
        ["not", "an", "object"],
    ):
        response = await post(client, "k", body)
        assert response.status == 422, body
        assert (await response.json())["error"] == "validation_failed"
    assert provider.payouts == {}


async def test_an_unknown_mode_header_is_refused(aiohttp_client: Any) -> None:
    # "timeout" was renamed timeout_after_commit; the old name must not pass silently
    client, provider = await mock_client(aiohttp_client)
    response = await post(client, "key-1", **in_mode("timeout"))
    assert response.status == 400
    assert (await response.json())["error"] == "unknown_mode"
    assert provider.payouts == {}


async def test_the_same_key_gets_the_same_payout_and_never_a_second_one(
    aiohttp_client: Any,
) -> None:
    client, provider = await mock_client(aiohttp_client)
    first = await post(client, "key-1")
    again = await post(client, "key-1")
    assert (first.status, again.status) == (202, 202)
    answer = await first.json()
    assert await again.json() == answer
    assert answer["provider_payout_id"].startswith("prv_")
    assert (answer["reference"], answer["status"]) == ("payout-1", "accepted")
    assert len(provider.payouts) == 1


async def test_no_metadata_and_empty_metadata_are_the_same_body(aiohttp_client: Any) -> None:
    client, provider = await mock_client(aiohttp_client)
    bare = {k: v for k, v in PAYOUT.items() if k != "metadata"}
    first = await post(client, "key-1", bare)
    again = await post(client, "key-1", {**bare, "metadata": {}})
    assert (first.status, again.status) == (202, 202)
    assert len(provider.payouts) == 1


async def test_the_same_key_with_another_body_is_refused(aiohttp_client: Any) -> None:
    client, provider = await mock_client(aiohttp_client)
    await post(client, "key-1")
    response = await post(client, "key-1", {**PAYOUT, "amount": "151.00"})
    assert response.status == 422
    assert (await response.json())["error"] == "idempotency_key_reused"
    assert len(provider.payouts) == 1


async def test_a_reference_held_under_another_key_is_never_paid_twice(
    aiohttp_client: Any,
) -> None:
    # Given a payout taken under key-1
    client, provider = await mock_client(aiohttp_client)
    await post(client, "key-1")
    # When the same reference comes under other keys, even while new payouts are refused
    again = await post(client, "key-2")
    refusing = await post(client, "key-3", **in_mode("permanent_error"))
    # Then each is told the reference is in use (not "rejected": it will be paid)
    assert (again.status, (await again.json())["error"]) == (409, "reference_in_use")
    assert (refusing.status, (await refusing.json())["error"]) == (409, "reference_in_use")
    assert len(provider.payouts) == 1


async def test_each_outage_and_refusal_takes_nothing(aiohttp_client: Any) -> None:
    client, provider = await mock_client(aiohttp_client)
    limited = await post(client, "a", **in_mode("rate_limit"))
    down = await post(client, "b", **in_mode("server_error"))
    refused = await post(client, "c", **in_mode("permanent_error"))
    assert (limited.status, limited.headers["Retry-After"]) == (429, "1")
    assert down.status == 503
    assert refused.status == 400
    assert (await refused.json())["error"] == "payout_rejected"
    assert provider.payouts == {}


async def test_a_known_key_is_replayed_even_in_permanent_error_mode(aiohttp_client: Any) -> None:
    # Given a payout the provider took (its answer possibly lost on the way)
    client, _ = await mock_client(aiohttp_client)
    first = await post(client, "key-1")
    # When the same key comes again while the provider refuses new payouts
    again = await post(client, "key-1", **in_mode("permanent_error"))
    # Then the provider answers as the first time: it holds that payout
    assert again.status == 202
    assert await again.json() == await first.json()


async def test_timeout_after_commit_takes_the_payout_but_answers_too_late(
    aiohttp_client: Any,
) -> None:
    # Given a client that waits 0.3 s, and a provider that stalls 2 s after taking a payout
    client, provider = await mock_client(aiohttp_client, stall=2.0)
    timeout = aiohttp.ClientTimeout(total=0.3)
    # When the client sends a payout
    async with aiohttp.ClientSession(timeout=timeout) as session:
        try:
            await session.post(
                str(client.make_url("/provider/payouts")),
                json=PAYOUT,
                headers={"Idempotency-Key": "key-1", **in_mode("timeout_after_commit")},
            )
            answered = True
        except TimeoutError:
            answered = False
    # Then it hears nothing, yet the provider holds the payout
    assert not answered
    assert provider.payout_for_key("key-1") is not None


async def test_server_error_after_commit_takes_the_payout_and_answers_500(
    aiohttp_client: Any,
) -> None:
    # Given a provider that takes a payout, then fails its answer
    client, provider = await mock_client(aiohttp_client)
    failed = await post(client, "key-1", **in_mode("server_error_after_commit"))
    assert failed.status == 500
    # When the client retries under the same key
    retried = await post(client, "key-1")
    # Then it learns of the payout taken the first time, whose life has begun
    held = provider.payout_for_key("key-1")
    assert held is not None
    assert retried.status == 202
    assert (await retried.json())["provider_payout_id"] == held.provider_payout_id
    await eventually(
        lambda: status_of(client, held.provider_payout_id), lambda s: s == "success", timeout=5
    )


async def test_malformed_success_takes_the_payout_and_breaks_the_contract(
    aiohttp_client: Any,
) -> None:
    client, provider = await mock_client(aiohttp_client)
    response = await post(client, "key-1", **in_mode("malformed_success"))
    assert response.status == 200
    assert "provider_payout_id" not in await response.json()
    found = await client.get("/provider/payouts", params={"reference": "payout-1"})
    assert found.status == 200
    held = provider.payout_for_key("key-1")
    assert held is not None
    assert (await found.json())["provider_payout_id"] == held.provider_payout_id


async def test_conflict_on_retry_accepts_a_new_key_and_refuses_its_retry(
    aiohttp_client: Any,
) -> None:
    client, provider = await mock_client(aiohttp_client, mode=MockMode.CONFLICT_ON_RETRY)
    first = await post(client, "key-1")
    retry = await post(client, "key-1")
    assert first.status == 202
    assert (retry.status, (await retry.json())["error"]) == (409, "conflict")
    assert len(provider.payouts) == 1


async def test_random_mode_draws_from_every_mode(aiohttp_client: Any) -> None:
    client, provider = await mock_client(aiohttp_client, mode=MockMode.RANDOM, stall=0.0)
    statuses = [
        (await post(client, f"key-{i}", {**PAYOUT, "reference": f"r-{i}"})).status
        for i in range(300)
    ]
    assert {r.mode for r in provider.received} == set(RANDOM_MIX)
    assert {200, 202, 400, 429, 500, 503} <= set(statuses)
    assert statuses.count(202) > len(statuses) / 2


async def test_a_payout_moves_to_its_outcome_and_get_shows_its_record(
    aiohttp_client: Any,
) -> None:
    client, _ = await mock_client(aiohttp_client)
    accepted = await (await post(client, "key-1")).json()
    path = f"/provider/payouts/{accepted['provider_payout_id']}"
    record = await (await client.get(path)).json()
    assert set(record) == RECORD_FIELDS
    assert {k: record[k] for k in PAYOUT} == PAYOUT
    assert record["status"] in ("accepted", "processing")
    assert datetime.fromisoformat(record["created_at"]).utcoffset() == UTC.utcoffset(None)
    final = await eventually(
        lambda: status_of(client, accepted["provider_payout_id"]),
        lambda s: s == "success",
        timeout=5,
        what="success",
    )
    assert final == "success"
    assert (await client.get("/provider/payouts/prv_unknown")).status == 404


async def test_a_payout_is_found_by_its_reference(aiohttp_client: Any) -> None:
    client, _ = await mock_client(aiohttp_client)
    accepted = await (await post(client, "key-1")).json()
    found = await client.get("/provider/payouts", params={"reference": "payout-1"})
    unknown = await client.get("/provider/payouts", params={"reference": "payout-2"})
    without = await client.get("/provider/payouts")
    assert found.status == 200
    record = await found.json()
    assert set(record) == RECORD_FIELDS
    assert record["provider_payout_id"] == accepted["provider_payout_id"]
    assert (unknown.status, (await unknown.json())["error"]) == (404, "not_found")
    assert (without.status, (await without.json())["error"]) == (400, "reference_required")


async def take_one_payout(config: MockConfig, receiver: WebhookReceiver, webhooks: int) -> str:
    """Serves the mock until it has taken a payout and `webhooks` have arrived; its id."""
    async with serving_mock(config) as mock:
        headers = {"Idempotency-Key": "key-1"}
        _, taken = await call("POST", f"{mock.url}/provider/payouts", json=PAYOUT, headers=headers)
        await eventually(
            lambda: len(receiver.bodies), lambda n: n >= webhooks, timeout=10, what="webhooks"
        )
    return str(taken["provider_payout_id"])


async def test_webhooks_are_signed_and_delivered_until_2xx(aiohttp_server: Any) -> None:
    # Given a receiver that refuses its first delivery
    receiver = await webhook_receiver(aiohttp_server, fail_first=1)
    config = quiet_mock(
        webhook_url=receiver.url, webhook_secrets=(SECRET, "whsec_old"), success_percent=0
    )
    # When the mock takes a payout
    provider_payout_id = await take_one_payout(config, receiver, webhooks=2)
    # Then both status changes arrive, signed, in the contract's shape, the refused one again
    events = receiver.events
    assert sorted(event["status"] for event in events) == ["failed", "processing"]
    assert {event["provider_payout_id"] for event in events} == {provider_payout_id}
    assert {event["reference"] for event in events} == {"payout-1"}
    assert all(set(e) == WEBHOOK_FIELDS for e in events)
    assert len({event["event_id"] for event in events}) == 2
    assert receiver.deliveries == 3


async def test_a_duplicated_webhook_is_the_same_event_delivered_twice(
    aiohttp_server: Any,
) -> None:
    receiver = await webhook_receiver(aiohttp_server)
    config = quiet_mock(
        webhook_url=receiver.url, webhook_secrets=(SECRET,), webhook_duplicate_percent=100
    )
    await take_one_payout(config, receiver, webhooks=4)
    assert len(receiver.bodies) == 4
    assert len(set(receiver.bodies)) == 2
    assert sorted(event["status"] for event in receiver.events) == [
        "processing",
        "processing",
        "success",
        "success",
    ]


async def test_a_reordered_processing_webhook_arrives_after_the_final_one(
    aiohttp_server: Any,
) -> None:
    receiver = await webhook_receiver(aiohttp_server)
    config = quiet_mock(
        webhook_url=receiver.url, webhook_secrets=(SECRET,), webhook_reorder_percent=100
    )
    await take_one_payout(config, receiver, webhooks=2)
    assert [event["status"] for event in receiver.events] == ["success", "processing"]


async def test_a_restarted_mock_knows_its_payouts_and_finishes_their_lives(
    tmp_path: Path,
) -> None:
    # Given a mock on a database file that took a payout and stopped before it moved on
    db_path = str(tmp_path / "mock" / "provider.sqlite3")
    key_1, key_2 = {"Idempotency-Key": "key-1"}, {"Idempotency-Key": "key-2"}
    async with serving_mock(quiet_mock(db_path=db_path, step_delay=60.0)) as first:
        _, taken = await call("POST", f"{first.url}/provider/payouts", json=PAYOUT, headers=key_1)
    provider_payout_id = taken["provider_payout_id"]
    # When a new mock starts on the same file
    async with serving_mock(quiet_mock(db_path=db_path)) as second:
        payouts = f"{second.url}/provider/payouts"
        by_id = await call("GET", f"{payouts}/{provider_payout_id}")
        by_reference = await call("GET", payouts, params={"reference": "payout-1"})
        replay = await call("POST", payouts, json=PAYOUT, headers=key_1)
        other_key = await call("POST", payouts, json=PAYOUT, headers=key_2)
        # Then it holds the same payout, by id, reference and key, and finishes its life
        assert (by_id[0], by_id[1]["status"]) == (200, "accepted")
        assert (by_reference[0], by_reference[1]["provider_payout_id"]) == (200, provider_payout_id)
        assert replay == (202, taken)
        assert (other_key[0], other_key[1]["error"]) == (409, "reference_in_use")
        held = second.provider.payouts[provider_payout_id]
        await eventually(lambda: held.status, lambda s: s == "success", timeout=5)
    # And the outcome itself survives the next restart
    async with serving_mock(quiet_mock(db_path=db_path)) as third:
        assert third.provider.payouts[provider_payout_id].status == "success"
        assert len(third.provider.payouts) == 1


def test_webhook_faults_are_on_in_random_mode_unless_set() -> None:
    random_mode = MockConfig.from_settings(Settings(mock_provider_mode="random"))
    quiet_random = MockConfig.from_settings(
        Settings(mock_provider_mode="random", mock_provider_webhook_duplicate_percent=0)
    )
    success_mode = MockConfig.from_settings(Settings())
    assert (random_mode.duplicate_percent, random_mode.reorder_percent) == (10, 10)
    assert (quiet_random.duplicate_percent, quiet_random.reorder_percent) == (0, 10)
    assert (success_mode.duplicate_percent, success_mode.reorder_percent) == (0, 0)
    with pytest.raises(SettingsError, match="MOCK_PROVIDER_WEBHOOK_REORDER_PERCENT"):
        MockConfig.from_settings(Settings(mock_provider_webhook_reorder_percent=101))
