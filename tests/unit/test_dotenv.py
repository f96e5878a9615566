"""The `.env` reader: the KEY=VALUE lines honcho and docker-compose read, and nothing it cannot
read without saying which line."""

from pathlib import Path

import pytest

from payout_service.infrastructure.dotenv import DotenvError, parse_dotenv, read_dotenv


def test_assignments_comments_blank_lines_and_quotes() -> None:
    # Given a file as an operator writes one
    text = "\n".join(
        [
            "# the operator's settings",
            "",
            "LOG_LEVEL=debug",
            "  export PORT = 9000  ",
            "METRICS_DIR=var/metrics  # where the workers count",
            "PROVIDER_WEBHOOK_SECRETS='whsec_a#b, whsec_c'",
            'MOCK_PROVIDER_MODE="random"  # all the faults',
            'GREETING="line one\\nsaid \\"hi\\""',
            "EMPTY=",
            "LOG_LEVEL=warning",
        ]
    )
    # When it is read
    variables = parse_dotenv(text)
    # Then every value is as meant: quotes kept literal inside, comments and blanks gone, the
    # later line winning
    assert variables == {
        "LOG_LEVEL": "warning",
        "PORT": "9000",
        "METRICS_DIR": "var/metrics",
        "PROVIDER_WEBHOOK_SECRETS": "whsec_a#b, whsec_c",
        "MOCK_PROVIDER_MODE": "random",
        "GREETING": 'line one\nsaid "hi"',
        "EMPTY": "",
    }


@pytest.mark.parametrize(
    "line",
    [
        "PROVIDER_WEBHOOK_SECRETS whsec_secret",
        "1PORT=8000",
        "SECRET='whsec_secret",
        "=whsec_secret",
    ],
)
def test_a_line_that_is_not_an_assignment_is_named_by_number_never_shown(line: str) -> None:
    with pytest.raises(DotenvError) as error:
        parse_dotenv(f"# settings\n{line}\n", "/srv/payouts/.env")
    assert str(error.value) == "/srv/payouts/.env line 2 is not KEY=VALUE"
    assert "whsec_secret" not in str(error.value)


def test_no_file_is_no_variables(tmp_path: Path) -> None:
    assert read_dotenv(tmp_path / ".env") == {}
