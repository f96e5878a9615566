"""What every operation of the OpenAPI document shares, applied in one place once its paths are
written: a tag by the path it serves, and the X-Request-ID header both ways (the request id
middleware reads it on every request and sets it on every answer)."""

from __future__ import annotations

from payout_service.web.openapi_parts import Schema

# (tag, the path it covers with those under it, what the tag's operations are for), in the
# order a reader meets them; "/" takes whatever the others do not.
TAGS = (
    ("payouts", "/api/payouts", "create, read, list and cancel payouts"),
    (
        "payout batches",
        "/api/payout-batches",
        "many payouts in one request, as JSON or CSV; their items are ordinary payouts",
    ),
    ("accounts", "/api/accounts", "balances per currency and their ledger lines"),
    ("events", "/api/events", "the caller's event log, in sequence order"),
    (
        "webhook endpoints",
        "/api/webhook-endpoints",
        "where the caller's events are delivered, signed, and the deliveries' log",
    ),
    (
        "provider webhooks",
        "/api/webhooks/provider",
        "the payment provider's signed status reports (signature, not API key)",
    ),
    ("operations", "/", "liveness, readiness, metrics and this document (no API key)"),
)
REQUEST_ID_PATTERN = "^[A-Za-z0-9._:-]{1,128}$"
REQUEST_ID_PARAMETER: Schema = {
    "name": "X-Request-ID",
    "in": "header",
    "required": False,
    "description": f"your id for this request, echoed in the answer and written in every log"
    f" line of the work it starts; one not matching {REQUEST_ID_PATTERN} is replaced by a"
    " generated one",
    "schema": {"type": "string"},
}
REQUEST_ID_HEADER: Schema = {
    "description": "the request's X-Request-ID as sent, or the one generated for it",
    "required": True,
    "schema": {"type": "string", "pattern": REQUEST_ID_PATTERN},
}
_METHODS = ("get", "put", "post", "delete", "patch")


def tag_list() -> list[Schema]:
    return [{"name": name, "description": text} for name, _, text in TAGS]


def with_conventions(paths: Schema) -> Schema:
    """`paths` with each operation tagged and carrying the X-Request-ID header both ways."""
    for path, item in paths.items():
        for method in _METHODS:
            operation = item.get(method)
            if operation is None:
                continue
            operation["tags"] = [tag_of(path)]
            operation["parameters"] = [
                *operation.get("parameters", []),
                {"$ref": "#/components/parameters/RequestId"},
            ]
            for answer in operation["responses"].values():
                answer["headers"] = {
                    **answer.get("headers", {}),
                    "X-Request-ID": {"$ref": "#/components/headers/RequestId"},
                }
    return paths


def tag_of(path: str) -> str:
    for name, covered, _ in TAGS:
        if path == covered or path.startswith(covered.rstrip("/") + "/"):
            return name
    raise ValueError(f"no tag covers {path}")
