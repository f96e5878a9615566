"""JSON log lines: one object per line, the bound context on every line, no secret ever."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest

from actors.runtime import consumer
from payout_service.infrastructure.logs import JsonFormatter, log_context


class Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.setFormatter(JsonFormatter())
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))

    def entries(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.lines]


@pytest.fixture
def lines() -> Any:
    handler = Lines()
    root = logging.getLogger()
    previous = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    yield handler
    root.removeHandler(handler)
    root.setLevel(previous)


def test_a_line_is_one_json_object_with_the_bound_context(lines: Lines) -> None:
    # Given a request id bound around some work
    with log_context(request_id="req-1", payout_id=None):
        # When something logs, with an extra field and a multi-line exception
        try:
            raise ValueError("first\nsecond")
        except ValueError:
            logging.getLogger("t").exception("it broke", extra={"attempt": 2})
    logging.getLogger("t").info("after")
    # Then each event is one line of JSON carrying the context only while it was bound
    assert all("\n" not in line for line in lines.lines)
    inside, after = lines.entries()
    assert inside["request_id"] == "req-1" and "payout_id" not in inside
    assert inside["message"] == "it broke" and inside["attempt"] == 2
    assert inside["level"] == "ERROR" and "ValueError: first" in inside["exc"]
    assert "request_id" not in after


def test_secrets_are_never_written(lines: Lines) -> None:
    # Given fields and messages that carry credentials
    key = "psk_demo_user123_local_only"
    logging.getLogger("t").warning(
        "auth with %s failed",
        key,
        extra={
            "authorization": f"Bearer {key}",
            "api_key": key,
            "signature": "t=1,v1=abc",
            "webhook_secret": "whsec",
            "headers": {"X-Signature": "v1=abc", "X-Request-ID": "r"},
            "note": f"key was {key}",
            "database": "mysql://payouts:hunter2@db:3306/payouts",
        },
    )
    # Then none of them reaches the line, and the harmless fields do
    line = lines.lines[0]
    for secret in (key, "abc", "whsec", "hunter2"):
        assert secret not in line
    entry = json.loads(line)
    assert entry["authorization"] == "[redacted]" and entry["signature"] == "[redacted]"
    assert entry["headers"]["X-Request-ID"] == "r"
    assert entry["database"] == "mysql://payouts:[redacted]@db:3306/payouts"


async def test_an_actor_logs_with_the_request_payout_and_message_of_its_envelope(
    lines: Lines,
) -> None:
    # Given an actor function wrapped by the consumer decorator
    @consumer
    async def record(envelope: dict[str, Any]) -> bool:
        logging.getLogger("actors.test").info("working")
        return envelope["message_id"] == "m-1"

    envelope = {
        "message_id": "m-1",
        "event": "payout.created",
        "aggregate_type": "payout",
        "aggregate_id": "p-1",
        "payload": {},
        "headers": {"request_id": "req-9"},
    }
    # When it consumes a message, then a redelivery of another
    await record(envelope)
    await record({**envelope, "message_id": "m-2"})
    # Then every line it logged tells whose story it is, and how each message ended
    working, applied, _, skipped = lines.entries()
    for entry in (working, applied):
        assert entry["request_id"] == "req-9"
        assert entry["payout_id"] == "p-1"
        assert entry["message_id"] == "m-1"
        assert entry["actor"] == "record"
    assert applied["message"] == "message applied"
    assert (
        skipped["message"] == "message skipped: already applied" and skipped["message_id"] == "m-2"
    )
