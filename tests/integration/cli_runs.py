"""`payout-service <args>` run to its end as an operator runs it, from a working directory of
the test's choosing: its exit code, stdout (the answer) and stderr (progress, errors) apart."""

from __future__ import annotations

import asyncio
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Ran:
    code: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)


async def payout_service(*args: str, env: dict[str, str], cwd: Path) -> Ran:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "payout_service.cli",
        *args,
        env=env,
        cwd=cwd,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        out, err = await asyncio.wait_for(process.communicate(), 120)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    return Ran(int(process.returncode or 0), out.decode(), err.decode())
