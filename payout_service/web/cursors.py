"""The opaque cursors of newest-first lists: where a page stopped, as (created_at, row id).

A cursor is URL-safe base64 of "<created_at in RFC 3339>|<row id>". Reading one back accepts
only what encoding could have produced: a storable time (web.moments) and a UUID; anything else
is None, which the lists answer with a 422 on `cursor`.
"""

from __future__ import annotations

import base64
import binascii
from datetime import datetime

from payout_service.application.ports import PageCursor
from payout_service.web.moments import rfc3339_moment
from payout_service.web.queries import uuid_text

MAX_CURSOR_LENGTH = 200  # a cursor this API returns is about 100 characters


def encode_cursor(cursor: PageCursor) -> str:
    return encode_moment_cursor(cursor.created_at, cursor.payout_id)


def decode_cursor(text: str) -> PageCursor | None:
    moment_and_id = decode_moment_cursor(text)
    return PageCursor(*moment_and_id) if moment_and_id is not None else None


def encode_moment_cursor(created_at: datetime, row_id: str) -> str:
    """The cursor of a newest-first list that stopped at the row (created_at, id)."""
    text = f"{created_at.isoformat()}|{row_id}"
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def decode_moment_cursor(text: str) -> tuple[datetime, str] | None:
    if len(text) > MAX_CURSOR_LENGTH:
        return None
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    moment, _, row_id = raw.partition("|")
    created_at, stored_id = rfc3339_moment(moment), uuid_text(row_id)
    if created_at is None or stored_id is None:
        return None
    return created_at, stored_id
