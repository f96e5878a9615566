"""POST /api/webhooks/provider: only provably-signed events are stored, each event_id once."""

from __future__ import annotations

import json
import logging
import time
from dataclasses import replace

import pytest

from payout_service.bootstrap import build_services
from payout_service.cli import main
from payout_service.infrastructure.db.inbox_status import inbox_status
from payout_service.infrastructure.settings import Settings, SettingsError
from payout_service.infrastructure.webhook_signature import SIGNATURE_HEADER, compute_signature
from tests.integration.helpers import problem, rows
from tests.integration.webhook_support import (
    OLD_SECRET,
    SECRET,
    WEBHOOK_PATH,
    count,
    post_webhook,
    raw,
    signed,
    webhook,
)

STORED = (
    "provider_webhook_events",
    "provider_webhook_conflicts",
    "outbox_messages",
    "audit_logs",
)
# Seconds clearly outside the endpoint's (default) tolerance: int(time.time()) drops up to a
# second, so a timestamp only 1 s beyond it can land back inside by the time it is checked.
BEYOND_THE_TOLERANCE = Settings().webhook_signature_tolerance_seconds + 5


async def stored(db) -> dict[str, int]:
    return {table: await count(db, table) for table in STORED}


async def test_a_signed_webhook_is_stored_and_applied_with_its_audit_row(webhook_api, db):
    # When a correctly signed webhook arrives about a payout this service does not know
    body = webhook()
    response = await post_webhook(webhook_api, body)
    # Then it is accepted, and the answer says what applying it did
    assert response.status == 202
    answer = await response.json()
    assert (answer["duplicate"], answer["result"]) == (False, "payout_not_found")
    # And the inbox row, raw payload and result included, and its audit row (nothing is left
    # to apply, so nothing is published: no outbox message) were written together
    (event,) = await rows(db, "SELECT * FROM provider_webhook_events")
    assert event["id"] == answer["inbox_event_id"]
    assert (event["event_id"], event["status"], event["result"]) == (
        "evt-1",
        "success",
        "payout_not_found",
    )
    assert event["processed_at"] is not None
    assert event["payload"] == raw(body).decode()
    assert await count(db, "outbox_messages") == 0
    (message,) = await rows(db, "SELECT event_name, aggregate_id, payload FROM audit_logs")
    assert message["event_name"] == "provider.webhook.applied"
    payload = json.loads(message["payload"])
    assert (payload["inbox_event_id"], payload["result"]) == (
        answer["inbox_event_id"],
        "payout_not_found",
    )


async def test_a_redelivery_is_a_duplicate_and_writes_nothing(webhook_api, db):
    # Given a stored webhook
    first = await (await post_webhook(webhook_api, webhook())).json()
    before = await stored(db)
    # When the provider delivers it again, re-serialised with other key order and spacing
    again = json.dumps(dict(reversed(list(webhook().items()))), indent=2).encode()
    response = await post_webhook(webhook_api, again)
    # Then it is acknowledged as the same event, and nothing new is stored
    assert response.status == 202
    assert await response.json() == {
        "inbox_event_id": first["inbox_event_id"],
        "duplicate": True,
        "result": "payout_not_found",
    }
    assert await stored(db) == before


async def test_an_event_id_reused_with_another_payload_is_kept_as_a_conflict(webhook_api, db):
    # Given a stored success for evt-1
    first = await (await post_webhook(webhook_api, webhook(status="success"))).json()
    # When evt-1 arrives twice more saying failed
    for _ in range(2):
        response = await post_webhook(webhook_api, webhook(status="failed"))
        assert response.status == 202
        answer = await response.json()
        assert answer == {
            "inbox_event_id": first["inbox_event_id"],
            "duplicate": True,
            "result": "payload_conflict",
        }
    # Then the original stays the only inbox row with one audit row (and nothing to publish), and
    # the conflicting payload is kept once, visible to an operator
    assert await stored(db) == {
        "provider_webhook_events": 1,
        "provider_webhook_conflicts": 1,
        "outbox_messages": 0,
        "audit_logs": 1,
    }
    (conflict,) = await rows(db, "SELECT event_id, payload FROM provider_webhook_conflicts")
    assert conflict["event_id"] == "evt-1" and '"failed"' in conflict["payload"]
    assert (await inbox_status(db)).payload_conflicts == 1


def forged(data: bytes) -> dict[str, str]:
    return signed(data, "whsec_the_attackers_guess")


def expired(data: bytes) -> dict[str, str]:
    return signed(data, timestamp=int(time.time()) - BEYOND_THE_TOLERANCE)


def from_the_future(data: bytes) -> dict[str, str]:
    return signed(data, timestamp=int(time.time()) + BEYOND_THE_TOLERANCE)


def unsigned(data: bytes) -> dict[str, str]:
    return {"Content-Type": "application/json"}


def malformed(data: bytes) -> dict[str, str]:
    return {"Content-Type": "application/json", SIGNATURE_HEADER: "v1=deadbeef"}


def replayed_with_a_fresh_timestamp(data: bytes) -> dict[str, str]:
    old = int(time.time()) - 3600
    header = f"t={int(time.time())},v1={compute_signature(SECRET, old, data)}"
    return {"Content-Type": "application/json", SIGNATURE_HEADER: header}


@pytest.mark.parametrize(
    "headers_for",
    [forged, expired, from_the_future, unsigned, malformed, replayed_with_a_fresh_timestamp],
)
async def test_unprovable_webhooks_are_refused_and_nothing_is_stored(webhook_api, db, headers_for):
    data = raw(webhook())
    response = await post_webhook(webhook_api, data, headers_for(data))
    body = await problem(response, 401)
    assert body["code"] == "invalid_signature"
    assert await stored(db) == dict.fromkeys(STORED, 0)


async def test_a_tampered_body_is_refused_and_nothing_is_stored(webhook_api, db):
    # Given a genuine signature for a failed outcome
    genuine = raw(webhook(status="failed"))
    headers = signed(genuine)
    # When the body is changed in flight to say success
    tampered = genuine.replace(b'"failed"', b'"success"')
    response = await post_webhook(webhook_api, tampered, headers)
    # Then it is refused and nothing is stored
    await problem(response, 401)
    assert await stored(db) == dict.fromkeys(STORED, 0)


async def test_a_rotated_secret_works_during_the_overlap_and_not_after(
    webhook_settings, db, aiohttp_client
):
    from payout_service.web.app import create_app

    # Given the service holds the new and the old secret while the provider switches over
    overlap = await aiohttp_client(
        create_app(
            build_services(
                replace(webhook_settings, provider_webhook_secrets=f"{SECRET},{OLD_SECRET}")
            )
        )
    )
    old_signed, new_signed = raw(webhook("evt-old")), raw(webhook("evt-new"))
    # Then bodies signed with either secret are accepted
    assert (await post_webhook(overlap, old_signed, signed(old_signed, OLD_SECRET))).status == 202
    assert (await post_webhook(overlap, new_signed, signed(new_signed, SECRET))).status == 202
    # And once the old secret is removed, it no longer verifies
    after = await aiohttp_client(create_app(build_services(webhook_settings)))
    late = raw(webhook("evt-late"))
    await problem(await post_webhook(after, late, signed(late, OLD_SECRET)), 401)
    assert await count(db, "provider_webhook_events") == 2


@pytest.mark.parametrize(
    ("data", "status", "fields"),
    [
        (b"{not json", 400, None),
        (b"[1, 2]", 400, None),
        (raw(webhook(event_id="")), 422, {"event_id"}),
        (raw(webhook(event_id="e" * 129)), 422, {"event_id"}),
        (raw(webhook(provider_payout_id="p" * 129)), 422, {"provider_payout_id"}),
        (raw(webhook(reference=123)), 422, {"reference"}),
        (raw(webhook(reference="r" * 129)), 422, {"reference"}),
        (raw(webhook(provider_payout_id=None, reference=None)), 422, {"provider_payout_id"}),
        (raw(webhook(status="paid")), 422, {"status"}),
        (raw(webhook(occurred_at="yesterday")), 422, {"occurred_at"}),
        (raw(webhook(occurred_at="2026-01-01T12:00:00")), 422, {"occurred_at"}),
        (raw({"status": "success"}), 422, {"event_id", "provider_payout_id", "occurred_at"}),
    ],
)
async def test_signed_but_invalid_bodies_are_refused_and_nothing_is_stored(
    webhook_api, db, data, status, fields
):
    response = await post_webhook(webhook_api, data)
    body = await problem(response, status)
    if fields:
        assert {e["field"] for e in body["errors"]} == fields
    assert await stored(db) == dict.fromkeys(STORED, 0)


async def test_ids_up_to_128_characters_and_unknown_fields_are_accepted(webhook_api, db):
    body = webhook(
        event_id="e" * 128,
        provider_payout_id="p" * 128,
        reference="r" * 128,
        note="added by the provider",
    )
    assert (await post_webhook(webhook_api, body)).status == 202


async def test_a_webhook_naming_only_our_reference_is_stored(webhook_api, db):
    # When the provider's webhook names the payout by our reference alone
    response = await post_webhook(webhook_api, webhook(provider_payout_id=None, reference="p-1"))
    # Then it is stored with that reference, for the inbox to match by identity
    assert response.status == 202, await response.text()
    (event,) = await rows(db, "SELECT provider_payout_id, reference FROM provider_webhook_events")
    assert (event["provider_payout_id"], event["reference"]) == (None, "p-1")


async def test_verification_off_must_be_explicit_and_is_announced_loudly(
    webhook_settings, db, aiohttp_client, caplog
):
    from payout_service.web.app import create_app

    # Given verification turned off explicitly
    settings = replace(webhook_settings, webhook_signature_verification="off")
    with caplog.at_level(logging.WARNING, logger="payout_service.webhooks"):
        client = await aiohttp_client(create_app(build_services(settings)))
        # When an unsigned webhook arrives
        response = await post_webhook(client, raw(webhook()), {"Content-Type": "application/json"})
    # Then it is stored, and the start and the request both said verification is off
    assert response.status == 202
    warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert any("VERIFICATION IS OFF" in w for w in warnings)
    assert any("UNVERIFIED" in w for w in warnings)


def test_verification_is_on_unless_switched_off():
    assert Settings.from_env({}).webhook_signature_verification == "on"
    assert (
        Settings.from_env({"WEBHOOK_SIGNATURE_VERIFICATION": "No"}).webhook_signature_verification
        == "off"
    )
    with pytest.raises(SettingsError):
        Settings.from_env({"WEBHOOK_SIGNATURE_VERIFICATION": "maybe"})
    assert Settings.from_env({"PROVIDER_WEBHOOK_SECRETS": " a , b ,"}).webhook_secrets == ("a", "b")


async def test_the_sign_command_prints_a_header_the_endpoint_accepts(
    webhook_api, db, tmp_path, monkeypatch, capsys
):
    # Given a body in a file and the service's secrets in the environment (new one first)
    path = tmp_path / "body.json"
    path.write_bytes(raw(webhook()))
    monkeypatch.setenv("PROVIDER_WEBHOOK_SECRETS", f"{SECRET},{OLD_SECRET}")
    # When `payout-service webhook sign --file body.json` runs
    assert main(["webhook", "sign", "--file", str(path)]) == 0
    name, _, value = capsys.readouterr().out.strip().partition(": ")
    # Then it prints the header, and the endpoint accepts the file's bytes with it
    assert name == SIGNATURE_HEADER and value.count("v1=") == 1
    headers = {"Content-Type": "application/json", name: value}
    response = await webhook_api.post(WEBHOOK_PATH, data=path.read_bytes(), headers=headers)
    assert response.status == 202
