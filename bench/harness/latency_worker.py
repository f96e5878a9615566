"""The service's own worker (actors.worker) plus a probe, for bench.relay's latency runs.

    dramatiq bench.harness.latency_worker --queues provider-send

payout.created's one consumer is `send_payout` (the books are kept by the creating transaction
since 7fbf3c5, and the bench's users have no endpoint for `notify`). Just before the actor would
start on one, the probe pushes
"<now - occurred_at> <published - occurred_at> <occurred_at>" (seconds since the epoch for the
last; published: when the fast path or the relay built the Dramatiq message) to
`<namespace>:bench:latency`, then skips the message: the bench has no provider to send to, and
what follows the actor's start is not this figure. occurred_at is stamped inside the create
transaction, just before its commit, so the figure is commit → actor start plus the commit
itself: a little pessimistic, never flattering.
"""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any

from dramatiq.middleware import Middleware, SkipMessage

from actors import worker
from payout_service.application.event_routes import PROVIDER_SEND
from payout_service.domain.events import PAYOUT_CREATED

LATENCIES = f"{worker.broker.namespace}:bench:latency"


class CommitToStartProbe(Middleware):
    def before_process_message(self, broker: Any, message: Any) -> None:
        if message.actor_name != PROVIDER_SEND.name:
            return
        envelope = message.kwargs.get("envelope") or {}
        if envelope.get("event") == PAYOUT_CREATED:
            occurred = datetime.fromisoformat(envelope["occurred_at"]).timestamp()
            published = message.message_timestamp / 1000  # stamped when the message was built
            line = f"{time.time() - occurred} {published - occurred} {occurred}"
            broker.client.rpush(LATENCIES, line)
        raise SkipMessage()


worker.broker.add_middleware(CommitToStartProbe())
