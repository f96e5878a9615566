"""Logging shared by every process type: one JSON object per line, with the context of the work.

`log_context(request_id=..., payout_id=..., message_id=...)` binds fields to every line logged
inside it (a contextvar, so each asyncio task and thread keeps its own). The web binds the
request id; actors bind the request id carried in the outbox headers, the payout and the message,
so `grep <payout_id>` tells one payout's whole story across processes.

Secrets never reach a line: a field whose name says it holds a credential (authorization, api
key, secret, signature, password, token) is replaced by "[redacted]", and so is anything in the
message or the exception that looks like one (redaction.scrubbed): every Authorization header's
value, whatever its shape, an API key, a password in a URL. Every line of every library goes
through this formatter, aiohttp's own included: its parser errors print the raw header line that
broke them ("Invalid header value char: b'Authorization: Basic ...'").
"""

from __future__ import annotations

import json
import logging
import re
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

from payout_service.infrastructure.redaction import REDACTED, scrubbed
from payout_service.infrastructure.settings import Settings

_SECRET_NAME = re.compile(r"authorization|api_?key|secret|signature|password|passwd|token", re.I)
_CONTEXT: ContextVar[dict[str, str]] = ContextVar("log_context", default={})  # noqa: B039
# The attributes every LogRecord has; anything else on a record came from `extra=`.
_RECORD_ATTRIBUTES = frozenset(
    vars(logging.LogRecord("", 0, "", 0, "", (), None)).keys() | {"message", "asctime", "taskName"}
)


@contextmanager
def log_context(**fields: str | None) -> Iterator[None]:
    """Adds the given (non-empty) fields to every line logged inside the block."""
    bound = {**_CONTEXT.get(), **{k: v for k, v in fields.items() if v}}
    token = _CONTEXT.set(bound)
    try:
        yield
    finally:
        _CONTEXT.reset(token)


def current_log_context() -> dict[str, str]:
    return dict(_CONTEXT.get())


class JsonFormatter(logging.Formatter):
    """`{"ts", "level", "logger", "message", <context>, <extra>, "exc"?}` on one line."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": scrubbed(record.getMessage()),
        }
        entry.update(_CONTEXT.get())
        for key, value in vars(record).items():
            if key not in _RECORD_ATTRIBUTES:
                entry[key] = _safe(key, value)
        if record.exc_info:
            entry["exc"] = scrubbed(self.formatException(record.exc_info))
        # Anything JSON has no type for is written as its str(), scrubbed like any text.
        return json.dumps(entry, default=lambda other: scrubbed(str(other)), ensure_ascii=False)


def _safe(key: str, value: Any) -> Any:
    if _SECRET_NAME.search(key):
        return REDACTED
    if isinstance(value, str):
        return scrubbed(value)
    if isinstance(value, Mapping):
        return {str(k): _safe(str(k), v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_safe(key, item) for item in value]
    return value


def configure_logging(settings: Settings) -> None:
    """JSON lines at LOG_LEVEL on every root handler. Dramatiq's worker processes already have a
    handler (a pipe to the parent, which prints what it receives): it is reformatted, not
    replaced; elsewhere a stderr handler is added."""
    root = logging.getLogger()
    if not root.handlers:
        root.addHandler(logging.StreamHandler(sys.stderr))
    for handler in root.handlers:
        handler.setFormatter(JsonFormatter())
    root.setLevel(settings.log_level)
