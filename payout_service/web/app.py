"""The aiohttp application factory: middlewares, routes and the services behind them."""

from __future__ import annotations

from collections.abc import AsyncIterator

from aiohttp import web

from payout_service.bootstrap import Services
from payout_service.web import (
    account_routes,
    client_event_routes,
    docs_routes,
    health_routes,
    metrics_routes,
    openapi,
    payout_batch_routes,
    payout_routes,
    webhook_endpoint_routes,
    webhook_routes,
)
from payout_service.web.middleware import (
    auth_middleware,
    problem_middleware,
    request_id_middleware,
)
from payout_service.web.payout_routes import SERVICES


def create_app(services: Services) -> web.Application:
    settings = services.settings
    app = web.Application(
        # The largest body any route takes; each route reads at most its own limit
        # (requests.raw_body): a batch's, or max_body_bytes for every other.
        client_max_size=max(settings.max_body_bytes, settings.max_batch_body_bytes),
        middlewares=[
            metrics_routes.http_metrics_middleware(services.metrics),
            request_id_middleware,
            problem_middleware,
            auth_middleware(services.authenticate),
        ],
    )
    app[SERVICES] = services

    async def close_provider(_: web.Application) -> None:
        await services.provider.close()

    app.on_cleanup.append(close_provider)
    if services.fast_path is not None:
        fast_path = services.fast_path

        async def run_fast_path(_: web.Application) -> AsyncIterator[None]:
            # A cleanup context, not on_shutdown: aiohttp stops it only after the in-flight
            # requests have finished, so the rows they commit are published before exit.
            fast_path.start()
            yield
            await fast_path.stop()

        app.cleanup_ctx.append(run_fast_path)
    health_routes.add_routes(app)
    metrics_routes.add_routes(app)
    payout_routes.add_routes(app)
    payout_batch_routes.add_routes(app)
    account_routes.add_routes(app)
    webhook_routes.add_routes(app)
    client_event_routes.add_routes(app)
    webhook_endpoint_routes.add_routes(app)
    openapi.add_routes(app)
    docs_routes.add_routes(app)
    return app
