"""GET /metrics (Prometheus text format) and the middleware that counts every HTTP request.

A request costs a few in-memory metric updates (about 5 us with the create-payout counters); the
database is read only when /metrics is scraped, for the gauges it alone knows (outbox backlog,
dead rows, open holds).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable

from aiohttp import web

from payout_service.infrastructure.metrics import CONTENT_TYPE_LATEST, PrometheusMetrics
from payout_service.web.payout_routes import SERVICES

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
log = logging.getLogger("payout_service.web.metrics")

SCRAPE_QUERY_TIMEOUT_SECONDS = 2.0
UNMATCHED = "unmatched"  # 404s: one label value, not one per probed path


def add_routes(app: web.Application) -> None:
    app.router.add_get("/metrics", metrics)


async def metrics(request: web.Request) -> web.Response:
    services = request.app[SERVICES]
    # Shielded: a timeout abandons the wait, never the query (cancelling a transaction half-way
    # would leave its connection held).
    query = asyncio.ensure_future(services.scrape_gauges())
    query.add_done_callback(lambda done: done.cancelled() or done.exception())
    try:
        gauges = await asyncio.wait_for(asyncio.shield(query), SCRAPE_QUERY_TIMEOUT_SECONDS)
    except Exception:  # the counters are still worth serving when the database is unwell
        log.warning("database gauges left out of this scrape", exc_info=True)
        gauges = []
    body = await asyncio.to_thread(services.metrics.exposition, gauges)
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})


def http_metrics_middleware(
    metrics: PrometheusMetrics,
) -> Callable[..., Awaitable[web.StreamResponse]]:
    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        started = time.perf_counter()
        metrics.http_request_started()
        status = 500
        try:
            response = await handler(request)
            status = response.status
            return response
        except web.HTTPException as exc:
            status = exc.status
            raise
        finally:
            resource = request.match_info.route.resource
            route = resource.canonical if resource is not None else UNMATCHED
            metrics.http_request(route, request.method, status, time.perf_counter() - started)

    return middleware
