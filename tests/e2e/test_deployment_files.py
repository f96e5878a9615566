"""The files an operator starts from agree with the code: docker-compose.yml (valid for
docker-compose v1), .env.example, the Procfile and the README."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
from collections import OrderedDict
from dataclasses import fields
from pathlib import Path
from typing import Any

import pytest
import yaml
from honcho.environ import expand_processes, parse_procfile

from payout_service.cli import _parser
from payout_service.infrastructure.settings import Settings
from payout_service.infrastructure.worker_process import DEFAULT_THREADS, worker_threads
from payout_service.procfile import (
    PROCFILE,
    RUN_ONCE,
    honcho_ports,
    long_running_types,
    process_types,
)
from tests.installed_programs import installed
from tests.processes import PROJECT_ROOT

README = (PROJECT_ROOT / "README.md").read_text()
PROCESS_TYPES = (
    "web",
    "relay",
    "events",
    "inbox",
    "provider-send",
    "provider-mock",
    "dashboard",
    "notify",
)


def _compose(
    *args: str, secrets: str | None, env_file: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """docker-compose v1 on docker-compose.yml, with PROVIDER_WEBHOOK_SECRETS set to `secrets`
    (None: unset) and nothing else from a project `.env` when `env_file` names another file."""
    env = {k: v for k, v in os.environ.items() if k != "PROVIDER_WEBHOOK_SECRETS"}
    if secrets is not None:
        env["PROVIDER_WEBHOOK_SECRETS"] = secrets
    options = ["--env-file", str(env_file)] if env_file is not None else []
    return subprocess.run(
        [installed("docker-compose"), "-f", "docker-compose.yml", *options, *args],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.fixture(scope="module")
def compose_services() -> dict[str, Any]:
    """The services as docker-compose v1 resolves the file (`config`: it validates it first),
    with the operator's PROVIDER_WEBHOOK_SECRETS set. Read once: docker-compose takes seconds."""
    result = _compose("config", secrets="whsec_operators_own")
    assert result.returncode == 0, result.stderr
    services: dict[str, Any] = yaml.safe_load(result.stdout)["services"]
    return services


def test_docker_compose_file_is_valid_for_docker_compose_v1(
    compose_services: dict[str, Any],
) -> None:
    assert "web" in compose_services


def test_docker_compose_refuses_to_start_without_webhook_secrets(tmp_path: Path) -> None:
    # Given no PROVIDER_WEBHOOK_SECRETS, in the environment or an env file
    empty = tmp_path / "empty.env"
    empty.write_text("")
    # When compose reads its file / Then it stops, naming the variable: no public default secret
    result = _compose("config", "-q", secrets=None, env_file=empty)
    assert result.returncode != 0
    assert "set PROVIDER_WEBHOOK_SECRETS" in result.stderr


def test_docker_compose_gives_every_process_the_secrets_it_was_given(
    compose_services: dict[str, Any],
) -> None:
    given = {
        name: service["environment"]["PROVIDER_WEBHOOK_SECRETS"]
        for name, service in compose_services.items()
        if service.get("image") == "payout-service:local"
    }
    assert set(given) >= {"web", "provider-mock", "migrate"}
    assert set(given.values()) == {"whsec_operators_own"}


def test_docker_compose_publishes_ports_on_the_loopback_address_only(
    compose_services: dict[str, Any],
) -> None:
    published = {
        name: service["ports"] for name, service in compose_services.items() if "ports" in service
    }
    assert set(published) == {"web", "dashboard"}
    for name, ports in published.items():
        for port in ports:
            address = port.get("host_ip", "") if isinstance(port, dict) else str(port)
            assert address.startswith("127.0.0.1"), (name, port)


def test_docker_compose_runs_every_procfile_process_type_beside_its_stores(
    compose_services: dict[str, Any],
) -> None:
    assert set(long_running_types()) | {"mysql", "redis", "migrate"} <= set(compose_services)


def test_the_procfile_has_every_process_type() -> None:
    assert set(PROCESS_TYPES) <= set(process_types())


def test_the_release_phase_migrates_as_compose_migrate_does(
    compose_services: dict[str, Any],
) -> None:
    # Given the Procfile's release line (Heroku runs it once per deploy)
    line = next(x for x in PROCFILE.read_text().splitlines() if x.startswith("release:"))
    command = shlex.split(line.partition(":")[2])
    # Then it is the migration, the command docker-compose's one-shot `migrate` service runs
    assert command == ["payout-service", "migrate"]
    assert compose_services["migrate"]["command"] == command
    assert _parser().parse_args(command[1:]).command == "migrate"


def test_honcho_starts_no_release_process_and_gives_the_ports_the_readme_lists() -> None:
    # Given the Procfile as honcho reads it, and the types `payout-service run` names to it
    procfile = parse_procfile(PROCFILE.read_text())
    named = OrderedDict((name, procfile.processes[name]) for name in honcho_ports(8000))
    # When honcho expands them into processes, as `honcho start -p 8000 <types...>` does
    started = expand_processes(named, port=8000)
    # Then nothing runs once among them, and each gets the port honcho_ports says
    assert RUN_ONCE and not RUN_ONCE & {p.name.partition(".")[0] for p in started}
    assert {p.name.partition(".")[0]: int(p.env["PORT"]) for p in started} == honcho_ports(8000)


def test_the_provider_send_process_sends_provider_send_concurrency_payouts_at_once() -> None:
    line = next(x for x in PROCFILE.read_text().splitlines() if x.startswith("provider-send:"))
    args = _parser().parse_args(shlex.split(line.partition(":")[2])[1:])
    settings = Settings(provider_send_concurrency=3)
    assert args.threads is None, "--threads in the Procfile would override the setting"
    assert worker_threads(args.queues, settings) == 3
    assert worker_threads(["events"], settings) == DEFAULT_THREADS


def test_env_example_documents_every_setting() -> None:
    documented = set(
        re.findall(r"^#?\s*([A-Z][A-Z0-9_]*)=", (PROJECT_ROOT / ".env.example").read_text(), re.M)
    )
    missing = [f.name.upper() for f in fields(Settings) if f.name.upper() not in documented]
    assert missing == []


def test_readme_configuration_table_names_every_setting() -> None:
    missing = [f.name.upper() for f in fields(Settings) if f"| `{f.name.upper()}` |" not in README]
    assert missing == []


def test_readme_quick_start_is_the_two_commands() -> None:
    quick_start = README.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```sh\n(.*?)```", quick_start, re.S)
    assert block is not None
    assert block.group(1).split("\n")[:-1] == ["make run", "make test"]
    assert "psk_demo_user123_local_only" in quick_start


def test_readme_gives_each_process_type_its_make_run_port() -> None:
    for name, port in honcho_ports(8000).items():
        row = next((line for line in README.splitlines() if line.startswith(f"| `{name}` |")), "")
        assert row, f"no row for {name}"
        if name != "reconciler":
            assert f"127.0.0.1:{port}/" in row, row


def test_readme_lists_every_operator_command() -> None:
    commands = _parser()._subparsers._group_actions[0].choices  # type: ignore[union-attr]
    missing = [name for name in commands if f"| `{name}" not in README]
    assert missing == []
