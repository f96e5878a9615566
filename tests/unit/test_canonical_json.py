"""Stored hashes (webhook payloads, idempotency fingerprints) must keep matching their retries."""

from payout_service.application.canonical_json import canonical_sha256
from payout_service.application.idempotency import request_fingerprint

BODY = {"b": 1, "a": "é", "n": [1, 2.5, None, True]}


def test_key_order_and_spacing_do_not_change_the_hash() -> None:
    # Given the same object with its keys in another order
    reordered = {"n": [1, 2.5, None, True], "a": "é", "b": 1}

    # Then both hash alike
    assert canonical_sha256(reordered) == canonical_sha256(BODY)


def test_hashes_stored_by_earlier_releases_still_match() -> None:
    # Given hashes computed before canonical_sha256 was shared (rows in databases hold them)
    stored_payload_hash = "0d49edbb02ce70f99e25acd2d3d58fc897a3289555ff2749f4e96e92a9e84fdc"
    stored_fingerprint = "b838b93db3d9b6023e812a7499d7cf778d7c6823d03c0814df5ae8c7a9b4108b"

    # Then today's functions give the same
    assert canonical_sha256(BODY) == stored_payload_hash
    assert request_fingerprint("post", "/api/payouts", BODY) == stored_fingerprint
