"""The aiohttp application factory: middlewares, routes and the services behind them."""

from __future__ import annotations

from aiohttp import web

from payout_service.bootstrap import Services
from payout_service.web import health_routes, payout_routes
from payout_service.web.middleware import (
    auth_middleware,
    problem_middleware,
    request_id_middleware,
)
from payout_service.web.payout_routes import SERVICES


def create_app(services: Services) -> web.Application:
    app = web.Application(
        client_max_size=services.settings.max_body_bytes,
        middlewares=[
            request_id_middleware,
            problem_middleware,
            auth_middleware(services.authenticate),
        ],
    )
    app[SERVICES] = services
    if services.fast_path is not None:
        fast_path = services.fast_path

        async def start_fast_path(_: web.Application) -> None:
            fast_path.start()

        async def stop_fast_path(_: web.Application) -> None:
            await fast_path.stop()

        app.on_startup.append(start_fast_path)
        app.on_shutdown.append(stop_fast_path)
    health_routes.add_routes(app)
    payout_routes.add_routes(app)
    return app
