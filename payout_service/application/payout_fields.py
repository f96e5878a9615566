"""The rules for a payout's fields as a client sends them, shared by single and batch creates.

Each check returns what is wrong in words for the client, or None; amounts and currencies are
Money's to judge (domain.money).
"""

from __future__ import annotations

from typing import Any

from payout_service.domain.payout import (
    MAX_METADATA_KEY_LENGTH,
    MAX_METADATA_KEYS,
    MAX_METADATA_VALUE_LENGTH,
)

MAX_TEXT_LENGTHS = {"currency": 8, "wallet": 255, "external_reference": 128, "amount": 64}


def text_problem(name: str, value: Any) -> str | None:
    """A text field (one of MAX_TEXT_LENGTHS): present, a string, printable, within its length."""
    if value is None:
        return "is required"
    if not isinstance(value, str):
        hint = ' (a decimal string such as "150.00")' if name == "amount" else ""
        return "must be a string" + hint
    if not value.strip():
        return "must not be empty"
    if len(value) > MAX_TEXT_LENGTHS[name]:
        return f"must be at most {MAX_TEXT_LENGTHS[name]} characters"
    if not value.isprintable():
        return "must contain printable characters only"
    return None


def metadata_problem(value: Any) -> str | None:
    """Optional; an object of at most MAX_METADATA_KEYS string values, keys and values bounded."""
    if not isinstance(value, dict):
        return "must be an object of string values"
    if len(value) > MAX_METADATA_KEYS:
        return f"must have at most {MAX_METADATA_KEYS} keys"
    for key, item in value.items():
        if not key or len(key) > MAX_METADATA_KEY_LENGTH or not key.isprintable():
            return f"keys must be 1-{MAX_METADATA_KEY_LENGTH} printable characters"
        if not isinstance(item, str) or len(item) > MAX_METADATA_VALUE_LENGTH:
            return f"values must be strings of at most {MAX_METADATA_VALUE_LENGTH} characters"
    return None
