"""A MariaDB of the chaos run's own, on a free port with its data under the test's tmp folder,
so stopping it hurts no other test (never the shared servers of scripts/test-services). Its Redis
is tests.private_redis.PrivateRedis, durable.

MariaDB keeps its durable defaults (as Redis its append-only file fsynced on every write): a stop
and restart must lose nothing that was acknowledged, as with the real servers in production.
"""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

import asyncmy

from tests.processes import free_port

START_TIMEOUT_SECONDS = 30.0


async def _until(probe, what: str) -> None:  # type: ignore[no-untyped-def]
    """Polls `probe` (a server gives no other sign of being up) for START_TIMEOUT_SECONDS."""
    deadline = asyncio.get_running_loop().time() + START_TIMEOUT_SECONDS
    while asyncio.get_running_loop().time() < deadline:
        if await probe():
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"{what} did not come up within {START_TIMEOUT_SECONDS} s")


class PrivateServer:
    """A server process started, stopped (SIGTERM, clean) and restarted on the same port."""

    name = "server"

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.port = free_port()
        self.process: asyncio.subprocess.Process | None = None
        self.restarts = 0

    def command(self) -> list[str]:
        raise NotImplementedError

    async def answers(self) -> bool:
        raise NotImplementedError

    async def start(self) -> None:
        log = (self.folder / f"{self.name}.out").open("ab")
        self.process = await asyncio.create_subprocess_exec(
            *self.command(), stdout=log, stderr=asyncio.subprocess.STDOUT
        )
        log.close()
        await _until(self.answers, self.name)

    async def stop(self) -> None:
        if self.process is not None and self.process.returncode is None:
            self.process.terminate()
            try:
                await asyncio.wait_for(self.process.wait(), 30)
            except TimeoutError:
                self.process.kill()
                await self.process.wait()

    async def restart(self) -> None:
        await self.stop()
        await self.start()
        self.restarts += 1


class PrivateMariaDB(PrivateServer):
    """Initialised with mariadb-install-db in the folder; user `chaos` over TCP."""

    name = "mariadb"
    user = password = "chaos"

    def __init__(self, folder: Path) -> None:
        super().__init__(folder)
        self.datadir = folder / "data"
        self.socket = folder / "mysqld.sock"

    def url(self, database: str) -> str:
        return f"mysql://{self.user}:{self.password}@127.0.0.1:{self.port}/{database}"

    async def initialise(self) -> None:
        install = await asyncio.create_subprocess_exec(
            "mariadb-install-db", "--no-defaults", f"--datadir={self.datadir}", "--user=root",
            "--auth-root-authentication-method=socket",
            stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
        )  # fmt: skip
        assert await install.wait() == 0, "mariadb-install-db failed"
        await self.start()
        grant = await asyncio.create_subprocess_exec(
            "mariadb", f"--socket={self.socket}", "-uroot", "-e",
            f"CREATE USER '{self.user}'@'127.0.0.1' IDENTIFIED BY '{self.password}';"
            f" GRANT ALL ON *.* TO '{self.user}'@'127.0.0.1';",
        )  # fmt: skip
        assert await grant.wait() == 0, "could not create the chaos user"

    def command(self) -> list[str]:
        executable = shutil.which("mariadbd") or "/usr/sbin/mariadbd"
        return [
            executable, "--no-defaults", f"--datadir={self.datadir}", "--user=root",
            f"--socket={self.socket}", "--bind-address=127.0.0.1", f"--port={self.port}",
            f"--pid-file={self.folder / 'mariadb.pid'}", "--skip-log-bin",
            "--innodb-buffer-pool-size=64M", "--max-connections=300",
            f"--log-error={self.folder / 'mariadb.err'}",
        ]  # fmt: skip

    async def answers(self) -> bool:
        try:
            connection = await asyncmy.connect(unix_socket=str(self.socket), user="root")
        except Exception:  # not up yet: any failure to connect means try again
            return False
        connection.close()
        return True
