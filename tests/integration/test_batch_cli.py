"""`payout-service batch submit|status` against the real databases: a CSV becomes one batch of
ordinary payouts, the same file submitted again pays nothing twice, a bad row refuses the batch
and is named by its row in the file, and submit waits until the provider has every item. The
waiting submit runs as a `payout-service` process; the others run in this process, as cli.py
runs them (commands_in_process), stdout and stderr apart."""

from __future__ import annotations

import asyncio
import json
import re
from dataclasses import astuple
from pathlib import Path

import pytest

from payout_service.infrastructure.clock import SystemClock
from payout_service.infrastructure.db.unit_of_work import SqlUnitOfWorkFactory
from payout_service.infrastructure.settings import Settings
from tests.integration.commands_in_process import InProcessCommands
from tests.integration.helpers import rows
from tests.integration.processes import scalar
from tests.processes import command_running, service_environment

HEADER = "amount,currency,wallet,external_reference\n"
# A spreadsheet's export: a byte-order mark, a quoted field with a comma, a trailing blank row.
GOOD_CSV = (
    "\ufeff"
    + HEADER
    + '10.00,USD,W-1,inv-1\n"1000.00",USD,"W-2, main",inv-2\n2.50,EUR,W-3,inv-3\n\n'
)
CREATED = re.compile(r"batch (\S+) created")


@pytest.fixture
def env(settings: Settings) -> dict[str, str]:
    return service_environment(DATABASE_URL=settings.database_url, LOG_LEVEL="WARNING")


def csv_file(tmp_path: Path, text: str) -> str:
    path = tmp_path / "batch.csv"
    path.write_text(text, encoding="utf-8")
    return str(path)


async def batch_items(db: SqlUnitOfWorkFactory, batch_id: str) -> list[tuple[object, ...]]:
    """The batch's payouts: (external_reference, amount_minor, currency, wallet)."""
    found = await rows(
        db,
        "SELECT external_reference, amount_minor, currency, wallet FROM payouts"
        " WHERE batch_id = %s ORDER BY external_reference",
        batch_id,
    )
    return [
        (r["external_reference"], int(r["amount_minor"]), r["currency"], r["wallet"]) for r in found
    ]


async def test_a_csv_becomes_one_batch_and_submitting_it_again_pays_nothing_twice(
    db: SqlUnitOfWorkFactory, env: dict[str, str], tmp_path: Path, commands: InProcessCommands
) -> None:
    # Given a finance team's CSV of three payouts
    path = csv_file(tmp_path, GOOD_CSV)
    # When an operator submits it for user 123, twice
    first = await commands.run(env, "batch", "submit", path, "--user", "123", "--no-wait")
    again = await commands.run(env, "batch", "submit", path, "--user", "123", "--no-wait")
    # Then the first created one batch of three pending payouts
    assert first.code == 0, first
    found = CREATED.search(first.out)
    assert found, first.out
    batch_id = found[1]
    assert await batch_items(db, batch_id) == [
        ("inv-1", 1000, "USD", "W-1"),
        ("inv-2", 100000, "USD", "W-2, main"),
        ("inv-3", 250, "EUR", "W-3"),
    ]
    assert re.search(r"^pending\s+3$", first.out, re.M), first.out
    assert re.search(r"^USD\s+2\s+1010\.00$", first.out, re.M), first.out
    # and the second replayed it: the same batch, no payout more
    assert again.code == 0, again
    assert f"batch {batch_id} was already submitted from this file" in again.out
    assert await scalar(db, "SELECT COUNT(*) AS n FROM payouts") == 3


async def test_a_bad_row_refuses_the_batch_and_is_named_by_its_row_in_the_file(
    db: SqlUnitOfWorkFactory, env: dict[str, str], tmp_path: Path, commands: InProcessCommands
) -> None:
    # Given a CSV whose second payout (row 3 of the file) has no valid amount
    path = csv_file(
        tmp_path, HEADER + "10.00,USD,W-1,inv-1\nten,USD,W-2,inv-2\n1.00,USD,W-3,inv-3\n"
    )
    # When it is submitted all or nothing
    code, out, _ = astuple(await commands.run(env, "batch", "submit", path, "--user", "123"))
    # Then nothing is created and the table names row 3, item 1, its amount
    assert code == 1, out
    assert "1 of the 3 items cannot be paid; nothing was created" in out
    (line,) = [line for line in out.splitlines() if line.startswith("3 ")]
    assert line.split()[:3] == ["3", "1", "amount"], line
    assert await scalar(db, "SELECT COUNT(*) AS n FROM payouts") == 0


async def test_status_as_json_is_the_apis_batch_with_its_counts(
    db: SqlUnitOfWorkFactory, env: dict[str, str], tmp_path: Path, commands: InProcessCommands
) -> None:
    # Given a submitted batch
    path = csv_file(tmp_path, GOOD_CSV)
    code, out, err = astuple(
        await commands.run(env, "batch", "submit", path, "--user", "123", "--no-wait")
    )
    assert code == 0, out + err
    found = CREATED.search(out)
    assert found, out
    # When an operator asks for its status as JSON
    code, out, err = astuple(await commands.run(env, "batch", "status", found[1], "--json"))
    # Then it is the API's representation, its items counted by status
    assert code == 0, out + err
    shown = json.loads(out)
    assert (shown["id"], shown["user_id"], shown["status"]) == (found[1], 123, "processing")
    assert shown["counts"]["total"] == 3 and shown["counts"]["pending"] == 3
    assert {t["currency"]: t["amount"] for t in shown["totals"]} == {
        "USD": "1010.00",
        "EUR": "2.50",
    }


async def test_submit_waits_until_the_provider_has_every_item(
    db: SqlUnitOfWorkFactory, env: dict[str, str], tmp_path: Path
) -> None:
    # Given a submit that waits, its batch created
    path = csv_file(tmp_path, GOOD_CSV)
    async with command_running("batch", "submit", path, "--user", "123", env=env) as (
        process,
        output,
    ):
        found = CREATED.search(await output.wait_for("created"))
        assert found
        await output.wait_for("0/3 sent")
        # When the provider-send step takes every item
        ids = [str(r["id"]) for r in await rows(db, "SELECT id FROM payouts")]
        async with db() as tx:
            for payout_id in ids:
                payout = await tx.payouts.get_for_update(payout_id)
                assert payout is not None
                payout.start_processing(SystemClock().now())
                await tx.payouts.update(payout)
            await tx.commit()
        # Then the wait ends with the summary: every item processing
        await asyncio.wait_for(process.wait(), 30)
        await output.closed()
    assert process.returncode == 0, output.text()
    assert "3/3 sent" in output.text()
    assert re.search(r"^processing\s+3$", output.text(), re.M), output.text()
