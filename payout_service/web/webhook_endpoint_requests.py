"""Reading the bodies of the webhook endpoint routes into plain values, or a 422 problem.

Shapes only: whether a URL may be an endpoint's (scheme, credentials, where its host resolves)
is the use case's question (EndpointUrlPolicy), answered with a 422 on the `url` field too.
"""

from __future__ import annotations

from typing import Any

from payout_service.application.manage_webhook_endpoints import EndpointChanges
from payout_service.domain.client_events import ALL_TYPES, CLIENT_EVENT_TYPES
from payout_service.infrastructure.outgoing_webhooks.url_policy import MAX_URL_LENGTH
from payout_service.web.problems import field_error, validation_problem
from payout_service.web.queries import MAX_ROW_NUMBER

MAX_DESCRIPTION = 255
NEW_ENDPOINT_FIELDS = ("url", "event_types", "description")
CHANGEABLE_FIELDS = (*NEW_ENDPOINT_FIELDS, "disabled")
Errors = list[dict[str, str]]


def new_endpoint(body: dict[str, Any]) -> tuple[str, tuple[str, ...], str]:
    """url and event_types required, description optional (empty)."""
    errors = _unknown(body, NEW_ENDPOINT_FIELDS)
    for name in ("url", "event_types"):
        if name not in body:
            errors.append(field_error(name, "is required"))
    errors += _field_errors(body)
    if errors:
        raise validation_problem(errors)
    return body["url"], tuple(body["event_types"]), body.get("description", "")


def endpoint_changes(body: dict[str, Any]) -> EndpointChanges:
    """Any of the fields; one left out stays as it is."""
    errors = _unknown(body, CHANGEABLE_FIELDS) + _field_errors(body)
    if "disabled" in body and not isinstance(body["disabled"], bool):
        errors.append(field_error("disabled", "must be true or false"))
    if errors:
        raise validation_problem(errors)
    types = body.get("event_types")
    return EndpointChanges(
        url=body.get("url"),
        event_types=tuple(types) if types is not None else None,
        description=body.get("description"),
        disabled=body.get("disabled"),
    )


def replay_after(body: dict[str, Any]) -> int:
    """after_sequence: the events after it are sent again (0: all the log keeps)."""
    errors = _unknown(body, ("after_sequence",))
    after = body.get("after_sequence")
    if after is None:
        errors.append(field_error("after_sequence", "is required"))
    elif isinstance(after, bool) or not isinstance(after, int) or not 0 <= after <= MAX_ROW_NUMBER:
        errors.append(
            field_error("after_sequence", f"must be an integer from 0 to {MAX_ROW_NUMBER}")
        )
    if errors:
        raise validation_problem(errors)
    assert isinstance(after, int)
    return after


def _unknown(body: dict[str, Any], known: tuple[str, ...]) -> Errors:
    return [field_error(name, "unknown field") for name in body if name not in known]


def _field_errors(body: dict[str, Any]) -> Errors:
    errors = []
    if "url" in body:
        errors += _url_errors(body["url"])
    if "event_types" in body:
        errors += _event_types_errors(body["event_types"])
    if "description" in body:
        errors += _description_errors(body["description"])
    return errors


def _url_errors(url: Any) -> Errors:
    if not isinstance(url, str) or not url:
        return [field_error("url", "must be a URL string")]
    if len(url) > MAX_URL_LENGTH:
        return [field_error("url", f"must be at most {MAX_URL_LENGTH} characters")]
    if not all("!" <= c <= "~" for c in url):
        # Host names as punycode, paths percent-encoded: what goes on the wire.
        return [field_error("url", "must be printable ASCII without spaces")]
    return []


def _event_types_errors(types: Any) -> Errors:
    def error(message: str) -> Errors:
        return [field_error("event_types", message)]

    if not isinstance(types, list) or not types:
        return error(f'must be a non-empty list of event types, or ["{ALL_TYPES}"]')
    if not all(isinstance(t, str) and t in (*CLIENT_EVENT_TYPES, ALL_TYPES) for t in types):
        return error(f"each must be one of {', '.join(CLIENT_EVENT_TYPES)}, or {ALL_TYPES}")
    if len(set(types)) != len(types):
        return error("must not repeat a type")
    if ALL_TYPES in types and len(types) > 1:
        return error(f'"{ALL_TYPES}" (every type) must be alone')
    return []


def _description_errors(description: Any) -> Errors:
    if not isinstance(description, str):
        return [field_error("description", "must be a string")]
    if len(description) > MAX_DESCRIPTION:
        return [field_error("description", f"must be at most {MAX_DESCRIPTION} characters")]
    if not description.isprintable():
        return [field_error("description", "must contain printable characters only")]
    return []
