import asyncio
import json
import uuid

import pytest

from payout_service.bootstrap import build_services
from payout_service.infrastructure.db.outbox import SqlOutbox
from payout_service.web.app import create_app
from tests.integration.helpers import (
    held_minor,
    hold_entries,
    payout_body,
    post_payout,
    problem,
    rows,
    written_rows,
)


async def test_create_answers_201_with_the_payout(api, auth):
    # When the demo user creates a payout
    response = await post_payout(api, auth, payout_body(amount="150.5"))
    # Then it is a pending payout with every public field
    assert response.status == 201
    assert response.content_type == "application/json"
    assert "Idempotent-Replayed" not in response.headers
    payout = await response.json()
    assert uuid.UUID(payout["id"]).version == 4
    assert payout == {
        **payout,
        "user_id": 123,
        "amount": "150.50",
        "amount_minor": 15050,
        "currency": "USD",
        "wallet": "W1",
        "external_reference": "ref-1",
        "status": "pending",
        "provider_payout_id": None,
        "provider_status": None,
        "send_attempts": 0,
        "last_error": None,
        "next_retry_at": None,
        "completed_at": None,
    }
    assert payout["created_at"] == payout["updated_at"]
    assert payout["created_at"].endswith("Z")


async def test_created_payout_can_be_read_back(api, auth):
    created = await (await post_payout(api, auth, payout_body())).json()
    response = await api.get(f"/api/payouts/{created['id']}", headers=auth)
    assert response.status == 200
    assert await response.json() == created


async def test_create_writes_payout_key_hold_and_event_in_one_transaction(api, auth, db):
    # When a payout is created
    payout = await (await post_payout(api, auth, payout_body(), key="key-tx")).json()
    # Then the payout row, its idempotency key, the hold and the payout.created event all exist
    (stored,) = await rows(
        db, "SELECT status, amount_minor FROM payouts WHERE id = %s", payout["id"]
    )
    assert (stored["status"], int(stored["amount_minor"])) == ("pending", 15000)
    (key,) = await rows(
        db, "SELECT payout_id, response_status FROM idempotency_keys WHERE `key` = %s", "key-tx"
    )
    assert (key["payout_id"], int(key["response_status"])) == (payout["id"], 201)
    assert await held_minor(db) == 15000
    assert await hold_entries(db) == [15000]
    (event,) = await rows(db, "SELECT event_name, aggregate_id, payload FROM outbox_messages")
    assert (event["event_name"], event["aggregate_id"]) == ("payout.created", payout["id"])
    assert json.loads(event["payload"])["amount_minor"] == 15000


async def test_a_failure_late_in_the_transaction_leaves_nothing_behind(api, auth, db, monkeypatch):
    # Given an outbox that fails on its insert, the last write of the transaction
    async def broken_add(self, event, headers, now):
        raise RuntimeError("outbox unavailable")

    monkeypatch.setattr(SqlOutbox, "add", broken_add)
    before = await written_rows(db)
    # When a payout is created
    response = await post_payout(api, auth, payout_body())
    # Then the request fails as a problem and the earlier writes were rolled back
    await problem(response, 500)
    assert await written_rows(db) == before
    assert await held_minor(db) == 0


async def test_same_key_same_body_is_replayed_byte_for_byte(api, auth, db):
    # Given a payout created under a key
    first = await post_payout(api, auth, payout_body())
    first_body = await first.read()
    written = await written_rows(db)
    # When the same request is sent again under that key
    again = await post_payout(api, auth, payout_body())
    # Then the same status and the identical bytes come back, marked as a replay
    assert (first.status, again.status) == (201, 201)
    assert await again.read() == first_body
    assert again.headers["Idempotent-Replayed"] == "true"
    # And nothing new was written
    assert await written_rows(db) == written
    assert await held_minor(db) == 15000


async def test_replay_ignores_key_order_and_whitespace_of_the_body(api, auth, db):
    # Given a payout created under a key
    first = await post_payout(api, auth, payout_body())
    # When the same fields arrive in another order and layout
    reordered = json.dumps(dict(reversed(list(payout_body().items()))), indent=2)
    again = await api.post(
        "/api/payouts",
        data=reordered,
        headers={**auth, "Idempotency-Key": "key-1", "Content-Type": "application/json"},
    )
    # Then it is the same request: a replay
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert await again.read() == await first.read()
    assert (await written_rows(db))["payouts"] == 1


async def test_same_key_different_body_is_rejected(api, auth, db):
    # Given a payout created under key-1
    await post_payout(api, auth, payout_body())
    written = await written_rows(db)
    # When key-1 is sent with another amount
    response = await post_payout(api, auth, payout_body(amount="99.00"))
    # Then it is a 422 problem and nothing new is written
    assert (await problem(response, 422))["code"] == "idempotency_key_reused"
    assert await written_rows(db) == written
    assert await held_minor(db) == 15000


async def test_missing_idempotency_key_is_rejected(api, auth, db):
    before = await written_rows(db)
    response = await api.post("/api/payouts", json=payout_body(), headers=auth)
    assert (await problem(response, 400))["code"] == "idempotency_key_missing"
    assert await written_rows(db) == before


@pytest.mark.parametrize(
    "key", ["k" * 256, "clé-1", "", "tab\tkey"], ids=["256", "non-ascii", "empty", "control"]
)
async def test_invalid_idempotency_key_is_rejected(api, auth, db, key):
    # When the key is too long, not ASCII, empty or not printable
    before = await written_rows(db)
    response = await api.post(
        "/api/payouts",
        data=json.dumps(payout_body()).encode(),
        headers={**auth, "Idempotency-Key": key, "Content-Type": "application/json"},
    )
    # Then it is a 400 problem and nothing is written
    assert (await problem(response, 400))["code"] == "idempotency_key_invalid"
    assert await written_rows(db) == before


async def test_a_key_of_255_printable_characters_is_accepted(api, auth):
    response = await post_payout(api, auth, payout_body(), key="~ " + "k" * 253)
    assert response.status == 201


async def test_fifty_concurrent_requests_with_one_key_create_one_payout(api, auth, db):
    # Given the rows written so far
    before = await written_rows(db)
    # When 50 identical requests with one key arrive at once
    responses = await asyncio.gather(*(post_payout(api, auth, payout_body()) for _ in range(50)))
    # Then exactly one created the payout; every other one replayed it or was told to retry
    firsts = [r for r in responses if r.status == 201 and "Idempotent-Replayed" not in r.headers]
    replays = [r for r in responses if r.headers.get("Idempotent-Replayed") == "true"]
    conflicts = [r for r in responses if r.status == 409]
    assert len(firsts) == 1
    assert len(firsts) + len(replays) + len(conflicts) == 50
    first_body = await firsts[0].read()
    for replay in replays:
        assert (replay.status, await replay.read()) == (201, first_body)
    for conflict in conflicts:
        assert (await problem(conflict, 409))["code"] == "idempotency_key_in_flight"
    # And one payout, one event and one key were written, with one hold of the amount
    after = await written_rows(db)
    for table in ("payouts", "outbox_messages", "idempotency_keys"):
        assert after[table] == before[table] + 1, table
    assert await hold_entries(db) == [15000]
    assert await held_minor(db) == 15000


async def test_concurrent_twins_in_two_processes_create_one_payout(
    api, auth, db, settings, aiohttp_client
):
    # Given a second API process on the same database (its own in-flight set, so only the
    # database can keep the twins apart)
    other_process = await aiohttp_client(create_app(build_services(settings)))
    # When the same request with one key reaches both processes at once
    responses = await asyncio.gather(
        *(post_payout(client, auth, payout_body()) for client in [api, other_process] * 10)
    )
    # Then one payout is created and held once; every other answer replays it or says retry
    firsts = [r for r in responses if r.status == 201 and "Idempotent-Replayed" not in r.headers]
    assert len(firsts) == 1
    first_body = await firsts[0].read()
    for response in responses:
        if response.status == 201:
            assert await response.read() == first_body
        else:
            assert (await problem(response, 409))["code"] == "idempotency_key_in_flight"
    assert (await written_rows(db))["payouts"] == 1
    assert await hold_entries(db) == [15000]
    assert await held_minor(db) == 15000


async def test_insufficient_funds_is_refused_and_writes_nothing(api, auth, db):
    # Given 10 000.00 USD available
    before = await written_rows(db)
    # When 10 000.01 is asked for
    response = await post_payout(api, auth, payout_body(amount="10000.01"))
    # Then it is a 422 insufficient_funds problem and nothing is written or held
    assert (await problem(response, 422))["code"] == "insufficient_funds"
    assert await written_rows(db) == before
    assert await held_minor(db) == 0


async def test_a_reference_reused_under_a_new_key_is_a_conflict(api, auth, db):
    # Given a payout with ref-1 under key-1
    await post_payout(api, auth, payout_body(), key="key-1")
    written = await written_rows(db)
    # When ref-1 is sent again under key-2
    response = await post_payout(api, auth, payout_body(amount="1.00"), key="key-2")
    # Then it is a 409 problem and nothing new is written
    assert (await problem(response, 409))["code"] == "duplicate_external_reference"
    assert await written_rows(db) == written
    assert await held_minor(db) == 15000


async def test_a_currency_the_user_holds_no_account_in_is_refused(api, auth, db):
    before = await written_rows(db)
    response = await post_payout(api, auth, payout_body(currency="GBP"))
    assert (await problem(response, 422))["code"] == "account_not_found"
    assert await written_rows(db) == before
