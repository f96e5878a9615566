"""What `payout-service run` starts once the database is migrated and seeded: every Procfile
process under honcho, on a private Redis unless REDIS_URL names one, all stopped together by
Ctrl-C or SIGTERM. The embedded first run: nothing to install or configure beyond this machine.

While it runs, var/run.env under the project root holds what a second terminal needs to act on
this stack (its Redis, its ports, the webhook secret it made up): every `payout-service` command
reads it (environment_files). It is removed when the stack stops.
"""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
from dataclasses import fields
from pathlib import Path

from payout_service.infrastructure.embedded_redis import EmbeddedRedis
from payout_service.infrastructure.environment_files import (
    RUN_ENV,
    RUN_PID_VARIABLE,
    configured_environment,
    live_run_environment,
    remove_run_environment,
    write_run_environment,
)
from payout_service.infrastructure.settings import Settings
from payout_service.procfile import PROCFILE, SERVES, honcho_ports, serves_http

# The settings a process of the stack may be given: those, and only those, go to var/run.env.
_SETTING_VARIABLES = frozenset(f.name.upper() for f in fields(Settings))


def other_run(settings: Settings) -> str | None:
    """Why this run must not start: another `payout-service run` of this project is up."""
    root = configured_environment().root
    running = live_run_environment(root).get(RUN_PID_VARIABLE)
    if running and running != str(os.getpid()):
        return (
            f"another `payout-service run` (pid {running}) is running for {root}: stop it"
            f" first ({root / RUN_ENV} names its stack)"
        )
    return None


def run_every_process(settings: Settings) -> int:
    """Returns 0 once a stop was asked for, however the processes ended; otherwise honcho's code
    (a process that exits on its own stops the others)."""
    env = _process_environment(settings)
    root = configured_environment().root
    with (
        EmbeddedRedis(root / "var" / "redis")
        if not settings.redis_url
        else _GivenRedis(settings.redis_url) as redis
    ):
        env["REDIS_URL"] = redis.url
        print(f"Redis: {redis.url}")
        _print_addresses(settings)
        written = write_run_environment(root, _stack_settings(env, settings))
        print(f"Settings for other terminals: {written}")
        try:
            honcho = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "honcho",
                    "start",
                    "-f",
                    str(PROCFILE),
                    # The environment below already holds .env under the real environment:
                    # honcho reading .env itself would let the file override the environment.
                    "-e",
                    os.devnull,
                    "-p",
                    str(settings.port),
                    *honcho_ports(settings.port),
                ],
                env=env,
                cwd=root,
            )
            return _wait_for(honcho)
        finally:
            remove_run_environment(root)


def _process_environment(settings: Settings) -> dict[str, str]:
    env = dict(
        configured_environment().values,
        DATABASE_URL=settings.database_url,
        METRICS_DIR=settings.metrics_dir,
        PYTHONUNBUFFERED="1",
    )
    if not settings.webhook_secrets:
        # One secret for this run, shared by the mock provider (signs) and the web (verifies).
        env["PROVIDER_WEBHOOK_SECRETS"] = "whsec_" + secrets.token_hex(24)
    env.update(_provider_addresses(settings, env))
    if not env.get("OUTGOING_WEBHOOKS_ALLOW_HTTP_LOOPBACK"):
        # A local run's webhook receivers listen on this machine, over plain http.
        env["OUTGOING_WEBHOOKS_ALLOW_HTTP_LOOPBACK"] = "on"
    # The Procfile names `payout-service` and `dramatiq`: this interpreter's scripts, first on PATH.
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    return env


def _stack_settings(env: dict[str, str], settings: Settings) -> dict[str, str]:
    """The settings the stack's processes got, with its base PORT and HOST: the web's address."""
    chosen = {name: value for name, value in env.items() if name in _SETTING_VARIABLES and value}
    return chosen | {"HOST": settings.host, "PORT": str(settings.port)}


def _provider_addresses(settings: Settings, env: dict[str, str]) -> dict[str, str]:
    """The workers call the mock provider, the mock calls the web back: both at the ports
    honcho gives them, unless the operator named other addresses."""
    ports = honcho_ports(settings.port)
    wanted = {
        "PROVIDER_BASE_URL": f"http://{settings.host}:{ports['provider-mock']}",
        "MOCK_PROVIDER_WEBHOOK_URL": (
            f"http://{settings.host}:{ports['web']}/api/webhooks/provider"
        ),
    }
    return {name: url for name, url in wanted.items() if not env.get(name)}


def _print_addresses(settings: Settings) -> None:
    for name, port in honcho_ports(settings.port).items():
        where = f"http://{settings.host}:{port}/" if serves_http(name) else ""
        print(f"{name:<14} {where:<24} {SERVES.get(name, '')}")


def _wait_for(honcho: subprocess.Popen[bytes]) -> int:
    # Ctrl-C reaches honcho through the terminal's process group; SIGTERM is passed on.
    # Either way the stop was asked for, so it is a success however the processes ended.
    stopped = False

    def stop(*_: object) -> None:
        nonlocal stopped
        stopped = True
        honcho.terminate()

    signal.signal(signal.SIGTERM, stop)
    while True:
        try:
            code = honcho.wait()
            return 0 if stopped else code
        except KeyboardInterrupt:
            stopped = True


class _GivenRedis:
    """An operator-supplied Redis: nothing to start or stop."""

    def __init__(self, url: str) -> None:
        self.url = url

    def __enter__(self) -> _GivenRedis:
        return self

    def __exit__(self, *_: object) -> None:
        return None
