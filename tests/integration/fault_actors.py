"""The service's worker plus a test-only actor: the real books consumer behind a fault switch.

    dramatiq tests.integration.fault_actors --queues faults

Everything of actors.worker is loaded as in production (settings, broker, middleware, actors);
`flaky_keep_books` fails while the message's fault counter in Redis is above zero, then applies
the message through the real KeepBooks use case (processed messages included).
"""

from __future__ import annotations

import time
from typing import Any

import dramatiq

from actors import runtime, worker
from payout_service.application.messages import Envelope
from tests.integration.fault_switch import (
    FLAKY_BOOKS,
    MAX_RETRIES,
    MIN_BACKOFF_MS,
    deliveries_key,
    faults_key,
)


@dramatiq.actor(  # type: ignore[arg-type]
    actor_name=FLAKY_BOOKS.name,
    queue_name=FLAKY_BOOKS.queue,
    max_retries=MAX_RETRIES,
    min_backoff=MIN_BACKOFF_MS,
    max_backoff=10 * MIN_BACKOFF_MS,
)
@runtime.consumer
async def flaky_keep_books(envelope: dict[str, Any]) -> bool:
    client, namespace = worker.broker.client, worker.broker.namespace
    message_id = envelope["message_id"]
    delivery = client.rpush(deliveries_key(namespace, message_id), time.time())
    if client.decr(faults_key(namespace, message_id)) >= 0:
        raise RuntimeError(f"injected fault on delivery {delivery}")
    services = await runtime.services()
    return await services.keep_books([Envelope.from_dict(envelope)]) == 1
