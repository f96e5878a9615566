"""The OpenAPI document is served open, describes exactly the routes the app has, and what
every operation shares (a tag, X-Request-ID both ways); its examples fit its schemas."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema_rs  # schemathesis's own JSON Schema validator
import pytest
import schemathesis
from aiohttp import web

from payout_service.web.docs_routes import DOCS_PATH
from payout_service.web.openapi import openapi_document
from payout_service.web.payout_list_query import PAYOUT_FILTERS

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
        path = route.resource.canonical
        if path == DOCS_PATH or path.startswith(DOCS_PATH + "/"):
            continue  # the page that shows this document, and its assets: no API operations
        found.add((route.method, path))
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


def operations(document: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method in METHODS:
                yield method, path, operation


def test_every_operation_has_one_declared_tag_and_the_request_id_both_ways():
    document = openapi_document()
    declared = {tag["name"] for tag in document["tags"]}
    used = set()
    for method, path, operation in operations(document):
        assert len(operation["tags"]) == 1 and operation["tags"][0] in declared, (method, path)
        used.add(operation["tags"][0])
        assert {"$ref": "#/components/parameters/RequestId"} in operation["parameters"]
        for status, answer in operation["responses"].items():
            echoed = answer["headers"]["X-Request-ID"]
            assert echoed == {"$ref": "#/components/headers/RequestId"}, (method, path, status)
    assert used == declared, "a declared tag no operation carries"
    assert [server["url"] for server in document["servers"]] == ["/"]


def test_the_payout_list_documents_every_parameter_it_reads():
    listing = openapi_document()["paths"]["/api/payouts"]["get"]
    documented = {p["name"] for p in listing["parameters"] if "name" in p}
    assert documented == {"status", "limit", "cursor", *PAYOUT_FILTERS}


def examples_with_schemas(document: dict[str, Any]) -> Iterator[tuple[str, Any, dict[str, Any]]]:
    """(where, example value, the schema it shows) of every request and response example."""
    for method, path, operation in operations(document):
        bodies = [("request", operation.get("requestBody", {}))]
        bodies += list(operation["responses"].items())
        for label, answer in bodies:
            for media_type, media in answer.get("content", {}).items():
                for name, shown in media.get("examples", {}).items():
                    where = f"{method} {path} {label} {media_type} {name}"
                    yield where, shown["value"], media["schema"]


def test_the_main_operations_have_examples_and_every_example_fits_its_schema():
    document = openapi_document()
    found = list(examples_with_schemas(document))
    shown = {where.split(" ")[1] + " " + where.split(" ")[2] for where, _, _ in found}
    for operation in ("/api/payouts request", "/api/payouts 201", "/api/payout-batches 201"):
        assert operation in shown, operation
    for where, value, schema in found:
        # The document's components travel with the schema, so its $refs resolve.
        validator = jsonschema_rs.Draft202012Validator(
            {**schema, "components": document["components"]}
        )
        errors = [e.message for e in validator.iter_errors(value)]
        assert errors == [], where


async def test_every_answer_echoes_the_request_id_it_was_given(api, auth):
    for method, path in (("GET", "/up"), ("GET", "/api/payouts?limit=0"), ("GET", "/nowhere")):
        response = await api.request(method, path, headers={**auth, "X-Request-ID": "trace-42"})
        assert response.headers["X-Request-ID"] == "trace-42", (method, path)
