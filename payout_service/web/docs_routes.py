"""GET /docs: the API reference in a browser, drawn from GET /openapi.json.

The page and its script and style sheet are files of this package (web/static), served by the
service itself: the page works without any other site, and a visit reaches no third party. The
packaged Swagger UI on PyPI (swagger-ui-bundle, Swagger UI 4) cannot render an OpenAPI 3.1
document, hence a small page of our own. Open like /openapi.json: no API key is needed.

Its Content-Security-Policy allows scripts, styles and requests to this origin only, so nothing
the page shows can load or run anything else.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

from aiohttp import web

STATIC = Path(__file__).with_name("static")
DOCS_PATH = "/docs"
# Each route: the file it serves and the file's type.
ASSETS = {
    DOCS_PATH: ("docs.html", "text/html"),
    f"{DOCS_PATH}/docs.js": ("docs.js", "text/javascript"),
    f"{DOCS_PATH}/docs.css": ("docs.css", "text/css"),
}
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self';"
    " img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)


def add_routes(app: web.Application) -> None:
    for path, (name, content_type) in ASSETS.items():
        app.router.add_get(path, _serve((STATIC / name).read_bytes(), content_type))


def _serve(body: bytes, content_type: str) -> Callable[[web.Request], Awaitable[web.Response]]:
    """The file read once at start; `no-cache` makes a browser ask again after an upgrade."""

    async def serve(_: web.Request) -> web.Response:
        return web.Response(
            body=body,
            content_type=content_type,
            charset="utf-8",
            headers={
                "Content-Security-Policy": CONTENT_SECURITY_POLICY,
                "X-Content-Type-Options": "nosniff",
                "Cache-Control": "no-cache",
            },
        )

    return serve
