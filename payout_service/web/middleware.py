"""Request id, authentication and the rendering of every error as a problem."""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Awaitable, Callable

from aiohttp import web

from payout_service.application.authenticate import Authenticate
from payout_service.infrastructure.logs import log_context
from payout_service.web.error_mapping import problem_for
from payout_service.web.problems import Problem

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
log = logging.getLogger("payout_service.web")

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
PUBLIC_API_PREFIXES = ("/api/webhooks/",)


def request_id_of(request: web.Request) -> str:
    return str(request["request_id"])


@web.middleware
async def request_id_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    given = request.headers.get("X-Request-ID", "")
    request["request_id"] = given if _REQUEST_ID.match(given) else uuid.uuid4().hex
    with log_context(request_id=request["request_id"]):
        response = await handler(request)
    response.headers["X-Request-ID"] = request["request_id"]
    return response


@web.middleware
async def problem_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except Problem as problem:
        return problem.response(request.path)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        return _http_problem(exc).response(request.path)
    except Exception as exc:
        mapped = problem_for(exc)
        if mapped is not None:
            return mapped.response(request.path)
        log.exception("unhandled error", extra={"request_id": request.get("request_id")})
        return Problem(
            500, "internal_error", "Internal error", "the request failed; nothing was changed"
        ).response(request.path)


def _http_problem(exc: web.HTTPException) -> Problem:
    codes = {
        404: ("not_found", "no such route"),
        405: ("method_not_allowed", "method not allowed"),
        413: ("payload_too_large", "the request body is too large"),
    }
    code, detail = codes.get(exc.status, (exc.reason.lower().replace(" ", "_"), exc.text or ""))
    headers = {k: v for k, v in exc.headers.items() if k.lower() == "allow"}
    return Problem(exc.status, code, exc.reason, detail, headers=headers)


def auth_middleware(authenticate: Authenticate) -> Callable[..., Awaitable[web.StreamResponse]]:
    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        path = request.path
        if path.startswith("/api/") and not path.startswith(PUBLIC_API_PREFIXES):
            request["user_id"] = await _authenticated_user(request, authenticate)
        return await handler(request)

    return middleware


async def _authenticated_user(request: web.Request, authenticate: Authenticate) -> int:
    header = request.headers.get("Authorization", "")
    scheme, _, key = header.partition(" ")
    challenge = {"WWW-Authenticate": 'Bearer realm="payout-service"'}
    if scheme.lower() != "bearer" or not key.strip():
        raise Problem(
            401,
            "unauthenticated",
            "Unauthenticated",
            "send an API key as 'Authorization: Bearer <key>'",
            headers=challenge,
        )
    user_id = await authenticate(key.strip())
    if user_id is None:
        raise Problem(
            401, "unauthenticated", "Unauthenticated", "unknown API key", headers=challenge
        )
    return user_id
