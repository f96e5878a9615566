"""The files an operator starts from agree with the code: docker-compose.yml (valid for
docker-compose v1), .env.example, the Procfile and the README."""

from __future__ import annotations

import re
import shlex
import subprocess
from dataclasses import fields

from payout_service.cli import _parser
from payout_service.infrastructure.settings import Settings
from payout_service.infrastructure.worker_process import DEFAULT_THREADS, worker_threads
from payout_service.procfile import PROCFILE, honcho_ports, process_types
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


def _compose(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [installed("docker-compose"), "-f", "docker-compose.yml", *args],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_docker_compose_file_is_valid_for_docker_compose_v1() -> None:
    result = _compose("config", "-q")
    assert result.returncode == 0, result.stderr


def test_docker_compose_runs_every_procfile_process_type_beside_its_stores() -> None:
    result = _compose("config", "--services")
    assert result.returncode == 0, result.stderr
    services = set(result.stdout.split())
    assert set(process_types()) | {"mysql", "redis", "migrate"} <= services


def test_the_procfile_has_every_process_type() -> None:
    assert set(PROCESS_TYPES) <= set(process_types())


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
