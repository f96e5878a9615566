"""The create-payout transaction as the service issues it, recorded without a database.

The raw limit means something only while the raw driver issues the service's transaction. So
before measuring, the bench runs the real CreatePayout use case over the real SQL repositories
bound to a session that records each statement and the type (and, for text, the length) of each
value bound to it, answering from memory; records the raw driver the same way; and refuses to go
on when the two differ (someone changed the service's transaction or what it stores;
bench/harness/raw_create_payout.py must follow).
"""

from __future__ import annotations

import difflib
import uuid
from collections.abc import Mapping
from datetime import datetime, timedelta
from types import TracebackType
from typing import Any

from bench.harness import raw_create_payout
from bench.harness.bench_database import BALANCE_MINOR, CURRENCY
from payout_service.application.create_payout import CreatePayout, CreatePayoutCommand
from payout_service.infrastructure.clock import SystemClock, UuidGenerator
from payout_service.infrastructure.db import statements as sql
from payout_service.infrastructure.db.dialect import MYSQL
from payout_service.infrastructure.db.unit_of_work import SqlUnitOfWork

# The SQL text and the shape of each value bound to it ("str(36)", "int", "NULL", ...).
Statement = tuple[str, tuple[str, ...]]
# The user's counter as in most of the bench's creates: it exists (at sequence 1 after this event)
# and says the user has no endpoint: 1 * 2 + 0.
COUNTER_ANSWER = 2
_ACCOUNT = {"id": 1, "user_id": 1, "currency": CURRENCY, "balance_minor": BALANCE_MINOR}


class TransactionMismatch(RuntimeError):
    """The raw driver no longer issues the service's create-payout transaction."""


async def check_raw_matches_service() -> list[Statement]:
    """Returns the transaction's statements, or raises TransactionMismatch with a diff."""
    service, raw = await service_transaction(), await raw_transaction()
    if service != raw:
        diff = difflib.unified_diff(
            _lines(service), _lines(raw), "service (CreatePayout)", "raw driver", lineterm=""
        )
        raise TransactionMismatch(
            "the service's create-payout transaction changed; update"
            " bench/harness/raw_create_payout.py:\n" + "\n".join(diff)
        )
    return service


async def service_transaction() -> list[Statement]:
    log: list[Statement] = []
    create = CreatePayout(
        lambda headers=None: _RecordingUnitOfWork(log, headers),
        SystemClock(),
        UuidGenerator(),
        max_amount=1_000_000,
        key_ttl=timedelta(hours=24),
    )
    await create(
        CreatePayoutCommand(
            caller_user_id=1,
            idempotency_key="key",
            fingerprint="0" * 64,
            user_id=1,
            amount="1.00",
            currency=CURRENCY,
            wallet="W-bench",
            external_reference="key",
            headers={"request_id": uuid.uuid4().hex},  # as the web route passes them
        )
    )
    return log


async def raw_transaction() -> list[Statement]:
    log: list[Statement] = []
    await raw_create_payout.create_payout(_RecordingConnection(log), 1, "key")  # type: ignore[arg-type]
    return log


def _lines(statements: list[Statement]) -> list[str]:
    return [f"{sql}  <- {len(shapes)} values: {', '.join(shapes)}" for sql, shapes in statements]


def _shapes(values: tuple[Any, ...] | list[Any]) -> tuple[str, ...]:
    return tuple(_shape(v) for v in values)


def _shape(value: Any) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, str):
        return f"str({len(value)})"
    if isinstance(value, bool | int | datetime):
        return type(value).__name__
    return repr(value)  # anything else should differ from whatever the other side bound


def _answer(statement: str) -> list[dict[str, Any]]:
    """The idempotency key is new; the account exists, rich and unheld; the payout is the
    user's first client event."""
    if statement.startswith(sql.LOCK_ACCOUNT):
        return [{**_ACCOUNT, "held_minor": 0}]
    return []


class _RecordingSession:
    dialect = MYSQL

    def __init__(self, log: list[Statement]) -> None:
        self._log = log
        self.connection = self

    async def commit(self) -> None:
        self._log.append(("COMMIT", ()))

    async def rows(self, statement: str, *values: Any) -> list[dict[str, Any]]:
        self._log.append((statement, _shapes(values)))
        return _answer(statement)

    async def execute(self, statement: str, *values: Any) -> int:
        self._log.append((statement, _shapes(values)))
        return 1

    async def insert(self, statement: str, *values: Any) -> int:
        self._log.append((statement, _shapes(values)))
        if statement == sql.TAKE_EVENT_SEQUENCES_HEARD:
            return COUNTER_ANSWER
        return 1  # the new row's id


class _RecordingUnitOfWork(SqlUnitOfWork):
    """SqlUnitOfWork with its repositories bound to a recording session instead of a database."""

    def __init__(self, log: list[Statement], headers: Mapping[str, str] | None) -> None:
        super().__init__(MYSQL, headers=headers)
        self._log = log

    async def __aenter__(self) -> _RecordingUnitOfWork:
        self.bind(_RecordingSession(self._log))  # type: ignore[arg-type]
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        return None


class _RecordingConnection:
    """What raw_create_payout uses of an asyncmy connection."""

    lastrowid = COUNTER_ANSWER

    def __init__(self, log: list[Statement]) -> None:
        self._log = log
        self._last = ""

    async def commit(self) -> None:
        self._log.append(("COMMIT", ()))

    def cursor(self) -> _RecordingConnection:
        return self

    async def __aenter__(self) -> _RecordingConnection:
        return self

    async def __aexit__(self, *_: object) -> None:
        return None

    async def execute(self, statement: str, values: list[Any]) -> int:
        self._log.append((statement, _shapes(values)))
        self._last = statement
        return 1

    async def fetchall(self) -> list[tuple[Any, ...]]:
        return [tuple(row.values()) for row in _answer(self._last)]
