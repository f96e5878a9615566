"""An operator sets up a paying user from a second terminal, through the real CLI: user,
account, money in (once per reference), an API key that works, then is revoked; and
`ledger verify` stays clean."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.integration.cli_runs import payout_service
from tests.processes import service_environment


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    """The commands go through the same adapters on both databases: SQLite is enough here."""
    return f"sqlite://{tmp_path}/payouts.sqlite3"


async def test_a_user_is_set_up_funded_once_per_reference_and_its_key_revoked(
    db, settings, tmp_path: Path
) -> None:
    env = service_environment(PAYOUT_SERVICE_ROOT=str(tmp_path), DATABASE_URL=settings.database_url)

    async def cli(*args: str):  # type: ignore[no-untyped-def]
        return await payout_service(*args, env=env, cwd=tmp_path)

    assert (await cli("users", "create", "--id", "7", "--name", "Acme Ltd")).code == 0
    assert (await cli("accounts", "open", "--user", "7", "--currency", "USD")).code == 0
    credit = ("accounts", "credit", "--user", "7", "--currency", "USD", "--reference", "wire-1")
    assert (await cli(*credit, "--amount", "150.00")).code == 0
    again = await cli(*credit, "--amount", "150.00")
    other_amount = await cli(*credit, "--amount", "99.00")
    created = await cli("api-key", "create", "--user", "7", "--label", "acme")
    key = created.out.strip().split()[-1]
    listed = await cli("api-key", "list", "--user", "7", "--json")
    revoked = await cli("api-key", "revoke", key[:12])
    after = await cli("api-key", "list", "--user", "7", "--json")
    verified = await cli("ledger", "verify", "--json")

    assert again.code == 0 and "nothing" in (again.out + again.err).lower()
    assert other_amount.code == 1
    assert created.code == 0 and key.startswith("psk_")
    assert listed.code == 0 and revoked.code == 0, revoked.err
    assert [k["revoked_at"] is None for k in listed.json()["api_keys"]] == [True]
    assert [k["revoked_at"] is None for k in after.json()["api_keys"]] == [False]
    assert verified.code == 0, verified.out
    assert verified.json()["clean"] is True
