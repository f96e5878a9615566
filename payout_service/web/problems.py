"""RFC 9457 problem details: every error this API returns has this one shape."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from aiohttp import web

PROBLEM_JSON = "application/problem+json"


class Problem(Exception):
    """Raised anywhere in the web layer; the error middleware renders it.

    `errors`: what is wrong, one object each: a field's ({field, message}) or a batch item's
    ({index, field, code, message}), as many as there are; `detail` stays one short sentence.
    """

    def __init__(
        self,
        status: int,
        code: str,
        title: str,
        detail: str,
        errors: Sequence[dict[str, Any]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.code = code
        self.title = title
        self.detail = detail
        self.errors = errors
        self.headers = headers or {}

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
        return web.Response(
            status=self.status,
            text=json.dumps(body),
            content_type=PROBLEM_JSON,
            headers=self.headers,
        )


def field_error(field: str, message: str) -> dict[str, str]:
    return {"field": field, "message": message}


def validation_problem(errors: list[dict[str, str]]) -> Problem:
    return Problem(
        422,
        "validation_failed",
        "Validation failed",
        "; ".join(f"{e['field']}: {e['message']}" for e in errors),
        errors,
    )
