"""No Authorization value reaches a log line, whatever its shape: aiohttp's parser prints the raw
header line that broke a request, and the JSON formatter must scrub it there too."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Iterator

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from payout_service.infrastructure.logs import JsonFormatter
from payout_service.infrastructure.redaction import scrubbed


class Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.setFormatter(JsonFormatter())
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@pytest.fixture
def lines() -> Iterator[Lines]:
    handler = Lines()
    root = logging.getLogger()
    previous = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    yield handler
    root.removeHandler(handler)
    root.setLevel(previous)


@pytest.mark.parametrize(
    "request_bytes",
    [
        # an invalid character in the Authorization line itself: aiohttp prints that line
        b"GET /up HTTP/1.1\r\nHost: x\r\nAuthorization: Basic c2VjcmV0LXBhc3N3b3Jk\x01\r\n\r\n",
        b"GET /up HTTP/1.1\r\nHost: x\r\nauthorization: sEcReT-tOkEn\x7f-rest\r\n\r\n",
    ],
)
async def test_a_request_aiohttp_cannot_parse_logs_no_authorization_value(
    lines: Lines, request_bytes: bytes
) -> None:
    # Given a real aiohttp server, its lines formatted as every process formats them
    async def up(_: web.Request) -> web.Response:
        return web.Response(text="up")

    app = web.Application()
    app.router.add_get("/up", up)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    try:
        # When a request arrives whose Authorization header the parser refuses
        reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
        writer.write(request_bytes)
        await writer.drain()
        answer = await reader.read(100)
        writer.close()
    finally:
        await server.close()
    # Then it was refused and logged, and the line holds no part of the credential
    assert answer.startswith(b"HTTP/1.1 400") or answer.startswith(b"HTTP/1.0 400")
    (line,) = [json.loads(x) for x in lines.lines if "aiohttp.server" in x]
    assert "[redacted]" in line["exc"]
    for secret in ("c2VjcmV0LXBhc3N3b3Jk", "sEcReT", "tOkEn", "rest"):
        assert secret not in json.dumps(line)


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        ("b'Authorization: Basic dXNlcjpwYXNz\\x01'", "dXNlcjpwYXNz"),
        ("{'Authorization': 'Token abc123', 'Host': 'x'}", "abc123"),
        ("[('authorization', 'Digest username=\"a\", response=\"f00d\"')]", "f00d"),
        ("headers: AUTHORIZATION=Bearer eyJhbGciOi.payload.sig", "eyJhbGciOi"),
        ("retrying with Bearer eyJhbGciOi.payload.sig", "eyJhbGciOi"),
        ("Authorization: Bearer opaque\r\nHost: x", "opaque"),
        ("redis://:redispass@cache:6379/0", "redispass"),
        ("key psk_demo_user123_local_only", "psk_demo_user123_local_only"),
    ],
)
def test_every_shape_of_a_credential_is_scrubbed(text: str, secret: str) -> None:
    assert secret not in scrubbed(text)
    assert "[redacted]" in scrubbed(text)


def test_the_rest_of_a_line_stays_readable() -> None:
    assert scrubbed("Authorization header missing") == "Authorization header missing"
    assert scrubbed("http://127.0.0.1:8000/api/payouts?x=a@b") == (
        "http://127.0.0.1:8000/api/payouts?x=a@b"
    )
    assert (
        scrubbed("Authorization: Bearer x\r\nHost: api") == "Authorization: [redacted]\r\nHost: api"
    )
