"""How many messages wait in each of the service's Dramatiq queues, read from Redis when the web
process's /metrics is scraped (only Redis knows: every process enqueues, every worker takes).

Per queue, Dramatiq's Redis broker keeps (keys under the broker's namespace):
- `<queue>`: a list of the messages ready and not yet taken by a worker process;
- `<queue>.DQ.msgs`: every delayed message (a retry waiting out its backoff, a send scheduled
  for later), whether still in Redis's list or already held by a worker until it is due;
- `<queue>.XQ`: the dead letters, which exhausted their retries (see infrastructure.dead_letters).
The queues are those of the routing table (application.event_routes), so the label set is
bounded; all of them are read in one round trip.
"""

from __future__ import annotations

from collections.abc import Sequence

import redis.asyncio as aioredis
from dramatiq.common import dq_name, xq_name
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.metrics_core import Metric

from payout_service.application.event_routes import service_queues
from payout_service.infrastructure.broker import NAMESPACE
from payout_service.infrastructure.settings import Settings

# The states of a queue's messages, as the `state` label says them, in the order they are read.
STATES = ("ready", "delayed", "dead_letter")
# A Redis that does not answer within this long fails the read (the scrape goes on without it).
REDIS_TIMEOUT_SECONDS = 2.0


class QueueDepths:
    """Reads the depths with `client` (redis.asyncio), keys under `namespace`, for `queues`.
    Close it with close()."""

    def __init__(self, client: aioredis.Redis, namespace: str, queues: Sequence[str]) -> None:
        self._client = client
        self._namespace = namespace
        self._queues = list(queues)

    @classmethod
    def from_settings(cls, settings: Settings) -> QueueDepths | None:
        """None without REDIS_URL: there are no queues to read."""
        if not settings.redis_url:
            return None
        client = aioredis.Redis.from_url(
            settings.redis_url,
            socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
            socket_timeout=REDIS_TIMEOUT_SECONDS,
        )
        return cls(client, settings.broker_namespace or NAMESPACE, service_queues())

    async def gauges(self) -> list[Metric]:
        """One gauge family, `broker_queue_messages{queue, state}`; raises when Redis fails."""
        pipeline = self._client.pipeline(transaction=False)
        for queue in self._queues:
            pipeline.llen(self._key(queue))
            pipeline.hlen(self._key(dq_name(queue)) + ".msgs")
            pipeline.zcard(self._key(xq_name(queue)))
        counts = await pipeline.execute()
        gauge = GaugeMetricFamily(
            "broker_queue_messages",
            "Messages in a Dramatiq queue, by state: ready (waiting for a worker), delayed"
            " (retries and scheduled sends, not yet due), dead_letter (retries exhausted, see"
            " `payout-service dead-letters`).",
            labels=["queue", "state"],
        )
        for i, queue in enumerate(self._queues):
            for state, count in zip(STATES, counts[3 * i : 3 * i + 3], strict=True):
                gauge.add_metric([queue, state], int(count))
        return [gauge]

    async def close(self) -> None:
        await self._client.close()

    def _key(self, name: str) -> str:
        return f"{self._namespace}:{name}"
