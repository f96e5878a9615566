"""A RedisBroker whose idle consumers look for new messages often enough for the latency promise.

Dramatiq's Redis consumer has no blocking fetch: when its queue is empty it sleeps, backing off up
to the worker's timeout, 1 s (Dramatiq 1.18's command line cannot change it). So the first
message after a quiet spell waited up to a second for its actor, far past the 100 ms commit →
actor-start budget. Capping that backoff bounds the wait; the price is at most about
1000 / idle_poll_ms cheap fetches a second per queue and worker process while the queue is empty.

It also enqueues a batch in one Redis round trip (enqueue_many): the relay and the fast paths
publish batches, and one blocking round trip per message was most of their cost. (redis-py's
pipelines ask Redis whether their scripts exist before every execution, a second round trip;
enqueue_many loads the script only when Redis answers that it does not know it.)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import uuid4

import dramatiq
from dramatiq.brokers.redis import RedisBroker
from dramatiq.common import current_millis
from redis.exceptions import NoScriptError


class PromptRedisBroker(RedisBroker):
    """`idle_poll_ms`: the longest an idle consumer sleeps between two fetches; every other
    parameter is RedisBroker's."""

    def __init__(self, *, idle_poll_ms: int, **options: Any) -> None:
        super().__init__(**options)
        self.idle_poll_ms = idle_poll_ms

    def consume(self, queue_name: str, prefetch: int = 1, timeout: int = 5000) -> Any:
        return super().consume(queue_name, prefetch, min(timeout, self.idle_poll_ms))

    def enqueue_many(self, messages: Sequence[dramatiq.Message]) -> None:  # type: ignore[type-arg]
        """RedisBroker.enqueue for each message (same Lua command, same middleware hooks), sent
        as one pipeline. Raises if the pipeline fails; some messages may then be in Redis, which
        at-least-once delivery and the consumers' inbox already allow for."""
        prepared = []
        for message in messages:
            ready = message.copy(options={"redis_message_id": str(uuid4())})
            self.emit_before("enqueue", ready, None)
            prepared.append(ready)
        try:
            self._dispatch_all(prepared)
        except NoScriptError:  # a fresh or restarted Redis: every command failed alike
            dispatch = self.scripts["dispatch"]
            dispatch.sha = self.client.script_load(dispatch.script)
            self._dispatch_all(prepared)
        for ready in prepared:
            self.emit_after("enqueue", ready, None)

    def _dispatch_all(self, prepared: Sequence[dramatiq.Message]) -> None:  # type: ignore[type-arg]
        pipeline = self.client.pipeline(transaction=False)
        sha = self.scripts["dispatch"].sha
        for ready in prepared:
            pipeline.evalsha(
                sha,
                1,
                self.namespace,
                "enqueue",
                current_millis(),
                ready.queue_name,
                self.broker_id,
                self.heartbeat_timeout,
                self.dead_message_ttl,
                self._should_do_maintenance("enqueue"),
                self._max_unpack_size(),
                ready.options["redis_message_id"],
                ready.encode(),
            )
        pipeline.execute()
