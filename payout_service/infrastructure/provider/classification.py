"""What a provider answer means, decided from its status, headers and body alone.

The contract (the original service's): `POST /provider/payouts` answers 2xx with
`{"provider_payout_id": "...", "status": "accepted"}` when it takes the payout. Then:
- 2xx with those fields: accepted;
- 429: temporary, with the wait its Retry-After asks for (seconds or an HTTP date);
- 5xx: temporary (the provider is down or overloaded; the idempotency key makes a retry safe);
- any other 4xx, and a 2xx that breaks the contract: permanent, asking again cannot help.
Timeouts and connection errors never reach here: the client classifies them as temporary.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any, NoReturn

from payout_service.application.ports import (
    ProviderAcceptance,
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
    """The answer to `GET /provider/payouts/{id}`."""
    if status != 200:
        _raise_for_error(status, retry_after, body, now)
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
        payout_id, mapped, since if since.tzinfo else since.replace(tzinfo=UTC)
    )


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
    if status >= 500:
        raise ProviderTemporaryError("server_error", detail, status)
    if status == 404:
        raise ProviderPermanentError("not_found", detail, status)
    raise ProviderPermanentError("rejected", detail, status)


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


def _malformed(status: int, why: str) -> ProviderPermanentError:
    return ProviderPermanentError(
        "malformed_response", f"HTTP {status} broke the contract: {why}", status
    )


def _excerpt(body: bytes, limit: int = 300) -> str:
    return body[:limit].decode(errors="replace")
