"""The README shows a curl example for every route the API serves (but the /docs page's own
script and style sheet, which only the page asks for)."""

from __future__ import annotations

import re

from payout_service.bootstrap import Services
from payout_service.web.app import create_app
from tests.processes import PROJECT_ROOT

PATH_PARAMETER = re.compile(r"\\\{[^}]+\\\}")  # `{payout_id}` once re.escape()d
ANY_SEGMENT = r"[^/?\s\"']+"


def test_every_route_has_a_curl_example_in_the_readme(services: Services) -> None:
    readme = (PROJECT_ROOT / "README.md").read_text()
    examples = "\n".join(line for line in readme.splitlines() if "$API" in line)
    missing = []
    for resource in create_app(services).router.resources():
        if resource.canonical.startswith("/docs/"):
            continue
        path = PATH_PARAMETER.sub(lambda _: ANY_SEGMENT, re.escape(resource.canonical))
        if not re.search(rf"\$API{path}(?=[\s?\"']|$)", examples, re.M):
            missing.append(resource.canonical)
    assert missing == []
