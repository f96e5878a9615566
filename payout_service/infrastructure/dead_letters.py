"""Dramatiq's dead-letter sets in Redis: list what exhausted its retries, and replay it.

The Redis broker keeps a dead message in the `<ns>:<queue>.XQ` sorted set (scored by when it
died), keyed by the id the broker gave that enqueue (`redis_message_id`), and its encoded body in
the `<ns>:<queue>.XQ.msgs` hash. Every such set in the namespace is read, so a queue that is not
in the routing table (a new actor's, a test's) is never hidden from an operator.
"""

from __future__ import annotations

import dataclasses
import traceback
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import dramatiq
from dramatiq.broker import Broker
from dramatiq.brokers.redis import RedisBroker
from dramatiq.common import q_name
from dramatiq.middleware import Middleware


@dataclass(frozen=True)
class DeadLetter:
    message_id: str  # the broker's id of the dead enqueue: what `replay` takes
    queue: str
    actor: str
    died_at: datetime
    error: str
    message: dramatiq.Message  # type: ignore[type-arg]


def dead_letter_queues(broker: RedisBroker) -> list[str]:
    prefix, suffix = f"{broker.namespace}:", ".XQ"
    keys = broker.client.scan_iter(match=f"{prefix}*{suffix}", count=500)
    return sorted({key.decode()[len(prefix) : -len(suffix)] for key in keys})


def list_dead_letters(broker: RedisBroker) -> list[DeadLetter]:
    letters = []
    for queue in dead_letter_queues(broker):
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
    """Re-enqueues the named dead letter (its broker id or its Dramatiq message id), or all of
    them, with a fresh retry budget. The Dramatiq message id is kept, so a consumer's inbox still
    recognises a message it had applied."""
    replayed = 0
    for letter in list_dead_letters(broker):
        if message_id is not None and message_id not in (
            letter.message_id,
            letter.message.message_id,
        ):
            continue
        options = {k: v for k, v in letter.message.options.items() if k not in _RETRY_STATE}
        # Message.copy() merges options into the old ones; replace() really drops the retry state.
        broker.enqueue(dataclasses.replace(letter.message, options=options))
        key = f"{broker.namespace}:{letter.queue}.XQ"
        broker.client.zrem(key, letter.message_id)
        broker.client.hdel(key + ".msgs", letter.message_id)
        replayed += 1
    return replayed


class DeadLetterErrors(Middleware):
    """Keeps the error that killed a message on its dead letter. The broker's nack files the
    message as it was last enqueued, i.e. without the final error (and with none at all when it
    died on its first try, e.g. a `throws` exception), so the failed message is filed again."""

    def after_process_message(
        self,
        broker: Broker,
        message: Any,
        *,
        result: Any = None,
        exception: BaseException | None = None,
    ) -> None:
        if exception is not None and message.failed:
            message.options["traceback"] = "".join(traceback.format_exception(exception))[-8000:]

    def after_nack(self, broker: Broker, message: Any) -> None:
        if not isinstance(broker, RedisBroker):
            return
        key = f"{broker.namespace}:{q_name(message.queue_name)}.XQ.msgs"
        redis_id = message.options.get("redis_message_id")
        if redis_id and broker.client.hexists(key, redis_id):
            broker.client.hset(key, redis_id, message.encode())


def _last_line(traceback: str) -> str:
    lines = traceback.strip().splitlines()
    return lines[-1] if lines else ""


_RETRY_STATE = {"retries", "traceback", "requeue_timestamp", "eta", "redis_message_id"}
