"""Where a command's settings come from: the project's `.env`, then the running stack's
`var/run.env`, then the process's own environment, each overriding the one before.

The project root is the folder of the Procfile (PAYOUT_SERVICE_ROOT names another one: the tests
point it at a scratch folder). Every command reads the same files from it whatever its working
directory, so an operator command in a second terminal acts on the stack `make run` started.

`payout-service run` writes `var/run.env` (REDIS_URL of its private Redis, its ports, the webhook
secret it made up...) and removes it when the stack stops. The file names the run's process id:
a file left behind by a run that was killed is ignored, so nothing points at a dead Redis.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from payout_service.infrastructure.dotenv import read_dotenv
from payout_service.procfile import PROCFILE

ROOT_VARIABLE = "PAYOUT_SERVICE_ROOT"
DOTENV = ".env"
RUN_ENV = Path("var") / "run.env"
# The `payout-service run` that wrote var/run.env: the file counts while it is alive.
RUN_PID_VARIABLE = "PAYOUT_SERVICE_RUN_PID"


@dataclass(frozen=True)
class ConfiguredEnvironment:
    """The variables a command sees, and for each one read from a file, that file."""

    root: Path
    values: dict[str, str]
    files: dict[str, Path] = field(default_factory=dict)


def project_root(environ: Mapping[str, str] | None = None) -> Path:
    env = os.environ if environ is None else environ
    given = env.get(ROOT_VARIABLE, "")
    return Path(given).resolve() if given else PROCFILE.parent


def configured_environment(environ: Mapping[str, str] | None = None) -> ConfiguredEnvironment:
    """`.env`, then a live `var/run.env`, then `environ` (the process's): a later non-empty
    value wins. An empty value is no value, as for the settings themselves."""
    env = os.environ if environ is None else environ
    root = project_root(env)
    values: dict[str, str] = {}
    files: dict[str, Path] = {}
    for path, variables in (
        (root / DOTENV, read_dotenv(root / DOTENV)),
        (root / RUN_ENV, live_run_environment(root)),
    ):
        for name, value in variables.items():
            if value:
                values[name], files[name] = value, path
    for name, value in env.items():
        if value or name not in values:
            values[name] = value
            files.pop(name, None)
    return ConfiguredEnvironment(root, values, files)


def live_run_environment(root: Path) -> dict[str, str]:
    """var/run.env's variables while the run that wrote it is alive, else {}."""
    variables = read_dotenv(root / RUN_ENV)
    pid = variables.get(RUN_PID_VARIABLE, "")
    if pid and not _alive(int(pid) if pid.isdecimal() else 0):
        return {}
    return variables


def write_run_environment(root: Path, variables: Mapping[str, str]) -> Path:
    """Writes var/run.env for this process (readable by its owner only: it holds secrets)."""
    path = root / RUN_ENV
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [
        "# Written by `payout-service run` for the commands of other terminals; removed when the",
        "# stack stops, ignored once the run is gone. Do not edit: change .env or the environment.",
        f"{RUN_PID_VARIABLE}={os.getpid()}",
        *(f"{name}={_quoted(value)}" for name, value in sorted(variables.items())),
    ]
    partial = path.with_suffix(".partial")
    partial.unlink(missing_ok=True)
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as file:
        file.write("\n".join(lines) + "\n")
    partial.replace(path)
    return path


def remove_run_environment(root: Path) -> None:
    """Removes var/run.env if this process wrote it."""
    path = root / RUN_ENV
    if read_dotenv(path).get(RUN_PID_VARIABLE) == str(os.getpid()):
        path.unlink(missing_ok=True)


def _quoted(value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'


def _alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # another user's process: alive
    return True
