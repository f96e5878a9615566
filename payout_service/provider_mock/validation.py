"""The body of `POST /provider/payouts`, checked as strictly as a real provider checks it, and
normalized (metadata absent = {}) so that a retry's body compares equal to the first one's."""

from __future__ import annotations

import json
import re
from decimal import Decimal
from typing import Any

TEXT_LIMITS = {"reference": 64, "wallet": 255}
METADATA_MAX_ENTRIES = 20
METADATA_KEY_MAX = 40
METADATA_VALUE_MAX = 255
FIELDS = ("reference", "amount", "currency", "wallet", "metadata")

_AMOUNT = re.compile(r"[0-9]{1,18}(\.[0-9]{1,18})?")
_CURRENCY = re.compile(r"[A-Z]{3,8}")


def parse_payout_request(raw: bytes) -> tuple[dict[str, Any], list[str]]:
    """(the normalized body, the problems found); the body is only meaningful without problems."""
    try:
        body = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError):
        return {}, ["the body is not JSON"]
    if not isinstance(body, dict):
        return {}, ["the body is not a JSON object"]
    problems = [f"unknown field {name}" for name in body if name not in FIELDS]
    for name, limit in TEXT_LIMITS.items():
        value = body.get(name)
        if not isinstance(value, str) or not 0 < len(value) <= limit:
            problems.append(f"{name} must be a string of 1-{limit} characters")
    amount = body.get("amount")
    if not isinstance(amount, str) or not _AMOUNT.fullmatch(amount) or Decimal(amount) <= 0:
        problems.append('amount must be a positive decimal string such as "150.00"')
    if not isinstance(body.get("currency"), str) or not _CURRENCY.fullmatch(body["currency"]):
        problems.append("currency must be an upper-case code such as USD")
    metadata = body.get("metadata", {})
    if not _is_metadata(metadata):
        problems.append(
            f"metadata must be an object of at most {METADATA_MAX_ENTRIES} string values"
            f" (keys of 1-{METADATA_KEY_MAX}, values of 0-{METADATA_VALUE_MAX} characters)"
        )
    return {**{name: body.get(name) for name in FIELDS}, "metadata": metadata}, problems


def _is_metadata(value: Any) -> bool:
    return (
        isinstance(value, dict)
        and len(value) <= METADATA_MAX_ENTRIES
        and all(0 < len(key) <= METADATA_KEY_MAX for key in value)
        and all(isinstance(v, str) and len(v) <= METADATA_VALUE_MAX for v in value.values())
    )
