"""`payout-service` as an operator meets it: a version, a tree of commands each with its own
options and an example, and one line (exit code 2) for a setting it cannot use, never a
traceback."""

from __future__ import annotations

import argparse
from datetime import timedelta
from pathlib import Path

import pytest

from payout_service.cli import _parser, main
from payout_service.infrastructure.settings import Settings
from payout_service.operator_commands import audit_tolerance


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty project root of this test's own, and an environment without the settings a
    developer's shell may hold."""
    monkeypatch.setenv("PAYOUT_SERVICE_ROOT", str(tmp_path))
    for name in ("LOG_LEVEL", "PORT", "REDIS_URL", "DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path


def test_version_is_the_installed_package_version(capsys: pytest.CaptureFixture[str]) -> None:
    from importlib.metadata import version

    with pytest.raises(SystemExit) as done:
        main(["--version"])
    assert done.value.code == 0
    assert capsys.readouterr().out.strip() == f"payout-service {version('payout-service')}"


def test_a_bad_value_in_dotenv_is_one_line_naming_it_and_the_file(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given a .env whose LOG_LEVEL no logger knows
    (project / ".env").write_text("LOG_LEVEL=loud\n")
    # When any command runs
    code = main(["outbox", "status"])
    # Then it stops with exit code 2 and one line: the variable, the value, what is allowed, where
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1 and "Traceback" not in err
    assert "LOG_LEVEL must be one of debug, info, warning, error, critical (any case)" in err
    assert f"not 'loud' (set in {project / '.env'})" in err


def test_an_unreadable_dotenv_line_is_one_line_without_its_text(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (project / ".env").write_text("PROVIDER_WEBHOOK_SECRETS whsec_private\n")
    assert main(["ledger", "verify"]) == 2
    err = capsys.readouterr().err
    assert err == f"payout-service: {project / '.env'} line 1 is not KEY=VALUE\n"


def test_a_bad_value_in_the_environment_is_one_line(
    project: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PORT", "eighty")
    assert main(["ledger", "verify"]) == 2
    assert capsys.readouterr().err == "payout-service: PORT must be an integer, not 'eighty'\n"


@pytest.mark.parametrize(
    "command", [["dead-letters", "list"], ["dead-letters", "replay", "--all"], ["relay"]]
)
def test_a_command_that_needs_redis_says_so_when_none_is_set(
    project: Path, capsys: pytest.CaptureFixture[str], command: list[str]
) -> None:
    assert main(command) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith(f"payout-service: REDIS_URL is not set: `payout-service {command[0]}")
    assert "make run" in err and "var/run.env" in err


def _leaves(
    parser: argparse.ArgumentParser, path: tuple[str, ...] = ()
) -> dict[str, argparse.ArgumentParser]:
    found = {}
    groups = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    if not groups:
        return {" ".join(path): parser}
    for name, child in groups[0].choices.items():
        found.update(_leaves(child, (*path, name)))
    return found


def test_every_command_has_its_own_help_with_an_example() -> None:
    leaves = _leaves(_parser())
    assert {
        "outbox status",
        "outbox process",
        "dead-letters list",
        "dead-letters replay",
        "payouts review",
        "payouts resolve",
        "ledger verify",
        "provider audit",
        "api-key create",
        "inbox status",
        "batch status",
    } <= set(leaves)
    for name, leaf in leaves.items():
        assert f"payout-service {name.split()[0]}" in (leaf.epilog or ""), name


def test_each_command_shows_only_its_own_options() -> None:
    leaves = _leaves(_parser())
    options = {
        name: {o for a in leaf._actions for o in a.option_strings} for name, leaf in leaves.items()
    }
    assert options["outbox status"] == {"-h", "--help", "--json"}
    assert "--limit" in options["outbox process"] and "--json" not in options["outbox process"]
    assert (
        "--outcome" in options["payouts resolve"] and "--outcome" not in options["payouts review"]
    )


@pytest.mark.parametrize(
    "json_reader",
    [
        "outbox status",
        "inbox status",
        "dead-letters list",
        "payouts review",
        "ledger verify",
        "provider audit",
        "batch status",
    ],
)
def test_every_reading_command_has_json(json_reader: str) -> None:
    leaf = _leaves(_parser())[json_reader]
    assert "--json" in {o for a in leaf._actions for o in a.option_strings}


def test_the_spellings_the_readme_and_the_procfile_use_still_parse() -> None:
    parser = _parser()
    for line in (
        "outbox process --limit 5",
        "outbox retry-dead --id m-1",
        "dead-letters replay --all",
        "dead-letters replay 9f1c",
        "payouts resolve p-1 --outcome failed --reason why --i-checked-with-the-provider",
        "provider audit --since 7d --tolerance-seconds 0",
        "ledger verify --in-flight-seconds 0",
        "inbox process --limit 50 --retry-not-found",
        "worker provider-send --processes 1",
        "reconcile --repeat",
        "webhook sign --file body.json",
        "api-key create --user 123 --label ci",
    ):
        assert callable(parser.parse_args(line.split()).handler), line


def test_replay_needs_an_id_or_all(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        _parser().parse_args(["dead-letters", "replay"])
    assert done.value.code == 2
    assert "one of the arguments message_id --all is required" in capsys.readouterr().err


def test_an_audit_tolerance_of_zero_seconds_means_zero() -> None:
    settings = Settings(provider_audit_tolerance_seconds=600)
    assert audit_tolerance(0, settings) == timedelta(0)
    assert audit_tolerance(None, settings) == timedelta(seconds=600)
    assert audit_tolerance(30, settings) == timedelta(seconds=30)
