"""The times a client may send: RFC 3339 with an offset, within what the database holds."""

from datetime import UTC, datetime, timedelta, timezone

import pytest

from payout_service.web.moments import rfc3339_moment

PLUS_ONE = timezone(timedelta(hours=1))


@pytest.mark.parametrize(
    ("text", "moment"),
    [
        ("2026-01-02T03:04:05Z", datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)),
        ("2026-01-02t03:04:05z", datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)),
        ("2026-01-02T03:04:05.5+01:00", datetime(2026, 1, 2, 3, 4, 5, 500000, tzinfo=PLUS_ONE)),
        ("2026-01-02T03:04:05.123456789Z", datetime(2026, 1, 2, 3, 4, 5, 123456, tzinfo=UTC)),
        ("1000-01-01T00:00:00Z", datetime(1000, 1, 1, tzinfo=UTC)),
        ("9999-12-31T23:59:59Z", datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC)),
    ],
)
def test_rfc3339_times_with_an_offset_are_read(text, moment):
    assert rfc3339_moment(text) == moment


@pytest.mark.parametrize(
    "text",
    [
        "2026-01-02",  # a date alone
        "2026-01-02T03:04:05",  # no offset
        "2026-01-02 03:04:05Z",  # a space for the T
        "20260102T030405Z",  # ISO 8601's basic format
        "2026-W01-1T03:04:05Z",  # a week date
        "2026-01-02T03:04:05,5Z",  # a decimal comma
        "2026-13-02T03:04:05Z",
        "2026-01-02T03:04:60Z",  # a leap second
        "2026-01-02T03:04:05+24:00",
        "\uff12\uff10\uff12\uff16-01-02T03:04:05Z",  # digits, but fullwidth ones
        "9999-12-31T23:59:59-23:59",  # after year 9999 in UTC: overflows
        "0001-01-01T00:00:00+05:00",  # before year 1 in UTC: overflows
        "1000-01-01T00:00:00+00:01",  # year 999 in UTC
        "",
    ],
)
def test_anything_else_is_none(text):
    assert rfc3339_moment(text) is None
