"""A RedisBroker whose idle consumers pick up a new message at once.

Dramatiq's Redis consumer has no blocking fetch: when its queue is empty it sleeps, backing off up
to the worker's timeout, 1 s (Dramatiq 1.18's command line cannot change it). So the first
message after a quiet spell waited up to a second for its actor, far past the 100 ms commit →
actor-start budget. Here an idle consumer waits on its queue's wake list (BLPOP) instead of
sleeping, and enqueue_many pushes to that list with the messages, so the wait ends when work
arrives. Dramatiq's own enqueues (a retry put on its delay queue, a delayed message put back on
its queue when due) push too. The wait is still capped at idle_poll_ms, for what arrives without
a push (a dead worker's messages requeued by Redis maintenance); a delay queue's consumer waits
at most DELAYED_POLL_MS, since the delayed messages it holds go back to their queue only between
two of its waits. Every wake-up costs a fetch (a Lua call) whether or not work is there: under
load, short idle waits were about a fifth of the workers' and Redis's CPU per payout. So a fetch
clears the queue's wake list in the same round trip, just before it runs: a token left from
messages the consumer fetched while awake no longer costs a fetch that finds nothing. And a fetch
that got fewer messages than it asked for has drained the queue, so the consumer waits next
instead of fetching again: whatever is enqueued after that fetch pushed its token after the
clearing. Both halved the fetches per message under the end-to-end bench (2.2 to about 1).

A consumer whose worker threads are all busy sleeps at most BUSY_POLL_MS before it looks again
(no Redis call), so a long idle wait never holds back a busy worker.

It also enqueues a batch in one Redis round trip (enqueue_many): the relay and the fast paths
publish batches, and one blocking round trip per message was most of their cost. (redis-py's
pipelines ask Redis whether their scripts exist before every execution, a second round trip;
enqueue_many loads the script only when Redis answers that it does not know it.)
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any, TypeVar
from uuid import uuid4

import dramatiq
import redis
from dramatiq.broker import MessageProxy
from dramatiq.brokers.redis import RedisBroker, _RedisConsumer
from dramatiq.common import compute_backoff, current_millis, dq_name
from dramatiq.errors import ConnectionClosed
from redis.exceptions import NoScriptError

T = TypeVar("T")

# Wake tokens kept per queue: enough for every consumer of a queue to be woken by one batch.
WAKE_TOKENS = 8
DELAYED_POLL_MS = 100
BUSY_POLL_MS = 20


class PromptRedisBroker(RedisBroker):
    """`idle_poll_ms`: the longest an idle consumer sleeps between two fetches; every other
    parameter is RedisBroker's."""

    def __init__(self, *, idle_poll_ms: int, **options: Any) -> None:
        super().__init__(**options)
        self.idle_poll_ms = idle_poll_ms
        # Per queue, the Redis ids of the messages this process's consumers handed to its worker
        # and that are not yet acked or nacked: they outlive a consumer's restart.
        self.handed_out: dict[str, set[str]] = {}

    def consume(self, queue_name: str, prefetch: int = 1, timeout: int = 5000) -> Any:
        longest = self.idle_poll_ms
        if queue_name == dq_name(queue_name):
            longest = min(longest, DELAYED_POLL_MS)
        return _WokenConsumer(self, queue_name, prefetch, min(timeout, longest))

    def wake_key(self, queue_name: str) -> str:
        return f"{self.namespace}:{queue_name}.wake"

    def fetch_waking(self, queue_name: str, count: int) -> list[bytes]:
        """Dramatiq's fetch of up to `count` messages, after clearing the queue's wake list, in
        one round trip."""
        return self._loading_dispatch(lambda: self._fetch_waking(queue_name, count))

    def _loading_dispatch(self, run: Callable[[], T]) -> T:
        """run(), which calls Dramatiq's dispatch script by its hash; run again once the script
        is loaded if Redis does not know it (a fresh or restarted Redis: a pipeline's commands
        all fail alike)."""
        try:
            return run()
        except NoScriptError:
            dispatch = self.scripts["dispatch"]
            dispatch.sha = self.client.script_load(dispatch.script)
            return run()

    def _fetch_waking(self, queue_name: str, count: int) -> list[bytes]:
        pipeline = self.client.pipeline(transaction=False)
        pipeline.delete(self.wake_key(queue_name))
        pipeline.evalsha(
            self.scripts["dispatch"].sha,
            1,
            self.namespace,
            "fetch",
            current_millis(),
            queue_name,
            self.broker_id,
            self.heartbeat_timeout,
            self.dead_message_ttl,
            self._should_do_maintenance("fetch"),
            self._max_unpack_size(),
            count,
        )
        _, fetched = pipeline.execute()
        return list(fetched)

    def wait_for_work(self, queue_name: str, timeout_ms: int) -> None:
        """Returns when a publisher has pushed to the queue's wake list, or after timeout_ms."""
        self.client.blpop([self.wake_key(queue_name)], timeout=max(timeout_ms, 1) / 1000)

    def enqueue(self, message: dramatiq.Message, *, delay: int | None = None) -> dramatiq.Message:  # type: ignore[type-arg]
        """RedisBroker.enqueue, then a wake-up for the queue it went to (a delay queue when
        delayed): Dramatiq enqueues retries and due delayed messages this way."""
        enqueued: dramatiq.Message = super().enqueue(message, delay=delay)  # type: ignore[type-arg]
        pipeline = self.client.pipeline(transaction=False)
        self._wake(pipeline, enqueued.queue_name, 1)
        pipeline.execute()
        return enqueued

    def enqueue_many(self, messages: Sequence[dramatiq.Message]) -> None:  # type: ignore[type-arg]
        """RedisBroker.enqueue for each message (same Lua command, same middleware hooks), sent
        as one pipeline. Raises if the pipeline fails; some messages may then be in Redis, which
        at-least-once delivery and the consumers' inbox already allow for."""
        prepared = []
        for message in messages:
            ready = message.copy(options={"redis_message_id": str(uuid4())})
            self.emit_before("enqueue", ready, None)
            prepared.append(ready)
        self._loading_dispatch(lambda: self._dispatch_all(prepared))
        for ready in prepared:
            self.emit_after("enqueue", ready, None)

    def _dispatch_all(self, prepared: Sequence[dramatiq.Message]) -> None:  # type: ignore[type-arg]
        pipeline = self.client.pipeline(transaction=False)
        sha = self.scripts["dispatch"].sha
        per_queue: dict[str, int] = {}
        for ready in prepared:
            per_queue[ready.queue_name] = per_queue.get(ready.queue_name, 0) + 1
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
        for queue_name, count in per_queue.items():
            self._wake(pipeline, queue_name, count)
        pipeline.execute()

    def _wake(self, pipeline: Any, queue_name: str, count: int) -> None:
        wake = self.wake_key(queue_name)
        pipeline.rpush(wake, *["1"] * min(count, WAKE_TOKENS))
        pipeline.ltrim(wake, -WAKE_TOKENS, -1)


class _WokenConsumer(_RedisConsumer):
    """Dramatiq 1.18's Redis consumer (its __next__, as it is there), except that one with room
    for more messages and none to fetch waits on the broker's wake list for its queue instead
    of sleeping its backoff out, and that a new consumer starts by giving back to its queue what
    its worker process holds in Redis but not in hand.

    Why the latter: a fetched message sits in the worker's ack set until acked, and only a dead
    worker's ack set is ever requeued (by maintenance, once its heartbeat is old). Dramatiq's
    consumer thread starts a new consumer after a Redis connection error, and two kinds of
    message are then in the ack set of a worker that is alive, where no one would requeue them:
    - one whose fetch ran in Redis but whose answer the connection lost (a notification batch
      was lost this way in a chaos run: its client webhook never left);
    - a delayed message (a retry waiting for its time), held in the consumer thread's memory
      until due, which Dramatiq drops on a connection error (`self.delay_queue =
      PriorityQueue()`): a payout's retry was lost this way in chaos runs.
    So a new consumer requeues every message of its ack set except those handed to the worker
    and not yet acked or nacked (the worker's threads still run them and ack them through the
    new consumer). A delay queue's messages are all in memory only, so all of them go back, with
    their own due times."""

    def __init__(self, broker: PromptRedisBroker, queue_name: str, prefetch: int, timeout: int):
        super().__init__(broker, queue_name, prefetch, timeout)
        # The last fetch found fewer messages than it had room for: wait before the next one.
        self.drained = False
        restarted = queue_name in broker.handed_out  # the first one's ack set is new and empty
        self.handed_out = broker.handed_out.setdefault(queue_name, set())
        if restarted:
            self._give_back_held_messages()

    def _give_back_held_messages(self) -> None:
        acks = f"{self.broker.namespace}:__acks__.{self.broker.broker_id}.{self.queue_name}"
        try:
            held = {m.decode() for m in self.broker.client.smembers(acks)}
            # read after the ack set: an ack in between leaves an id here that Redis no longer
            # holds, and requeue skips ids that are not in the ack set
            in_hand = set() if self.queue_name.endswith(".DQ") else set(self.handed_out)
            lost = held - in_hand
            if lost:
                self.broker.do_requeue(self.queue_name, *sorted(lost))
        except redis.ConnectionError as e:
            raise ConnectionClosed(e) from None

    def ack(self, message: MessageProxy) -> None:
        try:
            super().ack(message)
        finally:
            self.handed_out.discard(message.options["redis_message_id"])

    def nack(self, message: MessageProxy) -> None:
        try:
            super().nack(message)
        finally:
            self.handed_out.discard(message.options["redis_message_id"])

    def __next__(self) -> MessageProxy | None:
        try:
            while True:
                try:
                    data = self.message_cache.pop(0)
                    if data is None:
                        continue
                    self.misses = 0
                    message = dramatiq.Message.decode(data)
                    self.queued_message_ids.add(message.message_id)
                    self.handed_out.add(message.options["redis_message_id"])
                    return MessageProxy(message)
                except IndexError:
                    messages = []
                    busy = self.outstanding_message_count >= self.prefetch
                    if not busy and not self.drained:
                        room = self.prefetch - self.outstanding_message_count
                        self.message_cache = messages = self.broker.fetch_waking(
                            self.queue_name, room
                        )
                        self.drained = len(messages) < room
                        if messages:
                            continue
                    self.drained = False
                    if not messages:
                        self.misses, backoff_ms = compute_backoff(
                            self.misses, max_backoff=self.timeout
                        )
                        if busy:  # leave the wake-up to a consumer that can take the work
                            time.sleep(min(backoff_ms, BUSY_POLL_MS) / 1000)
                        else:
                            self.broker.wait_for_work(self.queue_name, backoff_ms)
                        return None
        except redis.ConnectionError as e:
            raise ConnectionClosed(e) from None
