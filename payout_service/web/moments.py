"""Times a client sends: RFC 3339 with an offset, and only those the database can hold.

datetime.fromisoformat alone reads far more than RFC 3339 (a bare date, week dates, the basic
format), and an aware time near year 1 or 9999 overflows on its way to UTC, where every column
keeps it. The columns hold the years 1000 to 9999 in UTC: MySQL's DATETIME range, and the span
in which SQLite's text timestamps sort as times.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

EARLIEST_YEAR = 1000
# What a client is told to send (a 422's message, the OpenAPI document's description).
RFC3339_TIME = (
    "an RFC 3339 time with an offset, such as 2026-01-02T03:04:05Z, in the years"
    f" {EARLIEST_YEAR} to 9999"
)
_RFC3339 = re.compile(
    r"\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:[Zz]|[+-]\d{2}:\d{2})", re.ASCII
)


def rfc3339_moment(text: str) -> datetime | None:
    """`text` as an aware datetime when it is an RFC 3339 date-time with an offset (Z or
    +hh:mm) that storable() accepts; None for anything else. Digits past microseconds are
    dropped."""
    if not _RFC3339.fullmatch(text):
        return None
    try:
        moment = datetime.fromisoformat(text.upper())
    except ValueError:  # a month 13, a second 60, an offset of 24 hours...
        return None
    return storable(moment)


def storable(moment: datetime) -> datetime | None:
    """`moment` itself when it is aware and falls in the years 1000 to 9999 in UTC; None
    otherwise, and for one that overflows on its way to UTC (year 1 east of Greenwich, 9999
    west of it)."""
    if moment.tzinfo is None:
        return None
    try:
        in_utc = moment.astimezone(UTC)
    except OverflowError:
        return None
    return moment if in_utc.year >= EARLIEST_YEAR else None
