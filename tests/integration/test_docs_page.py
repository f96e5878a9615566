"""GET /docs: the API reference page, served open by the service with its own script and style
sheet, drawn in a real (headless Chromium) browser from GET /openapi.json."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from typing import Any

import pytest

from tests.installed_programs import installed

BROWSER_TIMEOUT_SECONDS = 90


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    """The page reads no table: one database kind is enough."""
    return f"sqlite://{tmp_path}/payouts.sqlite3"


async def test_the_page_and_its_assets_are_served_open_from_the_service(api: Any) -> None:
    # When a browser without an API key asks for the page and what it loads
    page = await api.get("/docs")
    html = await page.text()
    assets = re.findall(r'(?:src|href)="([^"#]+)"', html)
    # Then the page answers, and everything it loads is the service's own (no CDN)
    assert page.status == 200
    assert page.content_type == "text/html"
    assert "default-src 'none'" in page.headers["Content-Security-Policy"]
    assert sorted(assets) == ["docs/docs.css", "docs/docs.js", "openapi.json", "openapi.json"]
    for asset, content_type in (("docs.js", "text/javascript"), ("docs.css", "text/css")):
        answer = await api.get(f"/docs/{asset}")
        assert (answer.status, answer.content_type) == (200, content_type)
        assert "https://" not in await answer.text() and "http://" not in await answer.text()


async def test_an_unknown_asset_is_a_404_problem(api: Any) -> None:
    answer = await api.get("/docs/missing.js")
    assert answer.status == 404
    assert answer.content_type == "application/problem+json"


async def test_a_browser_shows_every_operation_grouped_with_its_schemas(
    api: Any, tmp_path: Path
) -> None:
    # Given the app serving on a real port
    url = str(api.make_url("/docs"))
    # When headless Chromium loads the page and runs its script
    dom = await _rendered(url, tmp_path)
    # Then the page shows the operations with method and path, what they take and answer
    assert "could not be shown" not in dom
    for operation in (
        'POST</span> <code class="path">/api/payouts</code>',
        'GET</span> <code class="path">/api/payout-batches</code>',
        'DELETE</span> <code class="path">/api/webhook-endpoints/{endpoint_id}</code>',
    ):
        assert operation in dom
    assert '<code class="property">external_reference</code>' in dom  # a request body field
    assert '<span class="status">201</span>' in dom
    assert "Idempotency-Key" in dom


async def _rendered(url: str, profile: Path) -> str:
    """The DOM after the page's scripts ran. Chromium may reach no address but this machine's:
    every host name but 127.0.0.1 fails to resolve, and every other request goes to a proxy
    that is not there."""
    browser = await asyncio.create_subprocess_exec(
        installed("chromium"),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-default-apps",
        "--disable-extensions",
        "--disable-domain-reliability",
        "--disable-features=OptimizationHints,MediaRouter,Translate,AutofillServerCommunication",
        "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
        "--proxy-server=http://127.0.0.1:9",
        f"--user-data-dir={profile / 'chromium'}",
        "--virtual-time-budget=10000",
        "--dump-dom",
        url,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        out, err = await asyncio.wait_for(browser.communicate(), BROWSER_TIMEOUT_SECONDS)
    finally:
        if browser.returncode is None:
            browser.kill()
            await browser.wait()
    assert browser.returncode == 0, err.decode(errors="replace")
    return out.decode()
