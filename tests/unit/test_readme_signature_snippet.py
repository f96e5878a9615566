"""The README's snippet for verifying a delivery's signature verifies what the service signs,
with one secret or two during a rotation, and refuses anything else without raising."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import cast

import pytest

from payout_service.infrastructure.outgoing_webhooks.sender import SIGNATURE_HEADER
from payout_service.infrastructure.webhook_signature import signature_header
from tests.processes import PROJECT_ROOT

BODY = b'{"id":"evt_1","type":"payout.succeeded","sequence":7}'
NEW, OLD = "whsec_new", "whsec_old"
Verify = Callable[..., bool]


@pytest.fixture(scope="module")
def verify() -> Verify:
    readme = (PROJECT_ROOT / "README.md").read_text()
    blocks = re.findall(r"```python\n(.*?)```", readme, re.S)
    (snippet,) = [b for b in blocks if "def verify(" in b]
    assert f"the {SIGNATURE_HEADER} value" in snippet
    scope: dict[str, object] = {}
    exec(snippet, scope)
    return cast(Verify, scope["verify"])


def test_a_signature_the_service_made_verifies(verify: Verify) -> None:
    header = signature_header(BODY, (NEW,), int(time.time()))

    assert verify(header, BODY, NEW)
    assert not verify(header, BODY, OLD)
    assert not verify(header, BODY + b" ", NEW)


def test_during_a_rotation_either_secret_verifies(verify: Verify) -> None:
    header = signature_header(BODY, (NEW, OLD), int(time.time()))

    assert verify(header, BODY, NEW) and verify(header, BODY, OLD)


def test_an_old_signature_is_refused(verify: Verify) -> None:
    header = signature_header(BODY, (NEW,), int(time.time()) - 301)

    assert not verify(header, BODY, NEW)


@pytest.mark.parametrize(
    "header",
    ["", "v1=abc", "t=abc,v1=abc", "t=²,v1=abc", "t=1,t=2,v1=abc", "t=1,v1=ünïcode", ",,,=,"],
)
def test_a_malformed_header_is_refused_without_raising(verify: Verify, header: str) -> None:
    assert not verify(header, BODY, NEW)
