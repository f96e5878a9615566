"""Reading a provider webhook's fields, once its raw body (requests.raw_body) has been verified."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from aiohttp import web

from payout_service.application.ports import ProviderWebhook
from payout_service.domain.failure_codes import MAX_PROVIDER_CODE_LENGTH
from payout_service.domain.provider_report import ProviderStatus
from payout_service.web.moments import RFC3339_TIME, rfc3339_moment
from payout_service.web.problems import Problem, field_error, validation_problem
from payout_service.web.requests import json_object_of

MAX_ID = 128
MAX_FAILURE_CODE = MAX_PROVIDER_CODE_LENGTH  # what the inbox keeps
_ID_FIELDS = ("event_id", "provider_payout_id", "reference")


def json_body(request: web.Request, raw: bytes) -> tuple[dict[str, Any], str]:
    """The body as a JSON object, and as the UTF-8 text it was sent as."""
    if request.content_type != "application/json":
        raise Problem(
            415, "unsupported_media_type", "Unsupported media type", "send application/json"
        )
    return json_object_of(raw), raw.decode("utf-8")


def provider_webhook(body: dict[str, Any]) -> ProviderWebhook:
    """The contract's fields; others are ignored (a provider may add fields at any time).
    event_id is required; of provider_payout_id and reference (our payout id) at least one.
    failure_code is optional (absent or null: none), kept as the provider sent it: the domain
    maps it, so a code we do not know yet is not refused."""
    errors = []
    for name in _ID_FIELDS:
        errors += _id_errors(name, body.get(name), required=name == "event_id")
    if not body.get("provider_payout_id") and not body.get("reference"):
        errors.append(field_error("provider_payout_id", "or reference is required"))
    status = body.get("status")
    if not isinstance(status, str) or status not in tuple(ProviderStatus):
        errors.append(field_error("status", f"must be one of {', '.join(ProviderStatus)}"))
    # A time that overflows on its way to UTC, or that the inbox cannot store, is the provider's
    # to fix: a 422 it stops retrying, never a 500 it would retry for ever.
    occurred_at = _moment(body.get("occurred_at"))
    if occurred_at is None:
        errors.append(field_error("occurred_at", f"must be {RFC3339_TIME}"))
    errors += _text_errors("failure_code", body.get("failure_code"), MAX_FAILURE_CODE)
    if errors:
        raise validation_problem(errors)
    assert occurred_at is not None and isinstance(status, str)
    return ProviderWebhook(
        event_id=body["event_id"],
        provider_payout_id=body.get("provider_payout_id") or None,
        reference=body.get("reference") or None,
        status=ProviderStatus(status),
        occurred_at=occurred_at,
        failure_code=body.get("failure_code"),
    )


def _id_errors(name: str, value: Any, required: bool) -> list[dict[str, str]]:
    if value is None and required:
        return [field_error(name, "is required")]
    return _text_errors(name, value, MAX_ID)


def _text_errors(name: str, value: Any, max_length: int) -> list[dict[str, str]]:
    """An optional text field: absent or null is fine, else a non-empty printable string."""
    if value is None:
        return []
    if not isinstance(value, str) or not value.strip():
        return [field_error(name, "must be a non-empty string")]
    if len(value) > max_length:
        return [field_error(name, f"must be at most {max_length} characters")]
    if not value.isprintable():
        return [field_error(name, "must contain printable characters only")]
    return []


def _moment(value: Any) -> datetime | None:
    return rfc3339_moment(value) if isinstance(value, str) else None
