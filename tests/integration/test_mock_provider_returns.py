"""Money that comes back, at the mock provider: a returned payout is announced by a signed
webhook after its success and shown by the lookups, and the draw of a return survives a restart
(neither lost nor invented), also on a store file from before returns."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import aiohttp

from payout_service.domain.failure_codes import PROVIDER_CODES
from payout_service.provider_mock.provider import MockConfig, MockPayout, MockProvider
from tests.integration.mock_webhook_receiver import SECRET, webhook_receiver
from tests.integration.processes import eventually
from tests.integration.provider_support import quiet_mock, serving_mock

PAYOUT = {"reference": "payout-1", "amount": "150.00", "currency": "USD", "wallet": "W1"}
CODES = {str(code) for code in PROVIDER_CODES}
# The store as it was before failure codes and returns.
OLD_SCHEMA = """
CREATE TABLE mock_payouts (
    provider_payout_id TEXT PRIMARY KEY,
    idempotency_key TEXT NOT NULL UNIQUE,
    reference TEXT NOT NULL UNIQUE,
    request TEXT NOT NULL,
    status TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
)
"""
OLD_ROW = "INSERT INTO mock_payouts VALUES (?, ?, ?, ?, ?, '2026-01-01T00:00:00+00:00', ?)"


async def call(method: str, url: str, **options: Any) -> tuple[int, Any]:
    """(status, JSON body) of one request on a session of its own."""
    async with aiohttp.ClientSession() as session, session.request(method, url, **options) as r:
        return r.status, await r.json()


async def post_payout(url: str) -> dict[str, Any]:
    headers = {"Idempotency-Key": "key-1"}
    status, taken = await call("POST", f"{url}/provider/payouts", json=PAYOUT, headers=headers)
    assert status == 202, taken
    return dict(taken)


async def reaches(payout: MockPayout, status: str) -> None:
    await eventually(
        lambda: payout.status, lambda s: s == status, timeout=5, what=status, max_pause=0.01
    )


def take(provider: MockProvider) -> MockPayout:
    return provider.accept("key-1", {**PAYOUT, "metadata": {}})


async def test_a_returned_payout_is_announced_and_shown_by_the_lookups(
    aiohttp_server: Any,
) -> None:
    # Given a mock that sends back every successful payout shortly after
    receiver = await webhook_receiver(aiohttp_server)
    config = quiet_mock(
        webhook_url=receiver.url, webhook_secrets=(SECRET,), return_percent=100, return_delay=0.05
    )
    async with serving_mock(config) as mock:
        # When it takes a payout and its webhooks arrive
        taken = await post_payout(mock.url)
        await eventually(lambda: len(receiver.bodies), lambda n: n >= 3, timeout=10)
        payouts = f"{mock.url}/provider/payouts"
        by_id = await call("GET", f"{payouts}/{taken['provider_payout_id']}")
        by_reference = await call("GET", payouts, params={"reference": PAYOUT["reference"]})
    # Then the return comes last, signed, with a provider code, dated at the return
    events = receiver.events
    assert sorted(event["status"] for event in events) == ["processing", "returned", "success"]
    returned = events[-1]
    assert returned["status"] == "returned"
    assert returned["failure_code"] in CODES
    assert returned["provider_payout_id"] == taken["provider_payout_id"]
    # And both lookups show the payout returned, with the webhook's code and moment
    for status, record in (by_id, by_reference):
        assert (status, record["status"]) == (200, "returned")
        assert record["failure_code"] == returned["failure_code"]
        assert record["updated_at"] == returned["occurred_at"]


async def test_a_return_is_delivered_only_after_the_success_it_undoes(
    aiohttp_server: Any,
) -> None:
    # Given a receiver that refuses the first deliveries of `processing` and `success`
    receiver = await webhook_receiver(aiohttp_server, fail_first=2)
    config = quiet_mock(
        webhook_url=receiver.url, webhook_secrets=(SECRET,), return_percent=100, return_delay=0.05
    )
    # When the payout comes back while its success is still being delivered
    async with serving_mock(config) as mock:
        await post_payout(mock.url)
        await eventually(lambda: len(receiver.bodies), lambda n: n >= 3, timeout=10)
    # Then the return arrives after the success all the same
    statuses = [event["status"] for event in receiver.events]
    assert statuses.index("success") < statuses.index("returned")


async def test_a_restarted_mock_still_returns_a_payout_drawn_to_come_back(tmp_path: Path) -> None:
    # Given a mock that paid a payout out, drew it to come back, and stopped before it did
    db_path = str(tmp_path / "provider.sqlite3")
    first = MockProvider(quiet_mock(db_path=db_path, return_percent=100, return_delay=0.5))
    payout = take(first)
    await reaches(payout, "success")
    await first.stop()
    # When a mock that returns nothing of its own starts on the same file
    second = MockProvider(quiet_mock(db_path=db_path, return_percent=0))
    held = second.payouts[payout.provider_payout_id]
    assert (held.status, held.returns_at) == ("success", payout.returns_at)
    second.start()
    # Then the payout comes back as drawn, with a code, and stays returned after the next restart
    await reaches(held, "returned")
    await second.stop()
    third = MockProvider(quiet_mock(db_path=db_path))
    kept = third.payouts[payout.provider_payout_id]
    assert (kept.status, kept.failure_code) == ("returned", held.failure_code)
    assert kept.failure_code in CODES
    assert kept.is_final
    await third.stop()


async def test_a_restarted_mock_invents_no_return(tmp_path: Path) -> None:
    # Given a mock that paid a payout out and drew it to stay paid
    db_path = str(tmp_path / "provider.sqlite3")
    first = MockProvider(quiet_mock(db_path=db_path, return_percent=0))
    old = take(first)
    await reaches(old, "success")
    await first.stop()
    # When a mock that returns every payout starts on the same file, and pays a new one out
    second = MockProvider(quiet_mock(db_path=db_path, return_percent=100, return_delay=0.01))
    second.start()
    new = second.accept("key-2", {**PAYOUT, "reference": "payout-2", "metadata": {}})
    await reaches(new, "returned")
    await second.stop()
    # Then only the new one came back: the old one's draw was made, and kept
    held = second.payouts[old.provider_payout_id]
    assert (held.status, held.returns_at, held.failure_code) == ("success", None, None)


async def test_a_store_file_from_before_returns_still_loads(tmp_path: Path) -> None:
    # Given a store file without the failure code and return columns, one payout paid, one not yet
    db_path = str(tmp_path / "provider.sqlite3")
    with sqlite3.connect(db_path) as old:
        old.execute(OLD_SCHEMA)
        for n, status in ((1, "success"), (2, "processing")):
            request = f'{{"reference": "payout-{n}", "amount": "1.00"}}'
            updated = "2026-01-01T00:00:01+00:00"
            old.execute(OLD_ROW, (f"prv_{n}", f"key-{n}", f"payout-{n}", request, status, updated))
    old.close()
    # When a mock that returns every payout opens it and starts
    mock = MockProvider(quiet_mock(db_path=db_path, return_percent=100, return_delay=0.01))
    paid, pending = mock.payouts["prv_1"], mock.payouts["prv_2"]
    assert (paid.status, paid.failure_code, paid.returns_at) == ("success", None, None)
    mock.start()
    # Then the old success stays as it was, and the pending payout lives on into a return
    await reaches(pending, "returned")
    await mock.stop()
    reopened = MockProvider(MockConfig(db_path=db_path))
    await reopened.stop()
    assert reopened.payouts["prv_1"].status == "success"
    assert reopened.payouts["prv_2"].status == "returned"
    assert reopened.payouts["prv_2"].failure_code == pending.failure_code
