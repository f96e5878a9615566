"""What a provider answer means, decided from its status, headers and body alone.

The contract: `POST /provider/payouts` answers 2xx with
`{"provider_payout_id": "...", "status": "accepted"}` when it takes the payout. An answer is one
of three kinds:
- accepted: 2xx with those fields;
- refused, definitely (ProviderPermanentError): 400 or 422 carrying the provider's error code;
- not taken for now (ProviderTemporaryError): 429, with the wait its Retry-After asks for;
- unknown (ProviderOutcomeUnknown): everything else: 5xx (providers commit and then fail to
  answer), 409, a 2xx that breaks the contract, any other status or body. The provider may hold
  the payout: only its own word about it (a lookup, a webhook) may end it.
Timeouts and connection errors never reach here: the client classifies them.
`GET /provider/payouts?reference=` answers 200 with the record, or 404 when the provider has
never taken a payout with that reference; anything else is no answer.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any, NoReturn

from payout_service.application.ports import (
    ProviderAcceptance,
    ProviderError,
    ProviderOutcomeUnknown,
    ProviderPayoutState,
    ProviderPermanentError,
    ProviderTemporaryError,
)
from payout_service.domain.provider_report import ProviderStatus

MAX_ID_LENGTH = 128
# The provider's statuses, as the payout's state machine understands them.
_STATUSES = {
    "accepted": ProviderStatus.PROCESSING,
    "processing": ProviderStatus.PROCESSING,
    "success": ProviderStatus.SUCCESS,
    "failed": ProviderStatus.FAILED,
    "returned": ProviderStatus.RETURNED,
}


def classify_send(
    status: int, retry_after: str | None, body: bytes, now: datetime
) -> ProviderAcceptance:
    """The acceptance, or ProviderTemporaryError / ProviderPermanentError."""
    if 200 <= status < 300:
        fields = _json_object(body, status)
        payout_id = _provider_payout_id(fields, status)
        if fields.get("status") != "accepted":
            raise _malformed(status, f"status is {fields.get('status')!r}, not 'accepted'")
        return ProviderAcceptance(payout_id, status)
    _raise_for_error(status, retry_after, body, now)


def classify_status(
    status: int, retry_after: str | None, body: bytes, now: datetime
) -> ProviderPayoutState:
    """The answer to `GET /provider/payouts/{id}`: the record, or a ProviderError."""
    if status == 404:
        raise ProviderError("not_found", f"HTTP 404: {_excerpt(body)}", status)
    if status != 200:
        _raise_for_error(status, retry_after, body, now)
    return _record(body, status)


def classify_lookup(
    status: int, retry_after: str | None, body: bytes, now: datetime
) -> ProviderPayoutState | None:
    """The answer to `GET /provider/payouts?reference=`: the record; None for a 404 (the
    provider has never taken it); a ProviderError for anything else."""
    if status == 404:
        return None
    return classify_status(status, retry_after, body, now)


def _record(body: bytes, status: int) -> ProviderPayoutState:
    fields = _json_object(body, status)
    payout_id = _provider_payout_id(fields, status)
    mapped = _STATUSES.get(str(fields.get("status")))
    if mapped is None:
        raise _malformed(status, f"unknown status {fields.get('status')!r}")
    try:
        since = datetime.fromisoformat(str(fields["updated_at"]))
    except (KeyError, ValueError):
        raise _malformed(status, "updated_at is not an ISO-8601 time") from None
    return ProviderPayoutState(
        payout_id,
        mapped,
        since if since.tzinfo else since.replace(tzinfo=UTC),
        reference=_optional_text(fields, "reference"),
        amount=_optional_text(fields, "amount"),
        currency=_optional_text(fields, "currency"),
        failure_code=_optional_text(fields, "failure_code"),
    )


def _optional_text(fields: dict[str, Any], name: str) -> str | None:
    value = fields.get(name)
    return value if isinstance(value, str) else None


def parse_retry_after(value: str | None, now: datetime) -> timedelta | None:
    """RFC 9110: a number of seconds, or an HTTP date; None when absent or unreadable."""
    if value is None:
        return None
    text = value.strip()
    if text.isdigit():
        return timedelta(seconds=int(text))
    try:
        moment = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return max(moment - now, timedelta(0))


def _raise_for_error(status: int, retry_after: str | None, body: bytes, now: datetime) -> NoReturn:
    detail = f"HTTP {status}: {_excerpt(body)}"
    if status == 429:
        raise ProviderTemporaryError(
            "rate_limited", detail, status, parse_retry_after(retry_after, now)
        )
    code = _error_code(body) if status in _REFUSALS else None
    if code is not None:
        raise ProviderPermanentError("rejected", detail, status, code)
    if status >= 500:
        raise ProviderOutcomeUnknown("server_error", detail, status)
    if status == 409:
        raise ProviderOutcomeUnknown("conflict", detail, status)
    raise ProviderOutcomeUnknown("unexpected_status", detail, status)


# The statuses of a documented refusal, when the body carries the provider's error code.
_REFUSALS = frozenset({400, 422})


def _error_code(body: bytes) -> str | None:
    try:
        fields = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError):
        return None
    code = fields.get("error") if isinstance(fields, dict) else None
    return code if isinstance(code, str) and code else None


def _json_object(body: bytes, status: int) -> dict[str, Any]:
    try:
        fields = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise _malformed(status, f"the body is not JSON: {_excerpt(body)}") from None
    if not isinstance(fields, dict):
        raise _malformed(status, "the body is not a JSON object")
    return fields


def _provider_payout_id(fields: dict[str, Any], status: int) -> str:
    payout_id = fields.get("provider_payout_id")
    if not isinstance(payout_id, str) or not 0 < len(payout_id) <= MAX_ID_LENGTH:
        raise _malformed(status, "provider_payout_id is missing or not a short string")
    return payout_id


def _malformed(status: int, why: str) -> ProviderOutcomeUnknown:
    return ProviderOutcomeUnknown(
        "malformed_response", f"HTTP {status} broke the contract: {why}", status
    )


def _excerpt(body: bytes, limit: int = 300) -> str:
    return body[:limit].decode(errors="replace")
