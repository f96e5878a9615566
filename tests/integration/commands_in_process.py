"""`payout-service <args>` run in the test's process, as cli.main runs it once the environment is
read: settings made from the variables a process would be given, cli's own parser and the
command's handler, run in a thread as it would run in a process of its own. The test's open
database stands in for the one the command would open (command_database.with_database): its
work runs on the test's loop, on the same database.

A process per command cost 0.5-1 s, mostly imports. Each command family keeps a test that runs
the real process (tests.integration.processes.run_command, provider_support.operator_command,
cli_runs.payout_service), so the entry point stays covered there.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path
from typing import Any

import pytest

from payout_service import cli, message_commands, operator_commands
from payout_service.infrastructure.db.unit_of_work import SqlUnitOfWorkFactory
from payout_service.infrastructure.settings import Settings
from tests.integration.cli_runs import Ran


class InProcessCommands:
    """`await commands.run(env, *args)`: exit code, stdout and stderr apart (cli_runs.Ran);
    `await commands(env, *args)`: the exit code and stdout and stderr as one text (the shape of
    provider_support.operator_command); `await commands.ok(env, *args)`: that text, of a
    command that must exit 0 (the shape of processes.run_command)."""

    def __init__(self, db: SqlUnitOfWorkFactory, database_url: str, capsys: Any) -> None:
        self._db = db
        self._database_url = database_url
        self._capsys = capsys
        self._loop: asyncio.AbstractEventLoop | None = None

    def with_database(
        self, settings: Settings, work: Callable[[SqlUnitOfWorkFactory], Awaitable[Any]]
    ) -> Any:
        assert settings.database_url == self._database_url, "the command names another database"
        assert self._loop is not None
        return asyncio.run_coroutine_threadsafe(work(self._db), self._loop).result()

    async def run(self, env: Mapping[str, str], *args: str) -> Ran:
        self._loop = asyncio.get_running_loop()
        parsed = cli._parser().parse_args(args)
        root = env.get("PAYOUT_SERVICE_ROOT")
        settings = Settings.from_env(env, Path(root) if root else None)
        self._capsys.readouterr()  # what the test printed before is not the command's
        if parsed.needs_redis and not settings.redis_url:
            code = cli.BAD_SETTING
        else:
            code = int(await asyncio.to_thread(parsed.handler, settings, parsed) or 0)
        out, err = self._capsys.readouterr()
        return Ran(code, out, err)

    async def __call__(self, env: Mapping[str, str], *args: str) -> tuple[int, str]:
        ran = await self.run(env, *args)
        return ran.code, ran.out + ran.err

    async def ok(self, env: Mapping[str, str], *args: str) -> str:
        code, printed = await self(env, *args)
        assert code == 0, f"payout-service {' '.join(args)} failed:\n{printed}"
        return printed


@pytest.fixture
def commands(
    db: SqlUnitOfWorkFactory,
    settings: Settings,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> InProcessCommands:
    """Operator commands in this process, on the test's database (see the module's doc)."""
    running = InProcessCommands(db, settings.database_url, capsys)
    for module in (cli, message_commands, operator_commands):
        monkeypatch.setattr(module, "with_database", running.with_database)
    return running
