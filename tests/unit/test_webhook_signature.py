"""The provider webhook signature: Stripe's scheme over the raw body, with rotation and a window."""

import hashlib
import hmac

import pytest

from payout_service.infrastructure.webhook_signature import (
    InvalidSignature,
    WebhookSignatureVerifier,
    compute_signature,
    signature_header,
)

BODY = b'{"event_id":"evt_1","status":"success"}'
NOW = 1_800_000_000


def verifier(*secrets: str, now: float = NOW, tolerance: int = 300) -> WebhookSignatureVerifier:
    return WebhookSignatureVerifier(secrets, tolerance, clock=lambda: now)


def test_the_signature_is_the_hex_hmac_sha256_of_timestamp_dot_body():
    # Given the scheme's definition, computed independently
    expected = hmac.new(b"whsec_a", f"{NOW}.".encode() + BODY, hashlib.sha256).hexdigest()
    # When the module signs the same body
    header = signature_header(BODY, ["whsec_a"], NOW)
    # Then the header carries exactly that digest
    assert header == f"t={NOW},v1={expected}"
    assert compute_signature("whsec_a", NOW, BODY) == expected


def test_a_correctly_signed_body_verifies():
    verifier("whsec_a").verify(signature_header(BODY, ["whsec_a"], NOW), BODY)


@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        "garbage",
        "t=,v1=ab",
        f"t={NOW}",
        "v1=" + "a" * 64,
        f"t=abc,v1={'a' * 64}",
        f"t={NOW},v1=not-hex",
        f"t={NOW},t={NOW},v1={'a' * 64}",
        f"t={NOW},v1={'a' * 63}",
    ],
)
def test_missing_or_malformed_headers_are_refused(header):
    with pytest.raises(InvalidSignature):
        verifier("whsec_a").verify(header, BODY)


def test_a_tampered_body_is_refused():
    header = signature_header(BODY, ["whsec_a"], NOW)
    with pytest.raises(InvalidSignature, match="no signature matches"):
        verifier("whsec_a").verify(header, BODY.replace(b"success", b"failed"))


def test_a_signature_made_with_another_secret_is_refused():
    header = signature_header(BODY, ["whsec_forged"], NOW)
    with pytest.raises(InvalidSignature, match="no signature matches"):
        verifier("whsec_a").verify(header, BODY)


def test_moving_the_timestamp_breaks_the_signature():
    # Given a valid signature whose t= is rewritten to a fresh time (a replay made "recent")
    signature = compute_signature("whsec_a", NOW - 3600, BODY)
    header = f"t={NOW},v1={signature}"
    # Then it no longer matches: the timestamp is part of what is signed
    with pytest.raises(InvalidSignature):
        verifier("whsec_a").verify(header, BODY)


@pytest.mark.parametrize("offset", [-301, 301, -86_400, 86_400])
def test_timestamps_outside_the_tolerance_are_refused_either_way(offset):
    header = signature_header(BODY, ["whsec_a"], NOW + offset)
    with pytest.raises(InvalidSignature, match="outside the tolerance"):
        verifier("whsec_a").verify(header, BODY)


@pytest.mark.parametrize("offset", [-300, 0, 300])
def test_timestamps_at_the_edge_of_the_tolerance_are_accepted(offset):
    verifier("whsec_a").verify(signature_header(BODY, ["whsec_a"], NOW + offset), BODY)


def test_any_configured_secret_verifies_during_a_rotation():
    # Given the receiver holds the new and the old secret
    both = verifier("whsec_new", "whsec_old")
    # Then a body signed with either one verifies
    both.verify(signature_header(BODY, ["whsec_old"], NOW), BODY)
    both.verify(signature_header(BODY, ["whsec_new"], NOW), BODY)


def test_one_matching_v1_among_several_is_enough():
    # Given a sender that signs with its old and new secret, and a receiver that knows only one
    header = signature_header(BODY, ["whsec_retired", "whsec_new"], NOW)
    # Then the header verifies
    verifier("whsec_new").verify(header, BODY)
    assert header.count("v1=") == 2


def test_other_schemes_are_ignored_and_uppercase_hex_is_accepted():
    signature = compute_signature("whsec_a", NOW, BODY).upper()
    verifier("whsec_a").verify(f"t={NOW},v0=whatever,v1={signature}", BODY)


def test_with_no_secret_configured_nothing_verifies():
    with pytest.raises(InvalidSignature):
        verifier().verify(signature_header(BODY, ["whsec_a"], NOW), BODY)


def test_an_oversized_header_is_refused_before_any_hmac():
    header = f"t={NOW}," + ",".join(["v1=" + "a" * 64] * 40)
    with pytest.raises(InvalidSignature, match="too long"):
        verifier("whsec_a").verify(header, BODY)
