"""The one Dramatiq RedisBroker of every process, with the middleware the service relies on."""

from __future__ import annotations

import dramatiq
import redis
from dramatiq.middleware import (
    AgeLimit,
    AsyncIO,
    Callbacks,
    CurrentMessage,
    Pipelines,
    Retries,
    ShutdownNotifications,
    TimeLimit,
)
from dramatiq_abort import Abortable
from dramatiq_abort.backends import RedisBackend

from payout_service.infrastructure.dead_letters import DeadLetterErrors
from payout_service.infrastructure.prompt_broker import PromptRedisBroker
from payout_service.infrastructure.settings import Settings

NAMESPACE = "payouts"


def build_broker(settings: Settings) -> PromptRedisBroker:
    if not settings.redis_url:
        raise RuntimeError("REDIS_URL is not set: the broker needs a real Redis")
    client = redis.Redis.from_url(settings.redis_url)
    namespace = settings.broker_namespace or NAMESPACE
    broker = PromptRedisBroker(
        idle_poll_ms=settings.worker_idle_poll_ms,
        client=client,
        namespace=namespace,
        middleware=[],
        heartbeat_timeout=settings.broker_heartbeat_timeout_ms,
        maintenance_chance=settings.broker_maintenance_chance,
    )
    for middleware in (
        AgeLimit(),
        TimeLimit(time_limit=settings.actor_time_limit_ms),
        ShutdownNotifications(),
        Callbacks(),
        Pipelines(),
        Retries(
            max_retries=settings.actor_max_retries,
            min_backoff=settings.actor_min_backoff_ms,
            max_backoff=settings.actor_max_backoff_ms,
        ),
        CurrentMessage(),
        AsyncIO(),
        Abortable(backend=RedisBackend(client=client), abortable=False),
        DeadLetterErrors(),
    ):
        broker.add_middleware(middleware)
    return broker


def setup_broker(settings: Settings) -> PromptRedisBroker:
    """Builds the broker and makes it Dramatiq's global one, which actors bind to."""
    broker = build_broker(settings)
    dramatiq.set_broker(broker)
    return broker
