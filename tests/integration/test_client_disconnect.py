"""A client that leaves in the middle of its request is no error of the service: the bench's
load generator, stopping with requests in flight, left "unhandled error ConnectionResetError"
lines in the web process's log (and a 500 for nobody). The real app served on 127.0.0.1 as
`payout-service web` serves it: a handler goes on when its client leaves (aiohttp's test server
would cancel it instead)."""

from __future__ import annotations

import asyncio
import json
import logging
import socket
import struct
from collections.abc import AsyncIterator

import pytest
from aiohttp import web

from payout_service.bootstrap import Services
from payout_service.infrastructure.db.unit_of_work import SqlUnitOfWorkFactory
from payout_service.web.app import create_app
from tests.integration.helpers import payout_body, written_rows
from tests.integration.processes import eventually


async def leave_mid_body(host: str, port: int, auth: dict[str, str]) -> None:
    """Sends a create's headers and half its body, then resets the connection, as a load
    generator stopping does (a plain close leaves it half-open, the server still waiting)."""
    body = json.dumps(payout_body()).encode()
    head = (
        "POST /api/payouts HTTP/1.1\r\n"
        f"Host: {host}:{port}\r\n"
        f"Authorization: {auth['Authorization']}\r\n"
        "Idempotency-Key: left-mid-body\r\n"
        "Content-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    _, writer = await asyncio.open_connection(host, port)
    writer.write(head.encode() + body[: len(body) // 2])
    await writer.drain()
    await asyncio.sleep(0.05)  # the handler is reading the body by now
    sock = writer.get_extra_info("socket")
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.close()
    await writer.wait_closed()


@pytest.fixture
async def served(services: Services) -> AsyncIterator[tuple[str, int]]:
    """The app on a port of 127.0.0.1, with run_app's handler_cancellation (off)."""
    runner = web.AppRunner(create_app(services), handler_cancellation=False)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    try:
        yield host, port
    finally:
        await runner.cleanup()


async def test_a_client_leaving_mid_body_is_logged_as_gone_not_as_an_error(
    served: tuple[str, int],
    db: SqlUnitOfWorkFactory,
    auth: dict[str, str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    # Given the real app on a real socket, and what it has written so far
    before = await written_rows(db)

    # When a client sends half a create's body and leaves
    with caplog.at_level(logging.INFO, logger="payout_service.web"):
        await leave_mid_body(*served, auth)
        gone = await eventually(
            lambda: _logged(caplog, "client went away"),
            bool,
            what="the web process noting the client left",
        )

    # Then the service noted it at INFO, logged no error, and wrote nothing
    assert [record.levelno for record in gone] == [logging.INFO]
    assert _records(caplog, "unhandled error") == []
    assert await written_rows(db) == before


def _records(caplog: pytest.LogCaptureFixture, message: str) -> list[logging.LogRecord]:
    return [record for record in caplog.records if record.getMessage().startswith(message)]


async def _logged(caplog: pytest.LogCaptureFixture, message: str) -> list[logging.LogRecord]:
    return _records(caplog, message)
