"""/api/events: the caller's public event log, in sequence order, after a sequence it has seen."""

from __future__ import annotations

from dataclasses import dataclass

from aiohttp import web

from payout_service.application.representation import client_event_representation
from payout_service.domain.client_events import CLIENT_EVENT_TYPES
from payout_service.web.payout_routes import SERVICES
from payout_service.web.problems import field_error, validation_problem
from payout_service.web.queries import (
    MAX_ROW_NUMBER,
    page_limit,
    query_problems,
    uuid_text,
    whole_number,
)

EVENT_QUERY = ("after", "limit", "type", "payout_id")


def add_routes(app: web.Application) -> None:
    app.router.add_get("/api/events", list_events)


async def list_events(request: web.Request) -> web.Response:
    query = _event_query(request)
    page = await request.app[SERVICES].read_events.after(
        request["user_id"], query.after, query.limit, query.event_type, query.payout_id
    )
    return web.json_response(
        {
            "data": [client_event_representation(e) for e in page.events],
            "has_more": page.has_more,
        }
    )


@dataclass(frozen=True, slots=True)
class _EventQuery:
    after: int
    limit: int
    event_type: str | None
    payout_id: str | None


def _event_query(request: web.Request) -> _EventQuery:
    query = request.query
    errors = query_problems(query, EVENT_QUERY)
    after = whole_number(query.get("after", "0"))
    if after is None:
        errors.append(field_error("after", f"must be an integer from 0 to {MAX_ROW_NUMBER}"))
        after = 0
    limit = page_limit(query, errors)
    event_type = query.get("type")
    if event_type is not None and event_type not in CLIENT_EVENT_TYPES:
        errors.append(field_error("type", f"must be one of {', '.join(CLIENT_EVENT_TYPES)}"))
    payout_id = query.get("payout_id")
    if payout_id is not None:
        payout_id = uuid_text(payout_id)
        if payout_id is None:
            errors.append(field_error("payout_id", "must be a payout id (a UUID)"))
    if errors:
        raise validation_problem(errors)
    return _EventQuery(after, limit, event_type, payout_id)
