"""The query of GET /api/payouts: filters, page size and cursor, or a 422 naming each bad one."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from aiohttp import web
from multidict import MultiMapping

from payout_service.application.payout_fields import text_problem
from payout_service.application.ports import PageCursor, PayoutFilter
from payout_service.domain.payout import PayoutStatus
from payout_service.web.cursors import decode_cursor
from payout_service.web.moments import RFC3339_TIME, rfc3339_moment
from payout_service.web.problems import field_error
from payout_service.web.queries import Errors, status_page_query, uuid_text

# Besides status, limit and cursor.
PAYOUT_FILTERS = ("batch_id", "external_reference", "created_gte", "created_lt")
MOMENT_RULE = f"must be {RFC3339_TIME} (in a URL, + is %2B)"


@dataclass(frozen=True, slots=True)
class PayoutListQuery:
    filters: PayoutFilter
    limit: int
    cursor: PageCursor | None


def payout_list_query(request: web.Request) -> PayoutListQuery:
    """Every filter is optional; given together they all apply."""
    query = request.query
    errors: Errors = []
    batch_id = _batch_id(query, errors)
    external_reference = _external_reference(query, errors)
    created_gte = _moment(query, "created_gte", errors)
    created_lt = _moment(query, "created_lt", errors)
    status, limit, cursor = status_page_query(
        request, PayoutStatus, decode_cursor, also=PAYOUT_FILTERS, errors=errors
    )
    filters = PayoutFilter(status, batch_id, external_reference, created_gte, created_lt)
    return PayoutListQuery(filters, limit, cursor)


def _batch_id(query: MultiMapping[str], errors: Errors) -> str | None:
    if "batch_id" not in query:
        return None
    batch_id = uuid_text(query["batch_id"])
    if batch_id is None:
        errors.append(field_error("batch_id", "must be a batch id (a UUID)"))
    return batch_id


def _external_reference(query: MultiMapping[str], errors: Errors) -> str | None:
    """Exact match, so held to the rules a payout's own reference was created under."""
    reference = query.get("external_reference")
    if reference is not None and (problem := text_problem("external_reference", reference)):
        errors.append(field_error("external_reference", problem))
    return reference


def _moment(query: MultiMapping[str], name: str, errors: Errors) -> datetime | None:
    if name not in query:
        return None
    moment = rfc3339_moment(query[name])
    if moment is None:
        errors.append(field_error(name, MOMENT_RULE))
    return moment
