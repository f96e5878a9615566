"""What `payout-service run` starts once the database is migrated and seeded: every Procfile
process under honcho, on a private Redis unless REDIS_URL names one, all stopped together by
Ctrl-C or SIGTERM. The embedded first run: nothing to install or configure beyond this machine.
"""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
from pathlib import Path

from payout_service.infrastructure.embedded_redis import EmbeddedRedis
from payout_service.infrastructure.settings import Settings
from payout_service.procfile import PROCFILE, SERVES, honcho_ports, serves_http

PROJECT_ROOT = PROCFILE.parent


def run_every_process(settings: Settings) -> int:
    """Returns 0 once a stop was asked for, however the processes ended; otherwise honcho's code
    (a process that exits on its own stops the others)."""
    env = _process_environment(settings)
    with (
        EmbeddedRedis(PROJECT_ROOT / "var" / "redis")
        if not settings.redis_url
        else _GivenRedis(settings.redis_url) as redis
    ):
        env["REDIS_URL"] = redis.url
        print(f"Redis: {redis.url}")
        _print_addresses(settings)
        honcho = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "honcho",
                "start",
                "-f",
                str(PROCFILE),
                "-p",
                str(settings.port),
            ],
            env=env,
            cwd=PROJECT_ROOT,
        )
        return _wait_for(honcho)


def _process_environment(settings: Settings) -> dict[str, str]:
    env = dict(os.environ, DATABASE_URL=settings.database_url, PYTHONUNBUFFERED="1")
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
