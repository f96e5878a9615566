"""Provider webhook signatures, in Stripe's scheme: the one implementation that signs and checks.

    X-Provider-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>

The HMAC covers the raw body bytes exactly as sent, so the receiver verifies before it parses.
A header may carry several `v1=` values (a sender signing with an old and a new secret during a
rotation); the receiver holds several secrets for the same reason, and accepts the request when
any v1 matches any secret. Comparisons are constant-time. The timestamp must lie within
`tolerance_seconds` of the receiver's clock in either direction, which makes a captured request
useless for replay once the window has passed (and the inbox's unique event_id covers the window).
Schemes other than v1 are ignored, as Stripe's are.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

SIGNATURE_HEADER = "X-Provider-Signature"
DEFAULT_TOLERANCE_SECONDS = 300
MAX_HEADER_LENGTH = 2048
MAX_SIGNATURES = 8

_HEX_SHA256 = re.compile(r"[0-9a-fA-F]{64}")
_TIMESTAMP = re.compile(r"[0-9]{1,12}")


class InvalidSignature(Exception):
    """The request is not provably from the provider: missing, malformed, expired or wrong."""


def compute_signature(secret: str, timestamp: int, body: bytes) -> str:
    signed = str(timestamp).encode() + b"." + body
    return hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()


def signature_header(body: bytes, secrets: Sequence[str], timestamp: int) -> str:
    """The header value for `body`, with one v1 per secret (several while rotating)."""
    if not secrets:
        raise ValueError("signing needs at least one secret")
    parts = [f"t={timestamp}"] + [f"v1={compute_signature(s, timestamp, body)}" for s in secrets]
    return ",".join(parts)


@dataclass(frozen=True)
class WebhookSignatureVerifier:
    """secrets: every secret currently accepted (new and old while rotating).
    tolerance_seconds: how far the signed timestamp may be from now, either way (default 300).
    clock: unix seconds now; time.time unless a test fixes it."""

    secrets: tuple[str, ...]
    tolerance_seconds: int = DEFAULT_TOLERANCE_SECONDS
    clock: Callable[[], float] = field(default=time.time)

    def verify(self, header: str | None, body: bytes) -> None:
        """Returns when the body is signed by a known secret within the tolerance; raises
        InvalidSignature otherwise."""
        if not header:
            raise InvalidSignature(f"the {SIGNATURE_HEADER} header is missing")
        timestamp, signatures = _parse(header)
        if abs(self.clock() - timestamp) > self.tolerance_seconds:
            raise InvalidSignature("the signature's timestamp is outside the tolerance")
        matched = False
        for secret in self.secrets:
            expected = compute_signature(secret, timestamp, body)
            for candidate in signatures:
                matched |= hmac.compare_digest(expected, candidate)
        if not matched:
            raise InvalidSignature("no signature matches the body")


def _parse(header: str) -> tuple[int, list[str]]:
    if len(header) > MAX_HEADER_LENGTH:
        raise InvalidSignature(f"the {SIGNATURE_HEADER} header is too long")
    timestamps: list[str] = []
    signatures: list[str] = []
    for item in header.split(","):
        key, sep, value = item.strip().partition("=")
        if not sep:
            raise InvalidSignature(f"the {SIGNATURE_HEADER} header is malformed")
        if key == "t":
            timestamps.append(value)
        elif key == "v1":
            if not _HEX_SHA256.fullmatch(value):
                raise InvalidSignature("a v1 signature is not a hex SHA-256 digest")
            signatures.append(value.lower())
    if len(timestamps) != 1 or not _TIMESTAMP.fullmatch(timestamps[0]):
        raise InvalidSignature(f"the {SIGNATURE_HEADER} header needs one t=<unix seconds>")
    if not signatures:
        raise InvalidSignature(f"the {SIGNATURE_HEADER} header has no v1 signature")
    if len(signatures) > MAX_SIGNATURES:
        raise InvalidSignature(f"more than {MAX_SIGNATURES} v1 signatures")
    return int(timestamps[0]), signatures
