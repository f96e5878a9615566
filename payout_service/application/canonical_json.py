"""One hash for "the same JSON", however it was serialised (key order, spacing, escapes)."""

from __future__ import annotations

import hashlib
import json
from typing import Any


def canonical_sha256(value: Any) -> str:
    """Hex SHA-256 of `value` as canonical JSON: keys sorted, no whitespace, non-ASCII as UTF-8.

    Webhook payload hashes and idempotency fingerprints made with it are stored: a change to this
    encoding would make every stored hash stop matching a retry of its request.
    """
    canonical = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()
