"""The OpenAPI schemas and operations of the event log and the webhook endpoints (merged into
web.openapi's document): constants and enums read from where the code reads them."""

from __future__ import annotations

from payout_service.application.manage_webhook_endpoints import MAX_ENDPOINTS_PER_USER
from payout_service.domain.client_events import (
    ALL_TYPES,
    CLIENT_EVENT_TYPES,
    DeliveryStatus,
    EndpointState,
)
from payout_service.infrastructure.outgoing_webhooks.url_policy import MAX_URL_LENGTH
from payout_service.web import openapi_examples
from payout_service.web.openapi_examples import example
from payout_service.web.openapi_parts import (
    ALL_IN_ONE_PAGE,
    CURSOR,
    HAS_MORE,
    LIMIT,
    NULLABLE_STRING,
    NULLABLE_TIME,
    TIME,
    Schema,
    all_required,
    json_answer,
    json_body,
    problems,
    ref,
    text,
)
from payout_service.web.queries import MAX_ROW_NUMBER
from payout_service.web.webhook_endpoint_requests import MAX_DESCRIPTION

_SEQUENCE: Schema = {"type": "integer", "minimum": 0, "maximum": MAX_ROW_NUMBER}
_NULLABLE_INTEGER: Schema = {"type": ["integer", "null"]}
_URL: Schema = {
    **text(MAX_URL_LENGTH),
    "description": "https:// (http:// to loopback only where the service allows it); no"
    " credentials; its host must resolve to public addresses unless the service allows private"
    " ones (link-local and metadata addresses never)",
}
_EVENT_TYPES: Schema = {
    "type": "array",
    "minItems": 1,
    "uniqueItems": True,
    "items": {"type": "string", "enum": [*CLIENT_EVENT_TYPES, ALL_TYPES]},
    "description": f'the event types it receives, or ["{ALL_TYPES}"] for all of them',
}
_DESCRIPTION: Schema = {"type": "string", "maxLength": MAX_DESCRIPTION}
_ENDPOINT_ID = {"name": "endpoint_id", "in": "path", "required": True, "schema": {"type": "string"}}
_ENDPOINT_PROPERTIES: Schema = {
    "id": {"type": "string"},
    "url": {"type": "string"},
    "event_types": {"type": "array", "items": {"type": "string"}},
    "description": {"type": "string"},
    "state": {
        "type": "string",
        "enum": [str(s) for s in EndpointState],
        "description": "failing: a delivery ran out of retries (deliveries go on); disabled: by"
        " the client, or after failing too long (nothing is sent until it is enabled)",
    },
    "failing_since": NULLABLE_TIME,
    "previous_secret_signs_until": {
        **NULLABLE_TIME,
        "description": "after a rotation, until when the previous secret signs too (a second"
        " v1= value); null when only the current secret signs",
    },
    "after_sequence": {
        "type": "integer",
        "description": "the caller's last event when the endpoint was created: it receives the"
        " ones after it",
    },
    "created_at": TIME,
    "updated_at": TIME,
}


def schemas() -> Schema:
    return {
        "ClientEvent": all_required(
            {
                "id": {"type": "string", "description": "evt_ and a sortable id"},
                "type": {"type": "string", "enum": list(CLIENT_EVENT_TYPES)},
                "user_id": {"type": "integer"},
                "sequence": {
                    "type": "integer",
                    "minimum": 1,
                    "description": "the user's events 1, 2, 3... with no gap",
                },
                "payout_id": NULLABLE_STRING,
                "payout_version": {
                    **_NULLABLE_INTEGER,
                    "description": "the payout's version this event shows (+1 per change)",
                },
                "created_at": TIME,
                "data": {
                    "type": "object",
                    "description": "for a payout's event, the payout as GET /api/payouts/{id}"
                    " returned it at that version",
                },
            }
        ),
        "EventPage": all_required(
            {
                "data": {"type": "array", "items": ref("ClientEvent")},
                "has_more": {
                    "type": "boolean",
                    "description": "more events follow: ask again after the last sequence",
                },
            }
        ),
        "NewWebhookEndpoint": {
            "type": "object",
            "additionalProperties": False,
            "required": ["url", "event_types"],
            "properties": {
                "url": _URL,
                "event_types": _EVENT_TYPES,
                "description": _DESCRIPTION,
            },
        },
        "WebhookEndpointChanges": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "url": _URL,
                "event_types": _EVENT_TYPES,
                "description": _DESCRIPTION,
                "disabled": {
                    "type": "boolean",
                    "description": "true stops deliveries; false enables it again, and the"
                    " deliveries that waited go",
                },
            },
        },
        "WebhookEndpoint": all_required(_ENDPOINT_PROPERTIES),
        "WebhookEndpointWithSecret": all_required(
            {
                **_ENDPOINT_PROPERTIES,
                "secret": {
                    "type": "string",
                    "description": "whsec_...: signs every delivery; shown only here",
                },
            }
        ),
        "DeliveryAttempt": all_required(
            {
                "attempted_at": TIME,
                "status_code": {
                    **_NULLABLE_INTEGER,
                    "description": "null: no answer (timeout, refused connection or address)",
                },
                "latency_ms": {"type": "integer", "minimum": 0},
                "error": NULLABLE_STRING,
            }
        ),
        "Delivery": all_required(
            {
                "id": {"type": "integer"},
                "event_id": {"type": "string"},
                "sequence": {"type": "integer"},
                "status": {"type": "string", "enum": [str(s) for s in DeliveryStatus]},
                "attempts": {"type": "integer", "minimum": 0},
                "next_attempt_at": {
                    **NULLABLE_TIME,
                    "description": "when a pending delivery is tried next",
                },
                "last_status_code": _NULLABLE_INTEGER,
                "last_error": NULLABLE_STRING,
                "created_at": TIME,
                "finished_at": NULLABLE_TIME,
                "attempt_log": {
                    "type": "array",
                    "items": ref("DeliveryAttempt"),
                    "description": "oldest first",
                },
            }
        ),
    }


def paths() -> Schema:
    endpoint = "/api/webhook-endpoints/{endpoint_id}"
    return {
        "/api/events": {
            "get": {
                "summary": "the caller's events after a sequence, in sequence order",
                "operationId": "listEvents",
                "parameters": [
                    {
                        "name": "after",
                        "in": "query",
                        "required": False,
                        "description": "the last sequence seen (default 0: from the first)",
                        "schema": _SEQUENCE,
                    },
                    LIMIT,
                    {
                        "name": "type",
                        "in": "query",
                        "required": False,
                        "schema": {"type": "string", "enum": list(CLIENT_EVENT_TYPES)},
                    },
                    {
                        "name": "payout_id",
                        "in": "query",
                        "required": False,
                        "schema": {"type": "string", "format": "uuid"},
                    },
                ],
                "responses": {
                    "200": json_answer(
                        ref("EventPage"),
                        "a page",
                        examples={
                            "created": example("a payout created", openapi_examples.event_page())
                        },
                    ),
                    **problems(401, 422),
                },
            }
        },
        "/api/webhook-endpoints": {
            "post": {
                "summary": "register a webhook endpoint; the answer holds its signing secret,"
                f" shown once (at most {MAX_ENDPOINTS_PER_USER} per user)",
                "operationId": "createWebhookEndpoint",
                # No example: the fuzz test sends examples, and the service resolves an
                # endpoint's host (tests reach nothing but 127.0.0.1).
                "requestBody": json_body(ref("NewWebhookEndpoint")),
                "responses": {
                    "201": json_answer(ref("WebhookEndpointWithSecret"), "registered"),
                    **problems(400, 401, 409, 413, 415, 422),
                },
            },
            "get": {
                "summary": "the caller's webhook endpoints, oldest first",
                "operationId": "listWebhookEndpoints",
                "responses": {
                    "200": json_answer(
                        all_required(
                            {
                                "data": {"type": "array", "items": ref("WebhookEndpoint")},
                                "has_more": ALL_IN_ONE_PAGE,
                            }
                        ),
                        "endpoints",
                    ),
                    **problems(401),
                },
            },
        },
        endpoint: {
            "get": {
                "summary": "one of the caller's webhook endpoints",
                "operationId": "getWebhookEndpoint",
                "parameters": [_ENDPOINT_ID],
                "responses": {
                    "200": json_answer(ref("WebhookEndpoint"), "the endpoint"),
                    **problems(401, 404),
                },
            },
            "patch": {
                "summary": "change an endpoint's url, event types or description; disable or"
                " enable it",
                "operationId": "changeWebhookEndpoint",
                "parameters": [_ENDPOINT_ID],
                "requestBody": json_body(ref("WebhookEndpointChanges")),
                "responses": {
                    "200": json_answer(ref("WebhookEndpoint"), "changed"),
                    **problems(400, 401, 404, 413, 415, 422),
                },
            },
            "delete": {
                "summary": "delete an endpoint: nothing more is sent to it",
                "operationId": "deleteWebhookEndpoint",
                "parameters": [_ENDPOINT_ID],
                "responses": {"204": {"description": "deleted"}, **problems(401, 404)},
            },
        },
        f"{endpoint}/rotate-secret": {
            "post": {
                "summary": "a new signing secret, shown once; the previous one signs too for"
                " WEBHOOK_SECRET_OVERLAP_HOURS",
                "operationId": "rotateWebhookEndpointSecret",
                "parameters": [_ENDPOINT_ID],
                "responses": {
                    "200": json_answer(ref("WebhookEndpointWithSecret"), "rotated"),
                    **problems(401, 404),
                },
            }
        },
        f"{endpoint}/test": {
            "post": {
                "summary": "send the endpoint a signed ping event",
                "operationId": "pingWebhookEndpoint",
                "parameters": [_ENDPOINT_ID],
                "responses": {
                    "202": json_answer(
                        all_required(
                            {"endpoint_id": {"type": "string"}, "ping": {"type": "string"}}
                        ),
                        "the ping is on its way",
                    ),
                    **problems(401, 404),
                },
            }
        },
        f"{endpoint}/deliveries": {
            "get": {
                "summary": "the endpoint's deliveries with their attempts, newest first",
                "operationId": "listWebhookDeliveries",
                "parameters": [
                    _ENDPOINT_ID,
                    {
                        "name": "status",
                        "in": "query",
                        "required": False,
                        "schema": {"type": "string", "enum": [str(s) for s in DeliveryStatus]},
                    },
                    LIMIT,
                    CURSOR,
                ],
                "responses": {
                    "200": json_answer(
                        all_required(
                            {
                                "data": {"type": "array", "items": ref("Delivery")},
                                "has_more": HAS_MORE,
                                "next_cursor": NULLABLE_STRING,
                            }
                        ),
                        "a page",
                    ),
                    **problems(401, 404, 422),
                },
            }
        },
        f"{endpoint}/deliveries/{{delivery_id}}/retry": {
            "post": {
                "summary": "send one delivery again, now, whatever its status",
                "operationId": "retryWebhookDelivery",
                "parameters": [
                    _ENDPOINT_ID,
                    {
                        "name": "delivery_id",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "integer", "minimum": 1},
                    },
                ],
                "responses": {
                    "202": json_answer(ref("Delivery"), "pending again"),
                    **problems(401, 404),
                },
            }
        },
        f"{endpoint}/replay": {
            "post": {
                "summary": "send again, in order, every event after a sequence that the"
                " endpoint subscribes to",
                "operationId": "replayWebhookEvents",
                "parameters": [_ENDPOINT_ID],
                "requestBody": json_body(
                    {
                        "type": "object",
                        "additionalProperties": False,
                        "required": ["after_sequence"],
                        "properties": {"after_sequence": _SEQUENCE},
                    }
                ),
                "responses": {
                    "202": json_answer(
                        all_required(
                            {
                                "after_sequence": {"type": "integer"},
                                "replayed": {
                                    "type": "integer",
                                    "description": "how many deliveries are pending again",
                                },
                            }
                        ),
                        "the deliveries are pending",
                    ),
                    **problems(400, 401, 404, 413, 415, 422),
                },
            }
        },
    }
