"""The operator's reading commands with --json: the facts of the plain lines, for scripts; the
long ones show their progress on stderr and answer on stdout; and `provider audit
--tolerance-seconds 0` means no tolerance at all (it used to fall back to the setting). The inbox
commands run as `payout-service` processes; the others in this process, as cli.py runs them
(commands_in_process): their own test files run them as processes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient

from payout_service.domain.provider_truth import Disagreement
from payout_service.infrastructure.db.unit_of_work import SqlUnitOfWorkFactory
from payout_service.infrastructure.settings import Settings
from tests.integration.cli_runs import payout_service
from tests.integration.commands_in_process import InProcessCommands
from tests.integration.processes import audited_events, environment, write_events
from tests.integration.provider_support import (
    MockServer,
    create_payout,
    paid_at_the_provider,
    send_key,
    sent_without_answer,
    taken_by_provider,
)
from tests.integration.webhook_support import accepted_payout, store_unapplied, webhook
from tests.processes import service_environment


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    """These commands read through the same adapters on both databases: SQLite is enough."""
    return f"sqlite://{tmp_path}/payouts.sqlite3"


def operator_env(tmp_path: Path, **settings: str) -> dict[str, str]:
    return service_environment(PAYOUT_SERVICE_ROOT=str(tmp_path), **settings)


async def test_a_tolerance_of_zero_seconds_makes_a_fresh_provider_payment_unrecorded(
    webhook_api: TestClient,
    auth: dict[str, str],
    db: SqlUnitOfWorkFactory,
    mock: MockServer,
    settings: Settings,
    tmp_path: Path,
    commands: InProcessCommands,
) -> None:
    # Given a payout the provider paid a minute ago, which we do not know about yet
    created = await create_payout(webhook_api, auth)
    await taken_by_provider(mock, created)
    await paid_at_the_provider(mock, created["id"])
    held = mock.provider.payout_for_key(send_key(created["id"]))
    assert held is not None
    held.updated_at = datetime.now(UTC) - timedelta(minutes=1)
    env = operator_env(tmp_path, DATABASE_URL=settings.database_url, PROVIDER_BASE_URL=mock.url)
    # When the operator audits with no tolerance, then with the setting's (600 s)
    strict = await commands.run(
        env, "provider", "audit", "--since", "1d", "--tolerance-seconds", "0", "--json"
    )
    lenient = await commands.run(env, "provider", "audit", "--since", "1d", "--json")
    # Then with none the payment is unrecorded (money at risk: exit 1); with 600 s it is a lag
    assert strict.code == 1, strict.err
    report = strict.json()
    assert report["tolerance_seconds"] == 0
    assert [(f["kind"], f["payout"]["id"]) for f in report["findings"]] == [
        (Disagreement.UNRECORDED_PAYMENT, created["id"])
    ]
    assert report["money_at_risk"] is True and report["checked"] == 1
    assert lenient.code == 0, lenient.err
    assert lenient.json()["tolerance_seconds"] == 600
    assert lenient.json()["counts"][Disagreement.STATUS_LAG] == 1


async def test_review_json_says_why_each_payout_waits(
    webhook_api: TestClient,
    auth: dict[str, str],
    db: SqlUnitOfWorkFactory,
    mock: MockServer,
    settings: Settings,
    tmp_path: Path,
    commands: InProcessCommands,
) -> None:
    # Given a payout left for an operator after an unanswered attempt
    flagged = await create_payout(webhook_api, auth)
    await sent_without_answer(db, flagged["id"], "no answer; ask the provider")
    env = operator_env(tmp_path, DATABASE_URL=settings.database_url, PROVIDER_BASE_URL=mock.url)
    # When the operator lists the review queue as JSON
    listed = await commands.run(env, "payouts", "review", "--json")
    # Then it is the payout as the API shows it, with the reason and the last attempt
    assert listed.code == 0, listed.err
    (item,) = listed.json()["data"]
    assert item["payout"]["id"] == flagged["id"] and item["payout"]["needs_review"] is True
    assert item["review_reason"] == "no answer; ask the provider"
    assert item["last_attempt"]["result"] == "no_answer"


async def test_outbox_status_json_and_process_progress(
    outbox_settings: Settings, db: SqlUnitOfWorkFactory, tmp_path: Path, commands: InProcessCommands
) -> None:
    # Given a backlog of 3
    await write_events(db, audited_events(3))
    env = environment(outbox_settings, tmp_path, PAYOUT_SERVICE_ROOT=str(tmp_path))
    # When the operator reads the status as JSON, then publishes 2
    status = await commands.run(env, "outbox", "status", "--json")
    processed = await commands.run(env, "outbox", "process", "--limit", "2")
    # Then the status counts them, and the pass counted its progress on stderr
    assert status.code == 0, status.err
    assert status.json()["backlog"] == 3 and status.json()["dead"] == 0
    assert processed.code == 0, processed.err
    assert processed.out.strip() == "outbox rows published: 2"
    assert "2/2 published" in processed.err


async def test_inbox_process_progress_and_status_json(
    webhook_api: TestClient,
    auth: dict[str, str],
    db: SqlUnitOfWorkFactory,
    webhook_settings: Settings,
    tmp_path: Path,
) -> None:
    # Given a webhook for an accepted payout, stored unapplied (applying it as it came failed)
    payout_id = await accepted_payout(webhook_api, auth, db)
    await store_unapplied(db, webhook("evt-1", status="success"))
    env = operator_env(tmp_path, DATABASE_URL=webhook_settings.database_url)
    # When the operator applies the inbox, then reads its status as JSON
    processed = await payout_service("inbox", "process", env=env, cwd=tmp_path)
    status = await payout_service("inbox", "status", "--json", env=env, cwd=tmp_path)
    # Then the pass applied it with its progress on stderr, and the status counts it
    assert processed.code == 0, processed.err
    assert f"applied (payout {payout_id})" in processed.out
    assert processed.out.splitlines()[-1] == "inbox events processed: 1"
    assert "1/1 applied" in processed.err
    assert status.json() == {"by_result": {"applied": 1}, "unprocessed": 0, "payload_conflicts": 0}
