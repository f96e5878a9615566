"""Wires the use cases to their adapters, in one place, from one Settings object."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta

from prometheus_client.metrics_core import Metric

from payout_service.application.apply_webhook import ApplyWebhook
from payout_service.application.authenticate import Authenticate
from payout_service.application.cancel_payout import CancelPayout
from payout_service.application.cancel_payout_batch import CancelPayoutBatch
from payout_service.application.create_payout import CreatePayout
from payout_service.application.create_payout_batch import CreatePayoutBatch
from payout_service.application.deliver_client_events import DeliverClientEvents
from payout_service.application.delivery_chains import DeliveryChains
from payout_service.application.delivery_schedule import DeliverySchedule
from payout_service.application.give_up_sending import GiveUpSending
from payout_service.application.keep_books import KeepBooks
from payout_service.application.manage_webhook_endpoints import ManageWebhookEndpoints
from payout_service.application.metrics import NO_METRICS
from payout_service.application.ports import Metrics
from payout_service.application.read_accounts import ReadAccounts
from payout_service.application.read_events import ReadEvents
from payout_service.application.read_payout_batches import ReadPayoutBatches
from payout_service.application.read_payouts import ReadPayouts
from payout_service.application.receive_webhook import ReceiveWebhook
from payout_service.application.reconcile_payouts import ReconcilePayouts
from payout_service.application.send_payout import SendPayout
from payout_service.application.send_retry_policy import RetryPolicy
from payout_service.application.webhook_delivery_log import WebhookDeliveryLog
from payout_service.infrastructure.broker import build_broker
from payout_service.infrastructure.clock import SystemClock, UuidGenerator
from payout_service.infrastructure.database_gauges import database_gauges
from payout_service.infrastructure.db.dialect import dialect_for_url
from payout_service.infrastructure.db.unit_of_work import SqlUnitOfWorkFactory
from payout_service.infrastructure.metrics import PrometheusMetrics
from payout_service.infrastructure.outbox.claims import ClaimPolicy
from payout_service.infrastructure.outbox.fast_path import OutboxFastPath
from payout_service.infrastructure.outbox.publisher import DramatiqPublisher
from payout_service.infrastructure.outbox.relay import OutboxRelay, relay_owner
from payout_service.infrastructure.outgoing_webhooks.sender import AiohttpWebhookSender
from payout_service.infrastructure.outgoing_webhooks.url_policy import UrlPolicy
from payout_service.infrastructure.outgoing_webhooks.wake_ups import (
    DramatiqDeliveryWakeUps,
    NoDeliveryWakeUps,
)
from payout_service.infrastructure.provider.http_client import AiohttpProviderClient
from payout_service.infrastructure.provider_send_queue import (
    DramatiqProviderSendQueue,
    NoProviderSendQueue,
)
from payout_service.infrastructure.readiness import readiness_checks
from payout_service.infrastructure.settings import Settings
from payout_service.infrastructure.webhook_signature import WebhookSignatureVerifier


@dataclass(frozen=True)
class Services:
    settings: Settings
    authenticate: Authenticate
    create_payout: CreatePayout
    read_payouts: ReadPayouts
    readiness: Callable[[], Awaitable[dict[str, str]]]
    fast_path: OutboxFastPath | None
    metrics: PrometheusMetrics
    scrape_gauges: Callable[[], Awaitable[list[Metric]]]
    read_accounts: ReadAccounts
    receive_webhook: ReceiveWebhook
    webhook_signature: WebhookSignatureVerifier | None  # None: verification is off (local dev)
    cancel_payout: CancelPayout
    provider: AiohttpProviderClient  # asked by cancels; the app closes it on cleanup
    read_events: ReadEvents
    webhook_endpoints: ManageWebhookEndpoints
    delivery_log: WebhookDeliveryLog
    create_payout_batch: CreatePayoutBatch
    read_payout_batches: ReadPayoutBatches
    cancel_payout_batch: CancelPayoutBatch


@dataclass(frozen=True)
class WorkerServices:
    settings: Settings
    keep_books: KeepBooks
    metrics: PrometheusMetrics
    apply_webhook: ApplyWebhook
    send_payout: SendPayout
    give_up_sending: GiveUpSending
    deliver_client_events: DeliverClientEvents
    provider: AiohttpProviderClient  # one HTTP session per worker process; close() it at exit
    webhook_sender: AiohttpWebhookSender  # the same for the clients' endpoints
    fast_path: OutboxFastPath | None  # start() it on the worker's loop, stop() it at exit


def build_worker_services(settings: Settings) -> WorkerServices:
    """A worker process's services; its metrics are summed with its siblings' by Dramatiq's
    exposition server (multiprocess mode, see infrastructure.worker_process)."""
    metrics = PrometheusMetrics()
    uow = SqlUnitOfWorkFactory(dialect_for_url(settings.database_url), metrics=metrics)
    clock = SystemClock()
    provider = AiohttpProviderClient.from_settings(settings)
    webhook_sender = AiohttpWebhookSender.from_settings(settings)
    return WorkerServices(
        fast_path=publish_commits_at_once(settings, uow, metrics),
        settings=settings,
        # READ COMMITTED: the settlement checks lock the rows they find, never the gaps between
        # (see database.tortoise_config); they read what is committed either way
        keep_books=KeepBooks(uow.read_committed(), clock, metrics),
        metrics=metrics,
        apply_webhook=ApplyWebhook(uow, clock, metrics),
        send_payout=SendPayout(
            uow,
            clock,
            provider,
            send_retry_policy(settings),
            metrics,
            group_size=settings.send_group_size,
        ),
        give_up_sending=GiveUpSending(uow, clock, provider),
        deliver_client_events=deliver_client_events(settings, uow, webhook_sender, metrics),
        provider=provider,
        webhook_sender=webhook_sender,
    )


def deliver_client_events(
    settings: Settings,
    uow: SqlUnitOfWorkFactory,
    sender: AiohttpWebhookSender,
    metrics: PrometheusMetrics,
) -> DeliverClientEvents:
    """The notify consumer. A claim outlasts the longest POST (the timeout) by a margin; a
    message takes new deliveries for half the actor's time limit, leaving the other half to
    the POSTs under way."""
    clock = SystemClock()
    timeout = timedelta(milliseconds=settings.outgoing_webhook_timeout_ms)
    wake_ups = (
        DramatiqDeliveryWakeUps(build_broker(settings))
        if settings.redis_url
        else NoDeliveryWakeUps()
    )
    chains = DeliveryChains(
        uow,
        clock,
        sender,
        wake_ups,
        DeliverySchedule(retry_for=timedelta(hours=settings.outgoing_webhook_retry_hours)),
        disable_after=timedelta(hours=settings.outgoing_webhook_disable_after_hours),
        lease=timeout + DELIVERY_LEASE_MARGIN,
        metrics=metrics,
    )
    budget = timedelta(milliseconds=settings.actor_time_limit_ms) / 2
    return DeliverClientEvents(uow, clock, chains, sender, budget)


# How much longer than a POST's timeout a delivery's claim lasts.
DELIVERY_LEASE_MARGIN = timedelta(seconds=5)


def send_retry_policy(settings: Settings) -> RetryPolicy:
    return RetryPolicy(
        max_attempts=settings.provider_send_max_attempts,
        first_delay=timedelta(milliseconds=settings.provider_send_first_backoff_ms),
        max_delay=timedelta(milliseconds=settings.provider_send_max_backoff_ms),
    )


def build_reconciler(
    settings: Settings, uow: SqlUnitOfWorkFactory
) -> tuple[ReconcilePayouts, AiohttpProviderClient]:
    """The reconciliation pass and the provider client it uses (close it when done)."""
    provider = AiohttpProviderClient.from_settings(settings)
    reconcile = ReconcilePayouts(
        uow,
        SystemClock(),
        provider,
        quiet_for=timedelta(seconds=settings.reconcile_after_seconds),
        batch_size=settings.reconcile_batch_size,
        stalled_after=timedelta(seconds=settings.reconcile_stalled_send_seconds),
        return_window=timedelta(days=settings.reconcile_return_window_days),
    )
    return reconcile, provider


def build_relay(
    settings: Settings, uow: SqlUnitOfWorkFactory, metrics: PrometheusMetrics | None = None
) -> OutboxRelay:
    publisher = DramatiqPublisher(build_broker(settings))
    policy = ClaimPolicy(
        batch_size=settings.relay_batch_size,
        max_attempts=settings.relay_max_attempts,
        lease=timedelta(seconds=settings.relay_lease_seconds),
        owner=relay_owner(),
        min_age=timedelta(milliseconds=settings.relay_min_age_ms),
    )
    counted = metrics.outbox_published if metrics is not None else (lambda n: None)
    return OutboxRelay(
        uow.read_committed(), publisher.publish_batch, SystemClock(), policy, on_published=counted
    )


def publish_commits_at_once(
    settings: Settings, uow: SqlUnitOfWorkFactory, metrics: PrometheusMetrics
) -> OutboxFastPath | None:
    """With Redis configured, the outbox rows of every transaction `uow` commits are published
    by this process right after the commit, not at the relay's next pass (which skips rows
    younger than RELAY_MIN_AGE_MS, leaving them to this fast path)."""
    if not settings.redis_url:
        return None
    fast_path = OutboxFastPath(build_relay(settings, uow, metrics), settings.relay_batch_size)
    uow.on_commit = fast_path.committed
    return fast_path


def build_services(settings: Settings) -> Services:
    """The web process's services; its fast path is started and stopped with the app."""
    metrics = PrometheusMetrics.for_process()
    uow = SqlUnitOfWorkFactory(dialect_for_url(settings.database_url), metrics=metrics)
    provider = AiohttpProviderClient.from_settings(settings)
    cancel_payout = CancelPayout(
        uow,
        SystemClock(),
        DramatiqProviderSendQueue.from_settings(settings)
        if settings.redis_url
        else NoProviderSendQueue(),
        provider,
    )
    return Services(
        fast_path=publish_commits_at_once(settings, uow, metrics),
        settings=settings,
        authenticate=Authenticate(uow, settings.api_key_cache_seconds, SystemClock()),
        create_payout=CreatePayout(
            uow,
            SystemClock(),
            UuidGenerator(),
            max_amount=settings.max_payout_amount,
            key_ttl=settings.idempotency_key_ttl,
            metrics=metrics,
            group_size=settings.create_group_size,
        ),
        read_payouts=ReadPayouts(uow),
        readiness=readiness_checks(settings),
        metrics=metrics,
        scrape_gauges=lambda: database_gauges(uow, SystemClock().now()),
        read_accounts=ReadAccounts(uow),
        receive_webhook=ReceiveWebhook(
            uow, SystemClock(), metrics, group_size=settings.webhook_group_size
        ),
        webhook_signature=build_webhook_signature(settings),
        cancel_payout=cancel_payout,
        provider=provider,
        read_events=ReadEvents(uow),
        webhook_endpoints=ManageWebhookEndpoints(
            uow,
            SystemClock(),
            UrlPolicy.from_settings(settings),
            secret_overlap=timedelta(hours=settings.webhook_secret_overlap_hours),
        ),
        delivery_log=WebhookDeliveryLog(uow, SystemClock()),
        create_payout_batch=build_create_payout_batch(settings, uow, metrics),
        read_payout_batches=ReadPayoutBatches(uow),
        cancel_payout_batch=CancelPayoutBatch(uow, cancel_payout),
    )


def build_create_payout_batch(
    settings: Settings, uow: SqlUnitOfWorkFactory, metrics: Metrics = NO_METRICS
) -> CreatePayoutBatch:
    """The web process's, and `payout-service batch submit`'s (which counts nothing)."""
    return CreatePayoutBatch(
        uow,
        SystemClock(),
        UuidGenerator(),
        max_amount=settings.max_payout_amount,
        max_items=settings.max_batch_items,
        key_ttl=settings.idempotency_key_ttl,
        metrics=metrics,
    )


def build_webhook_signature(settings: Settings) -> WebhookSignatureVerifier | None:
    if settings.webhook_signature_verification == "off":
        return None
    return WebhookSignatureVerifier(
        settings.webhook_secrets, settings.webhook_signature_tolerance_seconds
    )
