"""GET /metrics (Prometheus text format) and the middleware that counts every HTTP request.

A request costs a few in-memory metric updates (about 5 us with the create-payout counters); the
database and Redis are read only when /metrics is scraped, for the gauges they alone know (outbox
backlog, dead rows, open holds; the depth of each queue). A scrape never fails for them: what the
database or Redis does not answer in time is left out of that scrape, and the counters are served.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable

from aiohttp import web
from prometheus_client.metrics_core import Metric

from payout_service.bootstrap import Services
from payout_service.infrastructure.metrics import CONTENT_TYPE_LATEST, PrometheusMetrics
from payout_service.infrastructure.queue_depths import QueueDepths
from payout_service.web.payout_routes import SERVICES

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
log = logging.getLogger("payout_service.web.metrics")

SCRAPE_QUERY_TIMEOUT_SECONDS = 2.0
UNMATCHED = "unmatched"  # 404s: one label value, not one per probed path
QUEUE_DEPTHS = web.AppKey("queue_depths", QueueDepths)


def add_routes(app: web.Application) -> None:
    app.router.add_get("/metrics", metrics)
    app.cleanup_ctx.append(_queue_depths)


async def _queue_depths(app: web.Application) -> AsyncIterator[None]:
    """The Redis connection the scrapes read the queue depths with (none without REDIS_URL)."""
    depths = QueueDepths.from_settings(app[SERVICES].settings)
    if depths is None:
        yield
        return
    app[QUEUE_DEPTHS] = depths
    yield
    await depths.close()


async def metrics(request: web.Request) -> web.Response:
    services = request.app[SERVICES]
    database, queues = await asyncio.gather(
        _database_gauges(services), _queue_gauges(services, request.app.get(QUEUE_DEPTHS))
    )
    body = await asyncio.to_thread(services.metrics.exposition, [*database, *queues])
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})


async def _database_gauges(services: Services) -> list[Metric]:
    # Shielded: a timeout abandons the wait, never the query (cancelling a transaction half-way
    # would leave its connection held).
    query = asyncio.ensure_future(services.scrape_gauges())
    query.add_done_callback(lambda done: done.cancelled() or done.exception())
    try:
        return await asyncio.wait_for(asyncio.shield(query), SCRAPE_QUERY_TIMEOUT_SECONDS)
    except Exception:  # the counters are still worth serving when the database is unwell
        log.warning("database gauges left out of this scrape", exc_info=True)
        return []


async def _queue_gauges(services: Services, depths: QueueDepths | None) -> list[Metric]:
    """Counted in broker_queue_read_failures when Redis does not answer: an alert on the
    queues' gauges then has the failures to say why they are missing."""
    if depths is None:
        return []
    try:
        return await asyncio.wait_for(depths.gauges(), SCRAPE_QUERY_TIMEOUT_SECONDS)
    except Exception as exc:  # one line, not a traceback per scrape while Redis is down
        log.warning(
            "queue depths left out of this scrape: Redis did not answer",
            extra={"error": f"{type(exc).__name__}: {exc}"},
        )
        services.metrics.queue_depths_unread()
        return []


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
