"""Dramatiq's dead-letter sets in Redis: list what exhausted its retries, and replay it.

The Redis broker keeps a dead message's id in the `<ns>:<queue>.XQ` sorted set (scored by when
it died) and its encoded body in the `<ns>:<queue>.XQ.msgs` hash.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import dramatiq
from dramatiq.brokers.redis import RedisBroker

from payout_service.application.event_routes import ROUTES


@dataclass(frozen=True)
class DeadLetter:
    message_id: str
    queue: str
    actor: str
    died_at: datetime
    error: str
    message: dramatiq.Message  # type: ignore[type-arg]


def known_queues() -> list[str]:
    return sorted({c.queue for consumers in ROUTES.values() for c in consumers})


def list_dead_letters(broker: RedisBroker) -> list[DeadLetter]:
    letters = []
    for queue in known_queues():
        key = f"{broker.namespace}:{queue}.XQ"
        for raw_id, score in broker.client.zrange(key, 0, -1, withscores=True):
            message_id = raw_id.decode()
            data = broker.client.hget(key + ".msgs", message_id)
            if data is None:
                continue
            message = dramatiq.Message.decode(data)
            letters.append(
                DeadLetter(
                    message_id=message_id,
                    queue=queue,
                    actor=message.actor_name,
                    died_at=datetime.fromtimestamp(score / 1000, UTC),
                    error=_last_line(str(message.options.get("traceback", ""))),
                    message=message,
                )
            )
    return sorted(letters, key=lambda letter: letter.died_at)


def replay_dead_letters(broker: RedisBroker, message_id: str | None) -> int:
    """Re-enqueues the named dead letter (or all) with a fresh retry budget."""
    replayed = 0
    for letter in list_dead_letters(broker):
        if message_id is not None and letter.message_id != message_id:
            continue
        options = {k: v for k, v in letter.message.options.items() if k not in _RETRY_STATE}
        broker.enqueue(letter.message.copy(options=options))
        key = f"{broker.namespace}:{letter.queue}.XQ"
        broker.client.zrem(key, letter.message_id)
        broker.client.hdel(key + ".msgs", letter.message_id)
        replayed += 1
    return replayed


def _last_line(traceback: str) -> str:
    lines = traceback.strip().splitlines()
    return lines[-1] if lines else ""


_RETRY_STATE = {"retries", "traceback", "requeue_timestamp", "eta"}
