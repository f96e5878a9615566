"""The OpenAPI document is served open and describes exactly the routes the app has."""

from __future__ import annotations

from pathlib import Path

import pytest
import schemathesis
from aiohttp import web

from payout_service.web.openapi import openapi_document

METHODS = {"get", "post", "put", "patch", "delete"}


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    """The route table is the same on every database: SQLite is enough."""
    return f"sqlite://{tmp_path}/payouts.sqlite3"


def app_operations(app: web.Application) -> set[tuple[str, str]]:
    """(METHOD, path template) of every route; HEAD is aiohttp's automatic twin of each GET."""
    found = set()
    for route in app.router.routes():
        if route.method == "HEAD" or route.resource is None:
            continue
        found.add((route.method, route.resource.canonical))
    return found


def documented_operations(document: dict) -> set[tuple[str, str]]:  # type: ignore[type-arg]
    return {
        (method.upper(), path)
        for path, item in document["paths"].items()
        for method in item
        if method in METHODS
    }


async def test_every_route_is_documented_and_every_documented_operation_is_a_route(api):
    # Given the running app's route table and its document
    routes = app_operations(api.server.app)
    documented = documented_operations(openapi_document())
    # Then they name the same operations, both ways
    assert routes - documented == set(), "routes missing from the OpenAPI document"
    assert documented - routes == set(), "documented operations the app does not serve"
    assert ("POST", "/api/payouts/{payout_id}/cancel") in routes


async def test_the_document_is_served_without_a_key_and_is_valid_openapi_3_1(api):
    # When anyone asks for it, with no API key
    response = await api.get("/openapi.json")
    # Then it is the document, and a strict OpenAPI tool loads it
    assert response.status == 200
    served = await response.json()
    assert served == openapi_document()
    assert served["openapi"].startswith("3.1")
    schema = schemathesis.openapi.from_dict(served)
    assert sum(1 for _ in schema.get_all_operations()) == len(documented_operations(served))


def test_every_error_answer_is_documented_as_a_problem():
    for path, item in openapi_document()["paths"].items():
        for method, operation in item.items():
            for status, answer in operation["responses"].items():
                if int(status) >= 400 and int(status) != 503:
                    assert list(answer["content"]) == ["application/problem+json"], (
                        method,
                        path,
                        status,
                    )
