"""Prometheus metrics through prometheus-client: the Metrics port's adapter, the web process's
HTTP request metrics, and the text exposition.

One PrometheusMetrics per process, on a registry of its own. Where the numbers are served:
- web: `GET /metrics`, this registry plus gauges read at scrape time from the database
  (infrastructure.database_gauges) and from Redis (infrastructure.queue_depths); with
  WEB_CONCURRENCY above 1, the sum of every web process's files (multiprocess mode, see
  `for_process`), whichever process a scrape reaches;
- relay: prometheus-client's HTTP server on the relay's PORT;
- Dramatiq workers: multiprocess mode (several worker processes share one port): the values live
  in files under PROMETHEUS_MULTIPROC_DIR and Dramatiq's exposition server sums them (see
  payout_service.infrastructure.worker_process).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    GCCollector,
    Histogram,
    PlatformCollector,
    ProcessCollector,
    disable_created_metrics,
    generate_latest,
)
from prometheus_client.metrics_core import Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

from payout_service.domain.failure_codes import FailureCode

__all__ = ["CONTENT_TYPE_LATEST", "PrometheusMetrics"]

# The ends counted without a label: a success has no failure code, and a cancel's is always
# cancelled_by_client. A failure is counted by its code (payouts_failed{failure_code}).
UNLABELLED_OUTCOMES = ("succeeded", "cancelled")
# The failure_code label of a code outside FailureCode (an event from before the codes, say): the
# label's values stay the enum's, however a message payload reads.
UNKNOWN_CODE = "unknown"
PROVIDER_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
HTTP_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
HTTP_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0)
# Each attempt to deliver a client event to an endpoint ends as one of these (ports.Metrics).
DELIVERY_RESULTS = ("delivered", "retry", "failed", "refused_address")
# prometheus-client's own variable: set before it is first imported, every value of the process
# lives in a file under that directory, where a sibling process's exposition can sum it.
MULTIPROCESS_DIRECTORY = "PROMETHEUS_MULTIPROC_DIR"


def fresh_multiprocess_directory(metrics_dir: str, name: str) -> Path:
    """METRICS_DIR/<name>, emptied: a previous run's counts would add up with this run's."""
    directory = Path(metrics_dir).resolve() / name
    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir(parents=True)
    return directory


class PrometheusMetrics:
    """Implements application.ports.Metrics, plus what only adapters count (HTTP requests,
    published outbox rows).

    registry: where the metrics are registered; a fresh CollectorRegistry per process or test,
    so two instances never collide.

    No counter or histogram exports a `*_created` series (the time it was first used): it is
    one more series per label set that no dashboard or alert reads. prometheus-client's switch
    is process-wide; the worker processes get it from their environment too
    (infrastructure.worker_process).
    """

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        disable_created_metrics()
        self.registry = registry if registry is not None else CollectorRegistry()
        self._exposed = self.registry
        r = self.registry
        self._create_requests = Counter(
            "payout_create_requests",
            "Create-payout requests past request validation (replays and refusals included).",
            registry=r,
        )
        self._created = Counter(
            "payouts_created",
            "Payouts accepted: created with their hold (not replays).",
            registry=r,
        )
        self._finished = {
            outcome: Counter(f"payouts_{outcome}", f"Payouts that ended {outcome}.", registry=r)
            for outcome in UNLABELLED_OUTCOMES
        }
        failed = Counter(
            "payouts_failed",
            "Payouts that ended failed, by failure_code.",
            ["failure_code"],
            registry=r,
        )
        returned = Counter(
            "payouts_returned",
            "Paid payouts whose money came back (credited to the user), by failure_code.",
            ["failure_code"],
            registry=r,
        )
        self._failed = _by_code(failed)
        self._returned = _by_code(returned)
        self._debited = Counter(
            "user_account_debited", "Holds posted as debits of a user's balance.", registry=r
        )
        self._provider_requests = Counter(
            "provider_requests",
            "Requests to the payment provider by result.",
            ["result"],
            registry=r,
        )
        self._provider_seconds = Histogram(
            "provider_request_duration_seconds",
            "Time the payment provider took to answer.",
            buckets=PROVIDER_BUCKETS,
            registry=r,
        )
        self._webhooks_ingested = Counter(
            "provider_webhook_ingested", "Provider webhooks verified and stored.", registry=r
        )
        self._webhooks_processed = Counter(
            "provider_webhook_processed",
            "Stored provider webhooks applied, by result.",
            ["result"],
            registry=r,
        )
        deliveries = Counter(
            "outgoing_webhook_deliveries",
            "Attempts to deliver a client event to a webhook endpoint, by result.",
            ["result"],
            registry=r,
        )
        self._deliveries = {result: deliveries.labels(result) for result in DELIVERY_RESULTS}
        self._delivery_seconds = Histogram(
            "outgoing_webhook_delivery_seconds",
            "Time a client's webhook endpoint took to answer a delivery.",
            buckets=HTTP_BUCKETS,
            registry=r,
        )
        self._outbox_published = Counter(
            "outbox_messages_published", "Outbox rows published to the broker.", registry=r
        )
        self._queue_reads_failed = Counter(
            "broker_queue_read_failures",
            "Scrapes of the web process's /metrics that could not read the queue depths from"
            " Redis (broker_queue_messages is left out of those scrapes).",
            registry=r,
        )
        self._http_requests = Counter(
            "http_requests",
            "HTTP requests by route, method and status.",
            ["route", "method", "status"],
            registry=r,
        )
        self._http_in_progress = Gauge(
            "http_requests_in_progress",
            "HTTP requests being served now.",
            registry=r,
            multiprocess_mode="livesum",  # a web tier's: the sum over its live processes
        )
        self._http_children: dict[tuple[str, str, int], tuple[Counter, Histogram]] = {}
        self._http_seconds = Histogram(
            "http_request_duration_seconds",
            "HTTP request latency by route and method.",
            ["route", "method"],
            buckets=HTTP_BUCKETS,
            registry=r,
        )

    @classmethod
    def for_process(cls) -> PrometheusMetrics:
        """The metrics of a process that serves its own (web, relay), with the process's CPU,
        memory, file descriptors and GC.

        In multiprocess mode (MULTIPROCESS_DIRECTORY set: each process of a web tier) the
        exposition is instead the sum of the files of every process counting there, so any one
        of them answers for all; the process_* and python_gc_* series are left out, as they
        would describe only the process a scrape happened to reach."""
        metrics = cls()
        directory = os.environ.get(MULTIPROCESS_DIRECTORY)
        if directory:
            metrics._exposed = CollectorRegistry()
            MultiProcessCollector(metrics._exposed, directory)
            return metrics
        ProcessCollector(registry=metrics.registry)
        PlatformCollector(registry=metrics.registry)
        GCCollector(registry=metrics.registry)
        return metrics

    def payout_create_requested(self) -> None:
        self._create_requests.inc()

    def payout_created(self) -> None:
        self._created.inc()

    def payout_finished(self, outcome: str, failure_code: str | None) -> None:
        if outcome == "failed":
            _count_code(self._failed, failure_code)
        elif (counter := self._finished.get(outcome)) is not None:
            counter.inc()

    def payout_returned(self, failure_code: str) -> None:
        _count_code(self._returned, failure_code)

    def account_debited(self) -> None:
        self._debited.inc()

    def provider_request(self, result: str, seconds: float) -> None:
        self._provider_requests.labels(result).inc()
        self._provider_seconds.observe(seconds)

    def webhook_ingested(self) -> None:
        self._webhooks_ingested.inc()

    def webhook_processed(self, result: str) -> None:
        self._webhooks_processed.labels(result).inc()

    def outgoing_webhook_delivery(self, result: str, seconds: float | None) -> None:
        counter = self._deliveries.get(result)
        if counter is not None:
            counter.inc()
        if seconds is not None:
            self._delivery_seconds.observe(seconds)

    def outbox_published(self, count: int) -> None:
        if count:
            self._outbox_published.inc(count)

    def queue_depths_unread(self) -> None:
        self._queue_reads_failed.inc()

    def http_request_started(self) -> None:
        self._http_in_progress.inc()

    def http_request(self, route: str, method: str, status: int, seconds: float) -> None:
        """A request announced by http_request_started has ended. `route` is the route's
        template (a bounded set); a method outside the standard ones counts as "other"."""
        self._http_in_progress.dec()
        if method not in HTTP_METHODS:
            method = "other"
        key = (route, method, status)
        children = self._http_children.get(key)
        if children is None:  # labels() takes a lock and builds a key: once per combination
            children = self._http_children[key] = (
                self._http_requests.labels(route, method, str(status)),
                self._http_seconds.labels(route, method),
            )
        children[0].inc()
        children[1].observe(seconds)

    def exposition(self, scraped: Sequence[Metric] = ()) -> bytes:
        """The text format: this process's metrics (or, in multiprocess mode, every process's),
        then metric families computed at scrape time."""
        extra = CollectorRegistry()
        extra.register(_Fixed(scraped))
        return generate_latest(self._exposed) + generate_latest(extra)


def _by_code(counter: Counter) -> dict[str, Counter]:
    """A child per failure code, each exported from the start at 0: a rate() sees a code's
    first occurrence, and the label's values are the enum's (plus UNKNOWN_CODE), never a
    message's text."""
    return {code: counter.labels(code) for code in (*FailureCode, UNKNOWN_CODE)}


def _count_code(children: dict[str, Counter], failure_code: str | None) -> None:
    children.get(failure_code or UNKNOWN_CODE, children[UNKNOWN_CODE]).inc()


class _Fixed(Collector):
    def __init__(self, families: Iterable[Metric]) -> None:
        self._families = list(families)

    def collect(self) -> Iterator[Metric]:
        return iter(self._families)
