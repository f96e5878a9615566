"""A worker whose `keep_books` actor does nothing but count the events it is given, for
bench.relay's throughput runs.

    dramatiq bench.harness.relay_worker --queues events

It takes the real actor's name and queue, so the relay's messages (routed by the service's own
table) and the raw messages the bench enqueues itself land on the same no-op work: the two rates
differ only in how the messages got into Redis. The count is `<namespace>:bench:done`.
"""

from __future__ import annotations

from typing import Any

import dramatiq

from payout_service.application.event_routes import BOOKS
from payout_service.infrastructure.broker import setup_broker
from payout_service.infrastructure.settings import Settings

broker = setup_broker(Settings.from_env())
DONE = f"{broker.namespace}:bench:done"


@dramatiq.actor(actor_name=BOOKS.name, queue_name=BOOKS.queue)
def keep_books(envelopes: list[dict[str, Any]]) -> None:
    broker.client.incrby(DONE, len(envelopes))
