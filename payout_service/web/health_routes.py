"""Liveness and readiness, open to anyone (load balancers and orchestrators call them)."""

from __future__ import annotations

from aiohttp import web

from payout_service.web.payout_routes import SERVICES


def add_routes(app: web.Application) -> None:
    app.router.add_get("/up", up)
    app.router.add_get("/ready", ready)


async def up(request: web.Request) -> web.Response:
    return web.json_response({"status": "up"})


async def ready(request: web.Request) -> web.Response:
    checks = await request.app[SERVICES].readiness()
    healthy = all(result == "ok" for result in checks.values())
    return web.json_response(
        {"status": "ready" if healthy else "not_ready", "checks": checks},
        status=200 if healthy else 503,
    )
