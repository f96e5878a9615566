"""An operator command in a second terminal acts on the stack of the first: it reads the
project's .env and the running stack's var/run.env whatever its working directory, finds the
embedded database under the project root, and never follows a run.env a dead run left behind."""

from __future__ import annotations

import os
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import dramatiq
import pytest
import redis

from tests.integration.cli_runs import payout_service
from tests.processes import service_environment


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A project root of the test's own (PAYOUT_SERVICE_ROOT), never the checkout's."""
    root = tmp_path / "project"
    (root / "var").mkdir(parents=True)
    return root


@pytest.fixture
def elsewhere(tmp_path: Path) -> Path:
    """The second terminal's working directory: not the project."""
    folder = tmp_path / "home"
    folder.mkdir()
    return folder


def operator_environment(project: Path) -> dict[str, str]:
    """A shell with no setting of the service in it: everything comes from the project's files."""
    env = service_environment(PAYOUT_SERVICE_ROOT=str(project))
    for name in ("DATABASE_URL", "REDIS_URL", "BROKER_NAMESPACE", "HOST", "METRICS_DIR"):
        env.pop(name, None)
    return env


@pytest.fixture
def namespace(redis_url: str) -> Iterator[str]:
    name = f"test-terminal-{uuid.uuid4().hex[:10]}"
    yield name
    client = redis.Redis.from_url(redis_url)
    keys = list(client.scan_iter(f"{name}:*", count=1000))
    if keys:
        client.delete(*keys)
    client.close()


def plant_dead_letters(redis_url: str, namespace: str, count: int) -> None:
    """Messages as the broker files them once their retries ran out: in the queue's .XQ set."""
    client = redis.Redis.from_url(redis_url)
    for n in range(count):
        redis_id = str(uuid.uuid4())
        message = dramatiq.Message(
            queue_name="events",
            actor_name="keep_books",
            args=({"n": n},),
            kwargs={},
            options={"redis_message_id": redis_id, "traceback": f"ValueError: boom {n}"},
        )
        client.zadd(f"{namespace}:events.XQ", {redis_id: int(time.time() * 1000) + n})
        client.hset(f"{namespace}:events.XQ.msgs", redis_id, message.encode())
    client.close()


async def test_commands_from_another_directory_use_the_project_env_and_its_database(
    project: Path, elsewhere: Path
) -> None:
    # Given the project's .env naming the embedded database by a relative path
    (project / ".env").write_text(
        "# the operator's settings\nDATABASE_URL=sqlite://var/payouts.sqlite3\nLOG_LEVEL=warning\n"
    )
    env = operator_environment(project)
    # When the schema is migrated from the project, and the ledger verified from elsewhere
    migrated = await payout_service("migrate", env=env, cwd=project)
    verified = await payout_service("ledger", "verify", "--json", env=env, cwd=elsewhere)
    # Then both acted on the project's database file, none was made in the other directory
    assert migrated.code == 0, migrated.err
    assert verified.code == 0, verified.err
    assert verified.json() == {
        "accounts": 0,
        "postings": 0,
        "total_debits_minor": 0,
        "total_credits_minor": 0,
        "violations": [],
        "clean": True,
    }
    assert (project / "var" / "payouts.sqlite3").is_file()
    assert list(elsewhere.iterdir()) == []


async def test_the_running_stacks_redis_comes_from_run_env_and_replay_shows_progress(
    project: Path, elsewhere: Path, redis_url: str, namespace: str
) -> None:
    # Given a live run's var/run.env (this test process plays the run) naming its Redis, and
    # two dead letters in it
    (project / "var" / "run.env").write_text(
        f"PAYOUT_SERVICE_RUN_PID={os.getpid()}\n"
        f'REDIS_URL="{redis_url}"\nBROKER_NAMESPACE={namespace}\n'
    )
    plant_dead_letters(redis_url, namespace, 2)
    env = operator_environment(project)
    # When an operator lists them from another directory, then replays them all
    listed = await payout_service("dead-letters", "list", "--json", env=env, cwd=elsewhere)
    replayed = await payout_service("dead-letters", "replay", "--all", env=env, cwd=elsewhere)
    # Then the list is the stack's, and the replay counted its progress on stderr
    assert listed.code == 0, listed.err
    letters = listed.json()
    assert letters["count"] == 2
    assert {(x["queue"], x["actor"]) for x in letters["data"]} == {("events", "keep_books")}
    assert sorted(x["error"] for x in letters["data"]) == [
        "ValueError: boom 0",
        "ValueError: boom 1",
    ]
    assert replayed.code == 0, replayed.err
    assert replayed.out.strip() == "dead letters replayed: 2"
    assert "2/2 replayed" in replayed.err
    assert redis.Redis.from_url(redis_url).hlen(f"{namespace}:events.msgs") == 2


async def test_a_run_env_left_by_a_killed_run_is_not_followed(
    project: Path, elsewhere: Path, redis_url: str
) -> None:
    # Given var/run.env of a run that is gone (killed: it never removed the file)
    gone = subprocess.Popen(["true"])
    gone.wait()
    (project / "var" / "run.env").write_text(
        f"PAYOUT_SERVICE_RUN_PID={gone.pid}\nREDIS_URL={redis_url}\n"
    )
    # When an operator lists the dead letters
    listed = await payout_service(
        "dead-letters", "list", env=operator_environment(project), cwd=elsewhere
    )
    # Then the command says in one line that no Redis is known, rather than using the dead one
    assert listed.code == 2
    assert listed.err.startswith("payout-service: REDIS_URL is not set")
    assert listed.err.count("\n") == 1 and "Traceback" not in listed.err
