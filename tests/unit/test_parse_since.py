"""`provider audit --since` reads a moment or a duration back from now."""

from datetime import UTC, datetime, timedelta

import pytest

from payout_service.operator_commands import parse_since

NOW = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("7d", NOW - timedelta(days=7)),
        ("12h", NOW - timedelta(hours=12)),
        ("30m", NOW - timedelta(minutes=30)),
        ("2026-12-01T00:00:00+00:00", datetime(2026, 12, 1, tzinfo=UTC)),
        ("2026-12-01T00:00:00", datetime(2026, 12, 1, tzinfo=UTC)),
    ],
)
def test_a_duration_or_a_moment_names_where_the_audit_starts(text: str, expected: datetime):
    assert parse_since(text, NOW) == expected


@pytest.mark.parametrize("text", ["yesterday", "7 days", "-1d", ""])
def test_anything_else_is_refused_with_the_way_to_say_it(text: str):
    with pytest.raises(ValueError, match="duration like 7d"):
        parse_since(text, NOW)
