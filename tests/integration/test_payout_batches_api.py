"""POST /api/payout-batches and its reads, list and cancel, over real HTTP on SQLite and MariaDB.

No worker runs here: every item stays pending (or is cancelled). The 5 000-item batches are
sent once per database, in the first test.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

from aiohttp import ClientResponse
from aiohttp.test_utils import TestClient

from payout_service.bootstrap import build_services
from payout_service.infrastructure.db.seed import DEMO_USER_ID
from payout_service.web.app import create_app
from tests.integration.helpers import add_user, hold_entries, payout_body, problem, rows

BATCHES = "/api/payout-batches"
# What creating a batch writes; a rejected batch leaves every one as it was.
BATCH_TABLES = (
    "payouts",
    "payout_batches",
    "account_ledger_entries",
    "outbox_messages",
    "idempotency_keys",
)


def items(count: int, prefix: str = "ref", amount: str = "0.01") -> list[dict[str, Any]]:
    return [
        {
            "amount": amount,
            "currency": "USD",
            "wallet": f"W-{n}",
            "external_reference": f"{prefix}-{n}",
        }
        for n in range(count)
    ]


async def post_batch(
    api: TestClient,
    auth: dict[str, str],
    body: dict[str, Any],
    key: str = "batch-1",
) -> ClientResponse:
    return await api.post(BATCHES, json=body, headers={**auth, "Idempotency-Key": key})


async def post_csv(
    api: TestClient, auth: dict[str, str], data: bytes, key: str = "csv-1", query: str = ""
) -> ClientResponse:
    headers = {**auth, "Idempotency-Key": key, "Content-Type": "text/csv; charset=utf-8"}
    return await api.post(BATCHES + query, data=data, headers=headers)


async def created(response: ClientResponse) -> dict[str, Any]:
    assert response.status == 201, await response.text()
    body: dict[str, Any] = await response.json()
    return body


async def table_counts(db) -> dict[str, int]:  # type: ignore[no-untyped-def]
    counts = {}
    for table in BATCH_TABLES:
        (row,) = await rows(db, f"SELECT COUNT(*) AS n FROM {table}")
        counts[table] = int(row["n"])
    return counts


async def usd_balances(db) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    (row,) = await rows(
        db,
        "SELECT balance_minor, held_minor FROM user_accounts WHERE user_id = %s AND currency = %s",
        DEMO_USER_ID,
        "USD",
    )
    return int(row["balance_minor"]), int(row["held_minor"])


async def test_one_bad_item_of_5000_rejects_all_and_the_fixed_batch_is_created_under_its_key(
    api, auth, db
):
    # Given 5 000 items, the last one's amount not a number
    batch = items(5_000)
    batch[4_999]["amount"] = "12,50"
    before, balances = await table_counts(db), await usd_balances(db)
    # When it is sent all_or_nothing
    response = await post_batch(api, auth, {"items": batch, "mode": "all_or_nothing"})
    # Then a 422 names that item and field, in a short detail and one error
    rejection = await problem(response, 422)
    assert rejection["code"] == "batch_rejected"
    assert len(rejection["detail"]) < 100
    assert [(e["index"], e["field"], e["code"]) for e in rejection["errors"]] == [
        (4_999, "amount", "invalid_amount")
    ]
    # And nothing was written: no payout, batch, hold, event or idempotency key
    assert await table_counts(db) == before
    assert await usd_balances(db) == balances
    # When the fixed batch is sent under the same key (a rejection stores nothing)
    batch[4_999]["amount"] = "12.50"
    answer = await created(await post_batch(api, auth, {"items": batch}))
    # Then all 5 000 are created, pending, held, each with its payout.created
    assert answer["counts"]["total"] == answer["counts"]["pending"] == 5_000
    assert answer["rejected_count"] == 0 and answer["errors"] == []
    after = await table_counts(db)
    assert after["payouts"] == before["payouts"] + 5_000
    assert after["payout_batches"] == before["payout_batches"] + 1
    holds = await hold_entries(db)
    assert (len(holds), sum(holds)) == (5_000, 4_999 * 1 + 1_250)
    assert after["idempotency_keys"] == before["idempotency_keys"] + 1
    (events,) = await rows(
        db, "SELECT COUNT(*) AS n FROM outbox_messages WHERE event_name = %s", "payout.created"
    )
    assert int(events["n"]) == 5_000
    (items_of_batch,) = await rows(
        db, "SELECT COUNT(*) AS n FROM payouts WHERE batch_id = %s", answer["id"]
    )
    assert int(items_of_batch["n"]) == 5_000
    assert await usd_balances(db) == (balances[0], balances[1] + sum(holds))


async def test_per_item_creates_the_good_items_and_reports_the_others(api, auth, db):
    # Given six items: three good, a bad amount, a reference repeated, more than the balance
    batch = items(3)
    batch += [
        {**batch[0], "external_reference": "bad-amount", "amount": "-1"},
        {**batch[1]},
        {**batch[2], "external_reference": "too-much", "amount": "10000.01"},
    ]
    # When they are sent per_item
    answer = await created(await post_batch(api, auth, {"items": batch, "mode": "per_item"}))
    # Then the three good ones make the batch and the three others are named
    assert answer["mode"] == "per_item"
    assert answer["counts"]["total"] == answer["counts"]["pending"] == 3
    assert answer["rejected_count"] == 3
    assert [(e["index"], e["field"], e["code"]) for e in answer["errors"]] == [
        (3, "amount", "invalid_amount"),
        (4, "external_reference", "duplicate_external_reference"),
        (5, "amount", "insufficient_funds"),
    ]
    assert answer["totals"] == [
        {"currency": "USD", "count": 3, "amount": "0.03", "amount_minor": 3}
    ]
    assert (await usd_balances(db))[1] == 3


async def test_a_csv_with_quotes_a_bom_and_crlf_is_read_like_json(api, auth, db):
    # Given a spreadsheet's CSV: a byte-order mark, CRLF line ends, columns in its own order,
    # a wallet with a comma and a quote in it
    data = (
        "\ufeffexternal_reference,amount,currency,wallet\r\n"
        'csv-1,1.50,USD,"W,1 ""the first"""\r\n'
        "csv-2,2.00,EUR,W2\r\n"
        "\r\n"
    ).encode()
    # When it is posted as text/csv, per_item
    answer = await created(await post_csv(api, auth, data, query="?mode=per_item"))
    # Then both rows are payouts of the batch, their fields as written
    assert (answer["mode"], answer["counts"]["total"]) == ("per_item", 2)
    listed = await api.get(f"/api/payouts?batch_id={answer['id']}", headers=auth)
    payouts = sorted((await listed.json())["data"], key=lambda p: p["external_reference"])
    assert [(p["wallet"], p["amount"], p["currency"]) for p in payouts] == [
        ('W,1 "the first"', "1.50", "USD"),
        ("W2", "2.00", "EUR"),
    ]
    # And the same rows as JSON under the same key are the same request: a replay
    same = [
        {"amount": "1.50", "currency": "USD", "wallet": 'W,1 "the first"'},
        {"amount": "2.00", "currency": "EUR", "wallet": "W2"},
    ]
    for item, reference in zip(same, ("csv-1", "csv-2"), strict=True):
        item["external_reference"] = reference
    again = await post_batch(api, auth, {"items": same, "mode": "per_item"}, key="csv-1")
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert (await again.json())["id"] == answer["id"]


async def test_a_csv_without_its_columns_is_a_400(api, auth):
    response = await post_csv(api, auth, b"amount,currency\r\n1.00,USD\r\n")
    assert (await problem(response, 400))["code"] == "csv_unreadable"


async def test_a_csv_row_of_the_wrong_width_is_named_by_its_index(api, auth, db):
    data = b"amount,currency,wallet,external_reference\n1.00,USD,W1,r1\n2.00,USD,W2\n"
    response = await post_csv(api, auth, data)
    rejection = await problem(response, 422)
    assert [(e["index"], e["field"], e["code"]) for e in rejection["errors"]] == [
        (1, None, "invalid_item")
    ]
    assert (await table_counts(db))["payouts"] == 0


async def test_same_key_same_batch_is_replayed_and_another_batch_is_refused(api, auth, db):
    # Given a batch created under a key
    first = await post_batch(api, auth, {"items": items(3)})
    first_body = await first.read()
    written = await table_counts(db)
    # When the same batch is sent again under that key
    again = await post_batch(api, auth, {"items": items(3), "mode": "all_or_nothing"})
    # Then the stored answer comes back, byte for byte, and nothing is written
    assert (first.status, again.status) == (201, 201)
    assert again.headers["Idempotent-Replayed"] == "true"
    assert await again.read() == first_body
    assert await table_counts(db) == written
    # When another batch is sent under that key
    other = await post_batch(api, auth, {"items": items(4)})
    # Then it is refused
    assert (await problem(other, 422))["code"] == "idempotency_key_reused"
    assert await table_counts(db) == written


async def test_twin_batches_sent_at_once_to_two_processes_create_one(
    api, auth, db, settings, aiohttp_client
):
    # Given a second API process on the same database (only the database keeps them apart)
    other_process = await aiohttp_client(create_app(build_services(settings)))
    body = {"items": items(200)}
    # When the same batch under one key reaches both processes, twice each, at once
    responses = await asyncio.gather(
        *(post_batch(client, auth, body) for client in [api, other_process] * 2)
    )
    # Then one batch is created; the other answers replay it or say it is in progress
    firsts = [r for r in responses if r.status == 201 and "Idempotent-Replayed" not in r.headers]
    assert len(firsts) == 1
    first_body = await firsts[0].read()
    for response in responses:
        if response.status == 201:
            assert await response.read() == first_body
        else:
            assert (await problem(response, 409))["code"] == "idempotency_key_in_flight"
    counts = await table_counts(db)
    assert (counts["payout_batches"], counts["payouts"]) == (1, 200)
    assert (await usd_balances(db))[1] == 200


async def test_a_batch_reads_back_with_its_items_counted_now(api, auth):
    # Given a batch in two currencies
    batch = [*items(2), {**items(1, "eur")[0], "currency": "EUR", "amount": "3.00"}]
    answer = await created(await post_batch(api, auth, {"items": batch}))
    # When it is read back
    response = await api.get(f"{BATCHES}/{answer['id']}", headers=auth)
    # Then it is the batch as created: processing, every item pending, totals per currency
    assert response.status == 200
    read = await response.json()
    assert read == {k: v for k, v in answer.items() if k not in ("rejected_count", "errors")}
    assert read["status"] == "processing"
    assert read["counts"] == {
        "total": 3,
        "pending": 3,
        "processing": 0,
        "success": 0,
        "failed": 0,
        "cancelled": 0,
        "returned": 0,
    }
    assert [(t["currency"], t["count"], t["amount"]) for t in read["totals"]] == [
        ("EUR", 1, "3.00"),
        ("USD", 2, "0.02"),
    ]


async def test_batches_are_listed_newest_first_page_by_page(api, auth):
    # Given three batches
    ids = []
    for n in range(3):
        answer = await created(await post_batch(api, auth, {"items": items(1, f"b{n}")}, f"k{n}"))
        ids.append(answer["id"])
    # When they are listed two at a time
    first = await (await api.get(f"{BATCHES}?limit=2", headers=auth)).json()
    cursor = first["next_cursor"]
    second = await (await api.get(f"{BATCHES}?limit=2&cursor={cursor}", headers=auth)).json()
    # Then the pages hold them all once, and say whether more follow
    assert (len(first["data"]), first["has_more"]) == (2, True)
    assert (len(second["data"]), second["has_more"], second["next_cursor"]) == (1, False, None)
    listed = [b["id"] for b in first["data"] + second["data"]]
    assert sorted(listed) == sorted(ids)
    stamps = [b["created_at"] for b in first["data"] + second["data"]]
    assert stamps == sorted(stamps, reverse=True)
    assert first["data"][0]["counts"]["pending"] == 1


async def test_a_batch_list_refuses_a_cursor_it_did_not_return(api, auth):
    response = await api.get(f"{BATCHES}?cursor=nope&status=pending", headers=auth)
    assert {e["field"] for e in (await problem(response, 422))["errors"]} == {"cursor", "status"}


async def test_payouts_are_listed_by_batch(api, auth):
    # Given two batches and a single payout
    one = await created(await post_batch(api, auth, {"items": items(3, "one")}, "k1"))
    await created(await post_batch(api, auth, {"items": items(2, "two")}, "k2"))
    await api.post(
        "/api/payouts", json=payout_body(), headers={**auth, "Idempotency-Key": "single"}
    )
    # When the payouts of the first batch are listed, two at a time
    first = await (await api.get(f"/api/payouts?batch_id={one['id']}&limit=2", headers=auth)).json()
    rest = await (
        await api.get(
            f"/api/payouts?batch_id={one['id']}&cursor={first['next_cursor']}", headers=auth
        )
    ).json()
    # Then they are its three items, and only those
    listed = first["data"] + rest["data"]
    assert sorted(p["external_reference"] for p in listed) == ["one-0", "one-1", "one-2"]
    assert {p["batch_id"] for p in listed} == {one["id"]}
    assert rest["next_cursor"] is None


async def test_payouts_by_batch_refuses_an_id_that_is_no_batch_id(api, auth):
    response = await api.get("/api/payouts?batch_id=nope", headers=auth)
    assert [e["field"] for e in (await problem(response, 422))["errors"]] == ["batch_id"]


async def test_cancelling_a_batch_cancels_every_item_and_ends_it_failed(api, auth, db):
    # Given a batch of three pending items (no worker sends them)
    batch = await created(await post_batch(api, auth, {"items": items(3)}))
    # When it is cancelled
    response = await api.post(f"{BATCHES}/{batch['id']}/cancel", headers=auth)
    # Then every item was cancelled, its payout.cancelled on its way to the ledger's release
    assert response.status == 200
    assert await response.json() == {"batch_id": batch["id"], "cancelled": 3, "not_cancellable": 0}
    (cancelled,) = await rows(
        db, "SELECT COUNT(*) AS n FROM audit_logs WHERE event_name = %s", "payout.cancelled"
    )
    assert int(cancelled["n"]) == 3
    # And the batch has ended failed (nothing paid), counted so, and said so once
    read = await (await api.get(f"{BATCHES}/{batch['id']}", headers=auth)).json()
    assert (read["status"], read["counts"]["cancelled"], read["counts"]["pending"]) == (
        "failed",
        3,
        0,
    )
    assert read["completed_at"] is not None
    events = await api.get("/api/events?type=payout_batch.completed", headers=auth)
    (event,) = (await events.json())["data"]
    assert (event["data"]["id"], event["data"]["status"]) == (batch["id"], "failed")
    # And cancelling it again changes nothing
    again = await api.post(f"{BATCHES}/{batch['id']}/cancel", headers=auth)
    assert (await again.json())["cancelled"] == 0


async def test_another_users_batch_is_not_found(api, auth, db):
    # Given the demo user's batch and a second user
    batch = await created(await post_batch(api, auth, {"items": items(1)}))
    other = await add_user(db, 456, "psk_other_user_456")
    # When the second user reads, cancels, lists it and its payouts
    read = await api.get(f"{BATCHES}/{batch['id']}", headers=other)
    cancel = await api.post(f"{BATCHES}/{batch['id']}/cancel", headers=other)
    listed = await api.get(BATCHES, headers=other)
    payouts = await api.get(f"/api/payouts?batch_id={batch['id']}", headers=other)
    # Then it does not exist for them
    assert (await problem(read, 404))["code"] == "not_found"
    assert (await problem(cancel, 404))["code"] == "not_found"
    assert (await listed.json())["data"] == []
    assert (await payouts.json())["data"] == []
    assert (await table_counts(db))["payouts"] == 1


async def test_a_path_that_cannot_name_a_batch_is_a_404(api, auth):
    response = await api.get(f"{BATCHES}/not-a-batch", headers=auth)
    assert (await problem(response, 404))["code"] == "not_found"


async def test_a_request_that_is_no_batch_is_refused(api, auth, db):
    no_key = await api.post(BATCHES, json={"items": items(1)}, headers=auth)
    assert (await problem(no_key, 400))["code"] == "idempotency_key_missing"
    refusals = {
        "bad mode": ({"items": items(1), "mode": "sometimes"}, {"mode"}),
        "unknown field": ({"items": items(1), "note": "x"}, {"note"}),
        "no items": ({"mode": "per_item"}, {"items"}),
        "items not an array": ({"items": {"a": 1}}, {"items"}),
        "empty": ({"items": []}, {"items"}),
    }
    for name, (body, fields) in refusals.items():
        response = await post_batch(api, auth, body, key=name)
        refusal = await problem(response, 422)
        assert (refusal["code"], {e["field"] for e in refusal["errors"]}) == (
            "validation_failed",
            fields,
        ), name
    bad_csv_mode = await post_csv(api, auth, b"x", query="?mode=sometimes")
    assert [e["field"] for e in (await problem(bad_csv_mode, 422))["errors"]] == ["mode"]
    mode_in_query = await api.post(
        f"{BATCHES}?mode=per_item",
        json={"items": items(1)},
        headers={**auth, "Idempotency-Key": "q"},
    )
    assert [e["field"] for e in (await problem(mode_in_query, 422))["errors"]] == ["mode"]
    form = await api.post(BATCHES, data={"items": "x"}, headers={**auth, "Idempotency-Key": "form"})
    assert (await problem(form, 415))["code"] == "unsupported_media_type"
    lone_surrogate = await api.post(
        BATCHES,
        data=b'{"items": [{"wallet": "\\ud800"}]}',
        headers={**auth, "Idempotency-Key": "s", "Content-Type": "application/json"},
    )
    assert (await problem(lone_surrogate, 400))["code"] == "malformed_json"
    assert (await table_counts(db))["payouts"] == 0


async def test_more_items_than_the_limit_is_a_422_on_items(api, auth, db, settings, aiohttp_client):
    small = await aiohttp_client(create_app(build_services(replace(settings, max_batch_items=2))))
    response = await post_batch(small, auth, {"items": items(3)})
    refusal = await problem(response, 422)
    assert [e["field"] for e in refusal["errors"]] == ["items"]


async def test_each_route_keeps_its_own_body_limit(api, auth, settings, aiohttp_client):
    # Given a batch limit of 100 KiB, above the 64 KiB of every other route
    app = create_app(build_services(replace(settings, max_batch_body_bytes=100 * 1024)))
    client = await aiohttp_client(app)
    # When a batch of 80 KiB, a batch over 100 KiB and a payout of 65 KiB sent in chunks
    # (no Content-Length) arrive
    fits = await post_batch(client, auth, {"items": items(900)})
    too_big = await post_batch(client, auth, {"items": items(1_200)}, key="big")

    async def chunks() -> AsyncIterator[bytes]:
        yield json.dumps(payout_body(wallet="W" * 65 * 1024)).encode()

    payout = await client.post(
        "/api/payouts",
        data=chunks(),
        headers={**auth, "Idempotency-Key": "p", "Content-Type": "application/json"},
    )
    # Then the batch under its limit is created and the other two are 413s
    assert fits.status == 201, await fits.text()
    assert (await problem(too_big, 413))["code"] == "payload_too_large"
    assert (await problem(payout, 413))["code"] == "payload_too_large"
