"""GET /metrics: the service's counters, HTTP metrics and the database gauges, in text format."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from payout_service.bootstrap import Services, build_relay, build_services
from payout_service.infrastructure.clock import SystemClock
from payout_service.infrastructure.db.unit_of_work import SqlUnitOfWorkFactory
from payout_service.infrastructure.settings import Settings
from tests.integration.helpers import payout_body, post_payout, scrape

SERVICE_METRICS = (
    "payout_create_requests",
    "payouts_created",
    "payouts_succeeded",
    "payouts_failed",
    "payouts_cancelled",
    "payouts_returned",
    "provider_requests",
    "provider_request_duration_seconds",
    "provider_webhook_ingested",
    "provider_webhook_processed",
    "outbox_messages_published",
    "outbox_backlog",
    "outbox_oldest_unpublished_age_seconds",
    "outbox_dead_messages",
    "user_account_debited",
    "ledger_holds_open",
    "payouts_needing_review",
    "provider_disagreements",
    "http_requests",
    "http_request_duration_seconds",
    "http_requests_in_progress",
    "broker_queue_read_failures",
)


@pytest.fixture
def services(settings: Settings, db: SqlUnitOfWorkFactory) -> Services:
    """Without the fast path: outbox rows wait for the relay these tests run themselves."""
    return build_services(replace(settings, redis_url=""))


async def test_every_named_metric_is_exposed(api: Any) -> None:
    # When the metrics are scraped on a fresh service
    samples = await scrape(api)
    # Then every metric the operators were promised is there
    missing = [name for name in SERVICE_METRICS if name not in samples]
    assert missing == []


async def test_a_created_payout_is_counted_and_shows_in_the_gauges(
    api: Any, auth: Any, services: Services
) -> None:
    # Given one payout created and one replay of it
    for _ in range(2):
        assert (await post_payout(api, auth, payout_body(), key="m-1")).status == 201
    # When the metrics are scraped
    samples = await scrape(api)
    # Then both requests are counted, the payout once, with its HTTP route and its open hold
    assert samples["payout_create_requests_total"][()] == 2
    assert samples["payouts_created_total"][()] == 1
    route = (("method", "POST"), ("route", "/api/payouts"), ("status", "201"))
    assert samples["http_requests_total"][route] == 2
    latency = (("le", "+Inf"), ("method", "POST"), ("route", "/api/payouts"))
    assert samples["http_request_duration_seconds_bucket"][latency] == 2
    assert samples["ledger_holds_open"][()] == 1
    # and its outbox row waits, unpublished, with its age
    assert samples["outbox_backlog"][()] == 1
    assert samples["outbox_oldest_unpublished_age_seconds"][()] > 0
    assert samples["outbox_messages_published_total"][()] == 0
    assert samples["outbox_dead_messages"][()] == 0


async def test_a_payout_flagged_for_review_shows_in_its_gauge(
    api: Any, auth: Any, services: Services, db: SqlUnitOfWorkFactory
) -> None:
    # Given a payout whose sending gave up without knowing whether the provider holds it
    created = await (await post_payout(api, auth, payout_body(), key="r-1")).json()
    before = (await scrape(api))["payouts_needing_review"][()]
    async with db() as tx:
        payout = await tx.payouts.get_for_update(created["id"])
        assert payout is not None
        payout.start_processing(SystemClock().now())
        payout.flag_for_review("gave up; the provider may hold the payout", SystemClock().now())
        await tx.payouts.update(payout)
        await tx.commit()
    # When the metrics are scraped
    after = (await scrape(api))["payouts_needing_review"][()]
    # Then the operators' gauge counts it
    assert (before, after) == (0, 1)


async def test_a_relay_pass_moves_the_backlog_to_the_published_counter(
    api: Any, auth: Any, services: Services, db: SqlUnitOfWorkFactory, redis_url: str
) -> None:
    # Given a committed payout whose outbox row waits
    assert (await post_payout(api, auth, payout_body(), key="m-2")).status == 201
    # When a relay counting into the web process's metrics publishes it
    relay_settings = replace(services.settings, redis_url=redis_url, relay_min_age_ms=0)
    relay = build_relay(relay_settings, db, services.metrics)
    assert await relay.publish_pending() == 1
    # Then the gauge drops and the counter rises
    samples = await scrape(api)
    assert samples["outbox_backlog"][()] == 0
    assert samples["outbox_oldest_unpublished_age_seconds"][()] == 0
    assert samples["outbox_messages_published_total"][()] == 1


async def test_unknown_paths_share_one_route_label(api: Any) -> None:
    # When two different unknown paths are requested
    for path in ("/nope-1", "/nope-2"):
        assert (await api.get(path)).status == 404
    # Then they are counted under one label value, not one per path
    samples = await scrape(api)
    assert (
        samples["http_requests_total"][
            (("method", "GET"), ("route", "unmatched"), ("status", "404"))
        ]
        == 2
    )


async def test_a_nonstandard_method_counts_as_other(api: Any) -> None:
    # When a client sends methods outside the standard ones (WebDAV's pass the HTTP parser)
    for method in ("PROPFIND", "MKCOL"):
        assert (await api.request(method, "/up")).status == 405
    # Then they share one label value: clients cannot grow the label set
    samples = await scrape(api)
    methods = {dict(labels)["method"] for labels in samples["http_requests_total"]}
    assert "other" in methods and not methods & {"PROPFIND", "MKCOL"}
