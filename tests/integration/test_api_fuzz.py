"""Schemathesis against the live `payout-service web` on MariaDB, driven by the document it
serves at /openapi.json: no input yields a 5xx, and every answer conforms to the document
(status documented, content type and body as described: application/problem+json for errors).

Bounded: FUZZ_EXAMPLES examples per operation (default 50), every request with a timeout.
Half of the webhook requests are signed over the exact bytes sent, so generated bodies reach
the validation and the inbox; the other half carry the generated signature header and must be
refused with 401 (or 413 for a body over the limit, which is refused before it is read).

Beside the generated inputs, explicit ones (HOSTILE_INPUTS): each once reached a 500, and each
goes through the same checks as a generated case, plus the 4xx it must get.
"""

from __future__ import annotations

import base64
import itertools
import os
import sys
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from payout_service.infrastructure.db.seed import DEMO_API_KEY, DEMO_USER_ID
from payout_service.infrastructure.webhook_signature import SIGNATURE_HEADER, signature_header
from tests.integration.helpers import payout_body
from tests.integration.live_service import LiveService, live_web

pytestmark = pytest.mark.mysql

SECRET = "whsec_fuzz_0123456789"
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "50"))
REQUEST_TIMEOUT_SECONDS = 10
WEBHOOK_PATH = "/api/webhooks/provider"
ENDPOINTS_PATH = "/api/webhook-endpoints"
RECEIVER = "http://127.0.0.1:9/hooks"  # loopback over http: allowed in the tests' environment
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
DEMO_KEY = {"Authorization": f"Bearer {DEMO_API_KEY}"}
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    print_blob=True,
)


@pytest.fixture(scope="module")
def live(
    mysql_server_url: str, redis_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveService]:
    folder = tmp_path_factory.mktemp("fuzz")
    with live_web(mysql_server_url, redis_url, folder, PROVIDER_WEBHOOK_SECRETS=SECRET) as service:
        yield service


@pytest.fixture(scope="module")
def api_schema(live: LiveService) -> Any:
    return schemathesis.openapi.from_url(f"{live.base_url}/openapi.json")


class SigningSession(requests.Session):
    """Signs every other webhook request over the body bytes exactly as they go out; the others
    keep the generated signature header. `sign_all`: every one is signed."""

    def __init__(self, sign_all: bool = False) -> None:
        super().__init__()
        self._turn = itertools.cycle((True,) if sign_all else (True, False))
        self.last_webhook_signed = False

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        if (request.path_url or "").startswith(WEBHOOK_PATH):
            self.last_webhook_signed = next(self._turn)
            if self.last_webhook_signed:
                body = request.body or b""
                data = body.encode() if isinstance(body, str) else body
                request.headers[SIGNATURE_HEADER] = signature_header(
                    data, (SECRET,), int(time.time())
                )
        return super().send(request, **kwargs)


class Steering:
    """Every other create is for the demo user in USD with a valid amount, a fresh reference and a
    fresh key (random ones are nearly always refused), and every other read or cancel names a real
    payout: the paths that change money get fuzzed, not only the refusals. Likewise every other
    webhook endpoint registration names an allowed URL, and every other endpoint operation a real
    endpoint.

    payout_ids, endpoint_ids: the ones to name, newest last; the creates the fuzz gets through
    are added, the endpoints it deletes removed; `new_endpoint` registers one when none is left.
    """

    def __init__(self, payout_ids: list[str], new_endpoint: Callable[[], str]) -> None:
        self.payout_ids = payout_ids
        self.endpoint_ids = [new_endpoint()]
        self._new_endpoint = new_endpoint
        self._turns = itertools.count()

    def steer(self, case: Any) -> None:
        if next(self._turns) % 2:
            return
        if case.path == "/api/payouts" and case.method == "POST" and isinstance(case.body, dict):
            # generated references and keys repeat: a reused one is a 409 or a 422
            fresh = uuid.uuid4().hex
            case.body.update(
                user_id=DEMO_USER_ID, currency="USD", amount="1.00", external_reference=fresh
            )
            case.headers = {**(case.headers or {}), "Idempotency-Key": fresh}
        elif case.path == ENDPOINTS_PATH and case.method == "POST" and isinstance(case.body, dict):
            case.body.update(url=RECEIVER, event_types=["*"])
            case.body.pop("description", None)
        elif "endpoint_id" in (case.path_parameters or {}):
            case.path_parameters["endpoint_id"] = self.endpoint_ids[-1]
        elif "currency" in (case.path_parameters or {}):
            case.path_parameters["currency"] = "USD"
        elif "payout_id" in (case.path_parameters or {}):
            case.path_parameters["payout_id"] = self.payout_ids[-1]

    def note(self, case: Any, response: Any) -> None:
        if case.method == "POST" and response.status_code == 201:
            created = response.json()["id"]
            (self.payout_ids if case.path == "/api/payouts" else self.endpoint_ids).append(created)
        elif case.method == "DELETE" and response.status_code == 204:
            gone = case.path_parameters["endpoint_id"]
            self.endpoint_ids = [e for e in self.endpoint_ids if e != gone]
            if not self.endpoint_ids:
                self.endpoint_ids.append(self._new_endpoint())


@pytest.fixture
def answers() -> Iterator[Counter[tuple[str, int]]]:
    """(operation, status) of every answer the test met, printed after it (seen with -s)."""
    counted: Counter[tuple[str, int]] = Counter()
    yield counted
    print(
        "\nfuzz answers (operation, status): "
        + ", ".join(f"{op} {status}: {n}" for (op, status), n in sorted(counted.items()))
    )


@pytest.fixture
def session() -> Iterator[SigningSession]:
    with SigningSession() as signing:
        yield signing


@pytest.fixture
def steering(live: LiveService) -> Steering:
    """Pending payouts and a webhook endpoint of the test's own, made before it fuzzes: reads,
    cancels and endpoint operations meet real ones whichever operation runs first, whatever ran
    before."""
    return Steering(
        [_create_payout(live, f"fuzz-{uuid.uuid4().hex}") for _ in range(3)],
        lambda: _create_endpoint(live),
    )


def _create_payout(live: LiveService, reference: str) -> str:
    response = requests.post(
        f"{live.base_url}/api/payouts",
        json=payout_body(amount="1.00", external_reference=reference),
        headers={**DEMO_KEY, "Idempotency-Key": reference},
        timeout=REQUEST_TIMEOUT_SECONDS,
    )
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def _create_endpoint(live: LiveService) -> str:
    """A fresh endpoint, the only one: the fuzz may have left as many as a user may have."""
    listed = requests.get(
        f"{live.base_url}{ENDPOINTS_PATH}", headers=DEMO_KEY, timeout=REQUEST_TIMEOUT_SECONDS
    )
    for endpoint in listed.json()["data"]:
        requests.delete(
            f"{live.base_url}{ENDPOINTS_PATH}/{endpoint['id']}",
            headers=DEMO_KEY,
            timeout=REQUEST_TIMEOUT_SECONDS,
        )
    response = requests.post(
        f"{live.base_url}{ENDPOINTS_PATH}",
        json={"url": RECEIVER, "event_types": ["*"]},
        headers=DEMO_KEY,
        timeout=REQUEST_TIMEOUT_SECONDS,
    )
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@FUZZ
def test_no_input_yields_a_5xx_and_every_answer_conforms_to_the_document(
    case: Any,
    live: LiveService,
    session: SigningSession,
    steering: Steering,
    answers: Counter[tuple[str, int]],
) -> None:
    steering.steer(case)
    response = case.call_and_validate(
        base_url=live.base_url,
        session=session,
        headers=DEMO_KEY,
        checks=CHECKS,
        timeout=REQUEST_TIMEOUT_SECONDS,
    )
    steering.note(case, response)
    answers[(case.operation.label, response.status_code)] += 1
    if (case.method, case.path) == ("POST", WEBHOOK_PATH) and not session.last_webhook_signed:
        assert response.status_code in (401, 413), (
            f"an unsigned webhook got {response.status_code}: {response.text}"
        )


def test_the_steered_fuzz_reaches_past_the_signature_and_the_key(
    api_schema: Any,
    live: LiveService,
    session: SigningSession,
    steering: Steering,
    answers: Counter[tuple[str, int]],
) -> None:
    """A fuzz that only ever met 401s proves little. This one fuzzes the operations that change
    money with the steering and signing above, on its own, and looks at where they got."""
    # When generated creates, cancels, webhooks and endpoint registrations are sent, steered
    # and half of the webhooks signed
    for path in ("/api/payouts", "/api/payouts/{payout_id}/cancel", WEBHOOK_PATH, ENDPOINTS_PATH):
        _fuzz(api_schema[path]["POST"], live, session, steering, answers)

    # Then payouts were created and cancelled, and a signed webhook reached the body checks
    assert answers[("POST /api/payouts", 201)] > 0, answers
    assert answers[("POST /api/payouts/{payout_id}/cancel", 200)] > 0, answers
    assert answers[(f"POST {WEBHOOK_PATH}", 202)] + answers[(f"POST {WEBHOOK_PATH}", 422)] > 0, (
        answers
    )
    assert answers[(f"POST {ENDPOINTS_PATH}", 201)] > 0, answers


def _fuzz(
    operation: Any,
    live: LiveService,
    session: SigningSession,
    steering: Steering,
    answers: Counter[tuple[str, int]],
) -> None:
    """Sends EXAMPLES generated requests of `operation`, counting (operation, status)."""

    @given(case=operation.as_strategy())
    @FUZZ
    def send(case: Any) -> None:
        steering.steer(case)
        response = case.call(
            base_url=live.base_url,
            session=session,
            headers=DEMO_KEY,
            timeout=REQUEST_TIMEOUT_SECONDS,
        )
        steering.note(case, response)
        answers[(operation.label, response.status_code)] += 1

    send()


def _cursor(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


@contextmanager
def _ints_of_any_length() -> Iterator[None]:
    """Lets this process write a 5 000-digit integer into a JSON body (the service must refuse
    it whatever Python's limit on int() is)."""
    limit = sys.get_int_max_str_digits()
    sys.set_int_max_str_digits(0)
    try:
        yield
    finally:
        sys.set_int_max_str_digits(limit)


ROW_ID = "00000000-0000-4000-8000-000000000001"
with _ints_of_any_length():
    FIVE_THOUSAND_DIGITS = int("9" * 5000)
# (name, method, path, Case arguments, the status it must get): inputs that once reached a 500.
HOSTILE_INPUTS = [
    ("superscript limit", "GET", "/api/payouts", {"query": {"limit": "²"}}, 422),
    ("4 000-digit limit", "GET", "/api/payouts", {"query": {"limit": "9" * 4000}}, 422),
    (
        "ledger cursor past a BIGINT",
        "GET",
        "/api/accounts/{currency}/ledger",
        {"path_parameters": {"currency": "USD"}, "query": {"cursor": "9999999999999999999"}},
        422,
    ),
    (
        "cursor in year 1 east of UTC",
        "GET",
        "/api/payouts",
        {"query": {"cursor": _cursor(f"0001-01-01T00:00:00+05:00|{ROW_ID}")}},
        422,
    ),
    (
        "cursor in year 9999 west of UTC",
        "GET",
        "/api/payout-batches",
        {"query": {"cursor": _cursor(f"9999-12-31T23:59:59-05:00|{ROW_ID}")}},
        422,
    ),
    (
        "created_lt past year 9999 in UTC",
        "GET",
        "/api/payouts",
        {"query": {"created_lt": "9999-12-31T23:59:59-23:59"}},
        422,
    ),
    (
        "5 000-digit user_id",
        "POST",
        "/api/payouts",
        {
            "body": payout_body(user_id=FIVE_THOUSAND_DIGITS),
            "headers": {"Idempotency-Key": "hostile-big"},
        },
        400,
    ),
    (
        "5 000 unknown fields",
        "POST",
        "/api/payouts",
        {
            "body": {**payout_body(), **{f"x{n:05d}": 1 for n in range(5000)}},
            "headers": {"Idempotency-Key": "hostile-fields"},
        },
        422,
    ),
    (
        "signed webhook whose occurred_at overflows",
        "POST",
        WEBHOOK_PATH,
        {
            "body": {
                "event_id": "evt-hostile",
                "provider_payout_id": "prov-hostile",
                "status": "success",
                "occurred_at": "9999-12-31T23:59:59-23:59",
            }
        },
        422,
    ),
]


@pytest.mark.parametrize(
    ("method", "path", "arguments", "status"),
    [case[1:] for case in HOSTILE_INPUTS],
    ids=[case[0] for case in HOSTILE_INPUTS],
)
def test_inputs_that_once_reached_a_500_get_their_documented_4xx(
    api_schema: Any, live: LiveService, method: str, path: str, arguments: Any, status: int
) -> None:
    with _ints_of_any_length(), SigningSession(sign_all=True) as session:
        case = api_schema[path][method].Case(**arguments)
        response = case.call_and_validate(
            base_url=live.base_url,
            session=session,
            headers=DEMO_KEY,
            checks=CHECKS,
            timeout=REQUEST_TIMEOUT_SECONDS,
        )
    assert response.status_code == status, response.text
    assert len(response.content) < 8 * 1024, "a problem answer stays short"


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
