"""The service's own worker (actors.worker) plus a probe, for bench.relay's latency runs.

    dramatiq bench.harness.latency_worker --queues events

Just before the real `keep_books` actor starts on a batch, for each payout.created in it, the
probe pushes
"<now - occurred_at> <published - occurred_at> <occurred_at>" (seconds since the epoch for the
last; published: when the fast path or the relay built the Dramatiq message) to
`<namespace>:bench:latency`. occurred_at is stamped
inside the create transaction, just before its commit, so the figure is commit → actor start plus
the commit itself: a little pessimistic, never flattering.
"""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any

from dramatiq.middleware import Middleware

from actors import worker
from payout_service.application.event_routes import BOOKS
from payout_service.domain.events import PAYOUT_CREATED

LATENCIES = f"{worker.broker.namespace}:bench:latency"


class CommitToStartProbe(Middleware):
    def before_process_message(self, broker: Any, message: Any) -> None:
        if message.actor_name != BOOKS.name:
            return
        for envelope in message.kwargs.get("envelopes") or []:
            if envelope.get("event") == PAYOUT_CREATED:
                occurred = datetime.fromisoformat(envelope["occurred_at"]).timestamp()
                published = message.message_timestamp / 1000  # stamped when the relay built it
                line = f"{time.time() - occurred} {published - occurred} {occurred}"
                broker.client.rpush(LATENCIES, line)


worker.broker.add_middleware(CommitToStartProbe())
