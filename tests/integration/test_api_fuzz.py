"""Schemathesis against the live `payout-service web` on MariaDB, driven by the document it
serves at /openapi.json: no input yields a 5xx, and every answer conforms to the document
(status documented, content type and body as described: application/problem+json for errors).

Bounded: FUZZ_EXAMPLES examples per operation (default 25), every request with a timeout.
Half of the webhook requests are signed over the exact bytes sent, so generated bodies reach
the validation and the inbox; the other half carry the generated signature header and must be
refused with 401 (or 413 for a body over the limit, which is refused before it is read).
"""

from __future__ import annotations

import itertools
import os
import time
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from payout_service.infrastructure.db.seed import DEMO_API_KEY, DEMO_USER_ID
from payout_service.infrastructure.webhook_signature import SIGNATURE_HEADER, signature_header
from tests.integration.live_service import LiveService, live_web

pytestmark = pytest.mark.mysql

SECRET = "whsec_fuzz_0123456789"
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "50"))
REQUEST_TIMEOUT_SECONDS = 10
WEBHOOK_PATH = "/api/webhooks/provider"
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
STATUSES: Counter[tuple[str, int]] = Counter()
CREATED: list[str] = []  # ids of payouts the run created, for get and cancel to meet
TURNS = itertools.count()


@pytest.fixture(scope="module")
def live(
    mysql_server_url: str, redis_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveService]:
    folder = tmp_path_factory.mktemp("fuzz")
    with live_web(mysql_server_url, redis_url, folder, PROVIDER_WEBHOOK_SECRETS=SECRET) as service:
        yield service
        print(
            "\nfuzz answers (operation, status): "
            + ", ".join(f"{op} {status}: {n}" for (op, status), n in sorted(STATUSES.items()))
        )


@pytest.fixture(scope="module")
def api_schema(live: LiveService) -> Any:
    return schemathesis.openapi.from_url(f"{live.base_url}/openapi.json")


class SigningSession(requests.Session):
    """Signs every other webhook request over the body bytes exactly as they go out."""

    def __init__(self) -> None:
        super().__init__()
        self._turn = itertools.cycle((True, False))
        self.signed: dict[int, bool] = {}

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        if (request.path_url or "").startswith(WEBHOOK_PATH):
            sign = next(self._turn)
            if sign:
                body = request.body or b""
                data = body.encode() if isinstance(body, str) else body
                request.headers[SIGNATURE_HEADER] = signature_header(
                    data, (SECRET,), int(time.time())
                )
            response = super().send(request, **kwargs)
            self.signed[id(response)] = sign
            return response
        return super().send(request, **kwargs)


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    print_blob=True,
)
def test_no_input_yields_a_5xx_and_every_answer_conforms_to_the_document(
    case: Any, live: LiveService
) -> None:
    steer_towards_real_payouts(case)
    session = SigningSession()
    response = case.call_and_validate(
        base_url=live.base_url,
        session=session,
        headers={"Authorization": f"Bearer {DEMO_API_KEY}"},
        checks=CHECKS,
        timeout=REQUEST_TIMEOUT_SECONDS,
    )
    STATUSES[(f"{case.method} {case.path}", response.status_code)] += 1
    if case.path == "/api/payouts" and case.method == "POST" and response.status_code == 201:
        CREATED.append(response.json()["id"])
    if case.path == WEBHOOK_PATH and not session.signed.get(id(response), True):
        assert response.status_code in (401, 413), (
            f"an unsigned webhook got {response.status_code}: {response.text}"
        )


def steer_towards_real_payouts(case: Any) -> None:
    """Every other create is for the demo user in USD with a valid amount (random user ids and
    amounts are nearly always refused), and every other read or cancel names a payout the run
    created: the paths that change money get fuzzed, not only the refusals."""
    if next(TURNS) % 2:
        return
    if case.path == "/api/payouts" and case.method == "POST" and isinstance(case.body, dict):
        case.body.update(user_id=DEMO_USER_ID, currency="USD", amount="1.00")
    elif "currency" in (case.path_parameters or {}):
        case.path_parameters["currency"] = "USD"
    elif "payout_id" in (case.path_parameters or {}) and CREATED:
        case.path_parameters["payout_id"] = CREATED[-1]


def test_the_fuzz_reached_past_the_signature_and_the_key(live: LiveService) -> None:
    """Runs after the fuzz test (file order): a run that only ever met 401s proves little."""
    reached = {op for (op, status), _ in STATUSES.items() if status not in (401,)}
    assert f"POST {WEBHOOK_PATH}" in reached
    assert ("POST /api/payouts", 201) in STATUSES
    assert ("POST /api/payouts/{payout_id}/cancel", 200) in STATUSES
    assert any(status == 202 for (op, status) in STATUSES if op == f"POST {WEBHOOK_PATH}") or any(
        status == 422 for (op, status) in STATUSES if op == f"POST {WEBHOOK_PATH}"
    )


def test_bodies_over_the_limit_are_413_problems_on_the_live_service(live: LiveService) -> None:
    big = b'{"x": "' + b"a" * (65 * 1024) + b'"}'
    for path, headers in (
        ("/api/payouts", {"Authorization": f"Bearer {DEMO_API_KEY}", "Idempotency-Key": "k"}),
        (WEBHOOK_PATH, {SIGNATURE_HEADER: signature_header(big, (SECRET,), int(time.time()))}),
    ):
        response = requests.post(
            live.base_url + path,
            data=big,
            headers={**headers, "Content-Type": "application/json"},
            timeout=REQUEST_TIMEOUT_SECONDS,
        )
        assert response.status_code == 413, (path, response.text)
        assert response.headers["Content-Type"].startswith("application/problem+json")
        assert response.json()["code"] == "payload_too_large"
