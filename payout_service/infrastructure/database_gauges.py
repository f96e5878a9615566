"""Gauges read from the database when /metrics is scraped (not kept in memory: every process
type changes these tables, so only the database knows the current value).

Each query is an index range over the rows still in flight (pending or dead outbox rows, payouts
not yet final), so a scrape stays cheap however much history the tables hold.
"""

from __future__ import annotations

from datetime import datetime

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.metrics_core import Metric

from payout_service.application.ports import AuditRun
from payout_service.domain.provider_truth import Disagreement
from payout_service.infrastructure.db.unit_of_work import SqlUnitOfWorkFactory
from payout_service.infrastructure.outbox.status import outbox_status


async def database_gauges(uow: SqlUnitOfWorkFactory, now: datetime) -> list[Metric]:
    outbox = await outbox_status(uow, now)
    async with uow() as tx:
        holds = await tx.session.rows(
            "SELECT COUNT(*) AS n FROM payouts WHERE status IN ('pending', 'processing')"
        )
        review = await tx.session.rows("SELECT COUNT(*) AS n FROM payouts WHERE needs_review")
        audit = await tx.provider_audits.latest()
        endpoints = await tx.webhook_endpoints.count_by_state()
        # Deliveries to disabled endpoints wait for their client, not for us: left out.
        oldest = await tx.session.rows(
            "SELECT MIN(d.created_at) AS oldest FROM webhook_deliveries d"
            " JOIN webhook_endpoints w ON w.id = d.endpoint_id"
            " WHERE d.status = 'pending' AND w.state <> 'disabled'"
        )
        oldest_pending = tx.session.dialect.from_db(oldest[0]["oldest"])
    return [
        GaugeMetricFamily(
            "outbox_backlog", "Outbox rows committed and not yet published.", outbox.backlog
        ),
        GaugeMetricFamily(
            "outbox_oldest_unpublished_age_seconds",
            "Age of the oldest unpublished outbox row (0 when none).",
            outbox.oldest_unpublished_age_seconds,
        ),
        GaugeMetricFamily(
            "outbox_dead_messages",
            "Outbox rows that exhausted their publish attempts (see `outbox retry-dead`).",
            outbox.dead,
        ),
        GaugeMetricFamily(
            "ledger_holds_open",
            "Holds not yet settled: payouts still pending or processing.",
            int(holds[0]["n"]),
        ),
        GaugeMetricFamily(
            "payouts_needing_review",
            "Payouts an operator must check with the provider (`payouts review`).",
            int(review[0]["n"]),
        ),
        _disagreements(audit),
        _endpoints(endpoints),
        GaugeMetricFamily(
            "outgoing_webhook_oldest_pending_age_seconds",
            "Age of the oldest webhook delivery not yet delivered nor given up, to an endpoint"
            " not disabled (0 when none).",
            (now - oldest_pending).total_seconds() if oldest_pending else 0,
        ),
    ]


def _endpoints(counts: dict[str, int]) -> GaugeMetricFamily:
    gauge = GaugeMetricFamily(
        "outgoing_webhook_endpoints", "Clients' webhook endpoints, by state.", labels=["state"]
    )
    for state, count in sorted(counts.items()):
        gauge.add_metric([state], count)
    return gauge


def _disagreements(audit: AuditRun | None) -> GaugeMetricFamily:
    gauge = GaugeMetricFamily(
        "provider_disagreements",
        "Payouts the last `provider audit` found disagreeing with the provider, by kind.",
        labels=["kind"],
    )
    for kind in Disagreement:
        gauge.add_metric([str(kind)], audit.disagreements.get(str(kind), 0) if audit else 0)
    return gauge
