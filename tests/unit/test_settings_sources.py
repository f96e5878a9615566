"""Where a command's settings come from: the project's .env, then the running stack's
var/run.env, then the environment; relative paths under the project root; values written the
ways operators write them; and no secret in a repr."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from payout_service.infrastructure.environment_files import (
    RUN_ENV,
    configured_environment,
    live_run_environment,
    remove_run_environment,
    write_run_environment,
)
from payout_service.infrastructure.settings import Settings, SettingsError


@pytest.fixture
def root(tmp_path: Path) -> Path:
    (tmp_path / "var").mkdir()
    return tmp_path


def test_the_environment_beats_run_env_which_beats_dotenv(root: Path) -> None:
    # Given the same variables in .env, in a live run's var/run.env and in the environment
    (root / ".env").write_text("LOG_LEVEL=debug\nPORT=7000\nREDIS_URL=redis://from-dotenv/0\n")
    write_run_environment(root, {"PORT": "8000", "REDIS_URL": "redis://from-run/0"})
    environ = {"PAYOUT_SERVICE_ROOT": str(root), "PORT": "9000", "REDIS_URL": ""}
    # When a command reads its configuration
    configured = configured_environment(environ)
    settings = Settings.from_env(configured.values, configured.root)
    # Then each variable comes from the last place that set it (an empty value sets nothing)
    assert (settings.log_level, settings.port, settings.redis_url) == (
        "DEBUG",
        9000,
        "redis://from-run/0",
    )
    assert configured.files["LOG_LEVEL"] == root / ".env"
    assert configured.files["REDIS_URL"] == root / RUN_ENV
    assert "PORT" not in configured.files


def test_a_run_env_left_by_a_run_that_is_gone_is_ignored(root: Path) -> None:
    # Given var/run.env written by a process that has exited since (killed: never removed)
    gone = subprocess.Popen(["true"])
    gone.wait()
    (root / RUN_ENV).write_text(f"PAYOUT_SERVICE_RUN_PID={gone.pid}\nREDIS_URL=redis://dead/0\n")
    # When a command reads its configuration
    configured = configured_environment({"PAYOUT_SERVICE_ROOT": str(root)})
    # Then nothing of it points at the dead stack's Redis
    assert "REDIS_URL" not in configured.values
    assert live_run_environment(root) == {}


def test_run_env_is_private_and_removed_only_by_its_writer(root: Path) -> None:
    path = write_run_environment(root, {"PROVIDER_WEBHOOK_SECRETS": 'whsec_"x"'})
    assert path.stat().st_mode & 0o777 == 0o600
    assert live_run_environment(root)["PROVIDER_WEBHOOK_SECRETS"] == 'whsec_"x"'
    assert live_run_environment(root)["PAYOUT_SERVICE_RUN_PID"] == str(os.getpid())
    remove_run_environment(root)
    assert not path.exists()


def test_relative_paths_are_under_the_project_root_not_the_working_directory(
    root: Path, monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory
) -> None:
    monkeypatch.chdir(tmp_path_factory.mktemp("elsewhere"))
    relative = Settings.from_env(
        {"METRICS_DIR": "var/metrics", "MOCK_PROVIDER_DB_PATH": "var/mock.sqlite3"}, root
    )
    assert relative.database_url == f"sqlite://{root}/var/payouts.sqlite3"  # the default
    assert relative.metrics_dir == f"{root}/var/metrics"
    assert relative.mock_provider_db_path == f"{root}/var/mock.sqlite3"
    assert Settings.from_env(
        {"DATABASE_URL": "sqlite://data/p.db?mode=rwc"}, root
    ).database_url == (f"sqlite://{root}/data/p.db?mode=rwc")
    for unchanged in ("sqlite:///srv/p.sqlite3", "sqlite://:memory:", "mysql://u:p@db:3306/x"):
        assert Settings.from_env({"DATABASE_URL": unchanged}, root).database_url == unchanged
    assert Settings.from_env({"METRICS_DIR": "/srv/metrics"}, root).metrics_dir == "/srv/metrics"


@pytest.mark.parametrize(
    ("written", "meant"),
    [
        ("on", "on"),
        ("TRUE", "on"),
        ("yes", "on"),
        ("1", "on"),
        ("Off", "off"),
        ("false", "off"),
        ("NO", "off"),
        ("0", "off"),
    ],
)
def test_a_switch_takes_the_usual_words_in_any_case(written: str, meant: str) -> None:
    settings = Settings.from_env({"WEBHOOK_SIGNATURE_VERIFICATION": written})
    assert settings.webhook_signature_verification == meant


@pytest.mark.parametrize(("written", "meant"), [("debug", "DEBUG"), ("Warning", "WARNING")])
def test_the_log_level_is_any_case(written: str, meant: str) -> None:
    assert Settings.from_env({"LOG_LEVEL": written}).log_level == meant


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("PORT", "80a", "PORT must be an integer, not '80a'"),
        ("PORT", "70000", "PORT must be an integer from 0 to 65535, not '70000'"),
        ("RELAY_BATCH_SIZE", "²", "RELAY_BATCH_SIZE must be an integer, not '²'"),
        ("RELAY_BATCH_SIZE", "-5", "RELAY_BATCH_SIZE must be an integer, at least 0, not '-5'"),
        ("LOG_LEVEL", "loud", "LOG_LEVEL must be one of debug, info, warning, error, critical"),
        (
            "OUTGOING_WEBHOOKS_ALLOW_HTTP_LOOPBACK",
            "sure",
            "OUTGOING_WEBHOOKS_ALLOW_HTTP_LOOPBACK must be on or off (or true/false, yes/no,"
            " 1/0), not 'sure'",
        ),
        (
            "DATABASE_URL",
            "postgres://admin:hunter2@db/payouts",
            "DATABASE_URL must be a mysql:// URL or a sqlite:// URL,"
            " not 'postgres://admin:[redacted]@db/payouts'",
        ),
    ],
)
def test_a_bad_value_names_the_variable_the_value_and_what_is_allowed(
    variable: str, value: str, message: str
) -> None:
    with pytest.raises(SettingsError) as error:
        Settings.from_env({variable: value})
    assert str(error.value).startswith(message)
    assert error.value.variable == variable
    assert "hunter2" not in str(error.value)


def test_the_repr_shows_no_secret() -> None:
    settings = Settings(
        database_url="mysql://payouts:hunter2@db:3306/payouts",
        redis_url="redis://:redispass@cache:6379/0",
        provider_webhook_secrets="whsec_one,whsec_two",
    )
    for shown in (repr(settings), str(settings), f"{settings}"):
        for secret in ("hunter2", "redispass", "whsec_one", "whsec_two"):
            assert secret not in shown
        assert "mysql://payouts:[redacted]@db:3306/payouts" in shown
        assert "provider_webhook_secrets='[redacted]'" in shown
        assert "port=8000" in shown
