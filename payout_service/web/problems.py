"""RFC 9457 problem details: every error this API returns has this one shape."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from aiohttp import web

PROBLEM_JSON = "application/problem+json"
# A validation problem lists this many field errors and counts the others: 5 000 unknown fields
# in a 58 KB body once made a 348 KB answer.
MAX_LISTED_ERRORS = 50
# `detail` is one short sentence: a longer one (it may quote what was sent) is cut here.
MAX_DETAIL_LENGTH = 500


class Problem(Exception):
    """Raised anywhere in the web layer; the error middleware renders it.

    `errors`: what is wrong, one object each: a field's ({field, message}) or a batch item's
    ({index, field, code, message}); a validation problem lists at most MAX_LISTED_ERRORS and
    counts the rest in `errors_not_listed`, a batch rejection lists every bad item (the client
    needs each to fix its file). `detail` is cut to MAX_DETAIL_LENGTH characters.
    """

    def __init__(
        self,
        status: int,
        code: str,
        title: str,
        detail: str,
        errors: Sequence[dict[str, Any]] | None = None,
        headers: dict[str, str] | None = None,
        errors_not_listed: int = 0,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.code = code
        self.title = title
        self.detail = _shortened(detail)
        self.errors = errors
        self.headers = headers or {}
        self.errors_not_listed = errors_not_listed

    def response(self, instance: str) -> web.Response:
        body: dict[str, Any] = {
            "type": f"/problems/{self.code.replace('_', '-')}",
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
            "code": self.code,
            "instance": instance,
        }
        if self.errors:
            body["errors"] = list(self.errors)
        if self.errors_not_listed:
            body["errors_not_listed"] = self.errors_not_listed
        return web.Response(
            status=self.status,
            text=json.dumps(body),
            content_type=PROBLEM_JSON,
            headers=self.headers,
        )


def field_error(field: str, message: str) -> dict[str, str]:
    return {"field": field, "message": message}


def validation_problem(errors: list[dict[str, str]]) -> Problem:
    """A 422 naming every bad field, or the first MAX_LISTED_ERRORS and how many more."""
    listed = errors[:MAX_LISTED_ERRORS]
    summary = "; ".join(f"{e['field']}: {e['message']}" for e in listed)
    if len(errors) > len(listed):
        summary = f"{len(errors)} errors, the first {len(listed)} listed: {summary}"
    return Problem(
        422,
        "validation_failed",
        "Validation failed",
        summary,
        listed,
        errors_not_listed=len(errors) - len(listed),
    )


def _shortened(detail: str) -> str:
    return detail if len(detail) <= MAX_DETAIL_LENGTH else detail[: MAX_DETAIL_LENGTH - 1] + "…"
