"""deploy/: the Prometheus configuration, its alerting rules and the Grafana dashboard name only
metrics the service really exports, and promtool accepts them.

The exported names are scraped from a real `payout-service web` and a real
`payout-service worker events` (through which one broken message was retried and
dead-lettered, so Dramatiq's labelled series exist too), both on the test Redis.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import dramatiq
import pytest
import redis
import yaml
from prometheus_client.parser import text_string_to_metric_families

from payout_service.infrastructure.broker import build_broker
from payout_service.infrastructure.settings import Settings
from payout_service.procfile import SERVES, honcho_ports
from tests.installed_programs import installed
from tests.processes import PROJECT_ROOT, free_port, service_environment

PROMETHEUS = PROJECT_ROOT / "deploy" / "prometheus"
DASHBOARD = PROJECT_ROOT / "deploy" / "grafana" / "payout-service.json"
START_TIMEOUT_SECONDS = 60.0
# What Prometheus itself adds to every target: an alert may read it.
PROMETHEUS_OWN = {"up"}


# --- the exported names ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def scrapes(redis_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """The /metrics texts of a web process and an events worker, once the worker has retried
    and dead-lettered one message and the web process shows that dead letter."""
    folder = tmp_path_factory.mktemp("monitoring")
    namespace = f"test-monitoring-{uuid.uuid4().hex[:8]}"
    env = service_environment(
        DATABASE_URL=f"sqlite://{folder}/payouts.sqlite3",
        REDIS_URL=redis_url,
        BROKER_NAMESPACE=namespace,
        METRICS_DIR=str(folder / "metrics"),
        PROVIDER_WEBHOOK_SECRETS="whsec_monitoring_test",
        ACTOR_MAX_RETRIES="1",
        ACTOR_MIN_BACKOFF_MS="10",
        ACTOR_MAX_BACKOFF_MS="10",
    )
    subprocess.run(
        [sys.executable, "-m", "payout_service.cli", "migrate"],
        env=env,
        cwd=PROJECT_ROOT,
        capture_output=True,
        check=True,
        timeout=120,
    )
    web_port, worker_port = free_port(), free_port()
    worker_command = ("worker", "events", "--processes", "1", "--threads", "1")
    started = [
        _start(folder / "web.log", env, web_port, "web"),
        _start(folder / "worker.log", env, worker_port, *worker_command),
    ]
    try:
        broken = dramatiq.Message(
            queue_name="events", actor_name="keep_books", args=([{}],), kwargs={}, options={}
        )
        build_broker(Settings(redis_url=redis_url, broker_namespace=namespace)).enqueue(broken)
        dead = 'dramatiq_message_rejects_total{actor_name="keep_books",queue_name="events"}'
        worker = _scrape_until(started[1], worker_port, lambda text: dead in text, folder)
        shown = 'broker_queue_messages{queue="events",state="dead_letter"} 1.0'
        web = _scrape_until(started[0], web_port, lambda text: shown in text, folder)
        yield {"web": web, "worker": worker}
    finally:
        for process in started:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        client = redis.Redis.from_url(redis_url)
        keys = list(client.scan_iter(match=f"{namespace}:*"))
        if keys:
            client.delete(*keys)
        client.close()


def _start(log: Path, env: dict[str, str], port: int, *args: str) -> subprocess.Popen[bytes]:
    """`payout-service <args>` in a session of its own, its output in `log`."""
    with log.open("wb") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "payout_service.cli", *args],
            env={**env, "PORT": str(port)},
            cwd=PROJECT_ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def _scrape_until(
    process: subprocess.Popen[bytes], port: int, done: Callable[[str], bool], folder: Path
) -> str:
    """GET /metrics until `done(text)`; the processes' logs in the error if it never is (or the
    process ended)."""
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    text = ""
    while time.monotonic() < deadline and process.poll() is None:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as answer:
                text = answer.read().decode()
        except (urllib.error.URLError, ConnectionError):
            text = ""  # not listening yet
        if done(text):
            return text
        time.sleep(0.05)  # another process: nothing to await instead
    logs = "\n".join(log.read_text(errors="replace") for log in sorted(folder.glob("*.log")))
    raise AssertionError(f"port {port} never showed it; last scrape:\n{text}\n{logs}")


@pytest.fixture(scope="module")
def exported(scrapes: dict[str, str]) -> set[str]:
    """Every series name the two processes export, those of a labelled metric not used yet
    included (a family prometheus-client announces with no sample)."""
    names: set[str] = set()
    for text in scrapes.values():
        for family in text_string_to_metric_families(text):
            names |= {sample.name for sample in family.samples}
            names |= {family.name + suffix for suffix in _SUFFIXES.get(family.type, ("",))}
    return names


_SUFFIXES = {
    "counter": ("_total",),
    "histogram": ("_bucket", "_sum", "_count"),
    "summary": ("", "_sum", "_count"),
    "info": ("_info",),
}


# --- metric names in PromQL --------------------------------------------------------------------

_STRINGS = re.compile(r'"(?:[^"\\]|\\.)*"')
_MATCHERS = re.compile(r"\{[^}]*\}")
_RANGES = re.compile(r"\[[^\]]*\]")
_GROUPING = re.compile(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)")
_IDENTIFIER = re.compile(r"(?<![\w.$])[a-zA-Z_:][a-zA-Z0-9_:]*")
_KEYWORDS = {"and", "or", "unless", "bool", "offset", "inf", "nan"}


def metric_names(expression: str) -> set[str]:
    """The metric names a PromQL expression selects (functions, aggregations, label names,
    keywords and Grafana's $variables left out)."""
    bare = _STRINGS.sub('""', expression)
    for pattern in (_MATCHERS, _RANGES, _GROUPING):
        bare = pattern.sub(" ", bare)
    names = set()
    for found in _IDENTIFIER.finditer(bare):
        calls = bare[found.end() :].lstrip().startswith("(")
        if not calls and found.group().lower() not in _KEYWORDS:
            names.add(found.group())
    return names


def test_metric_names_are_read_out_of_promql() -> None:
    expression = (
        "histogram_quantile(0.95, sum by (le, route) (rate(http_request_duration_seconds_bucket"
        '{route=~"/api/.*"}[$__rate_interval]))) > 1e3 unless on (job) up offset 5m'
    )
    assert metric_names(expression) == {"http_request_duration_seconds_bucket", "up"}


# --- the dashboard -----------------------------------------------------------------------------


def _dashboard() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(DASHBOARD.read_text())
    return loaded


def _dashboard_queries() -> list[tuple[str, str]]:
    """(panel title, expression) of every query of every panel."""
    panels = [p for p in _dashboard()["panels"] if p["type"] != "row"]
    return [(panel["title"], target["expr"]) for panel in panels for target in panel["targets"]]


def test_the_dashboard_asks_for_its_prometheus_datasource() -> None:
    dashboard = _dashboard()
    variables = {v["name"]: v for v in dashboard["templating"]["list"]}
    assert variables["datasource"]["type"] == "datasource"
    assert variables["datasource"]["query"] == "prometheus"
    panels = [p for p in dashboard["panels"] if p["type"] != "row"]
    assert len(panels) >= 10
    for panel in panels:
        assert panel["datasource"] == {"type": "prometheus", "uid": "${datasource}"}, panel


def test_the_dashboard_shows_what_an_operator_watches() -> None:
    named = set().union(*(metric_names(expr) for _, expr in _dashboard_queries()))
    watched = {
        "payouts_created_total",
        "payouts_succeeded_total",
        "payouts_failed_total",
        "provider_request_duration_seconds_bucket",
        "provider_requests_total",
        "outbox_oldest_unpublished_age_seconds",
        "broker_queue_messages",
        "outbox_dead_messages",
        "payouts_needing_review",
        "outgoing_webhook_deliveries_total",
    }
    assert watched - named == set()


def test_every_dashboard_query_names_only_exported_metrics(exported: set[str]) -> None:
    unknown = {
        title: sorted(metric_names(expr) - exported)
        for title, expr in _dashboard_queries()
        if metric_names(expr) - exported or not metric_names(expr)
    }
    assert unknown == {}


def test_every_dashboard_query_is_valid_promql(tmp_path: Path) -> None:
    # Given every query as a recording rule, with Grafana's range variable given a value
    rules = [
        {"record": f"dashboard:query_{i}", "expr": expr.replace("$__rate_interval", "5m")}
        for i, (_, expr) in enumerate(_dashboard_queries())
    ]
    path = tmp_path / "dashboard-rules.yml"
    path.write_text(yaml.safe_dump({"groups": [{"name": "dashboard", "rules": rules}]}))
    # When promtool checks them / Then it accepts every one
    result = _promtool("check", "rules", str(path))
    assert result.returncode == 0, result.stdout + result.stderr


# --- the alerts and the Prometheus configuration ----------------------------------------------


def _alerts() -> list[dict[str, Any]]:
    groups = yaml.safe_load((PROMETHEUS / "alerts.yml").read_text())["groups"]
    return [rule for group in groups for rule in group["rules"]]


def test_promtool_accepts_the_alerting_rules() -> None:
    result = _promtool("check", "rules", str(PROMETHEUS / "alerts.yml"))
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_alerts_pass_their_unit_tests() -> None:
    result = _promtool("test", "rules", str(PROMETHEUS / "alerts.test.yml"))
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_alert_waits_has_a_severity_and_says_what_to_do() -> None:
    for rule in _alerts():
        assert rule.get("for"), rule["alert"]
        assert rule["labels"]["severity"] in {"critical", "warning", "info"}, rule["alert"]
        assert rule["annotations"]["summary"] and rule["annotations"]["action"], rule["alert"]
        assert rule["annotations"]["runbook"].startswith("README.md#"), rule["alert"]


def test_the_alerts_cover_what_an_operator_is_paged_for() -> None:
    named = set().union(*(metric_names(rule["expr"]) for rule in _alerts()))
    paged_for = {
        "outbox_oldest_unpublished_age_seconds",
        "outbox_dead_messages",
        "broker_queue_messages",
        "payouts_needing_review",
        "provider_requests_total",
        "outgoing_webhook_endpoints",
        "payouts_created_total",
        "payouts_succeeded_total",
    }
    assert paged_for - named == set()


def test_every_alert_names_only_exported_metrics(exported: set[str]) -> None:
    unknown = {
        rule["alert"]: sorted(metric_names(rule["expr"]) - exported - PROMETHEUS_OWN)
        for rule in _alerts()
        if metric_names(rule["expr"]) - exported - PROMETHEUS_OWN
    }
    assert unknown == {}


def test_the_runbook_anchor_is_a_readme_heading() -> None:
    anchors = {rule["annotations"]["runbook"].partition("#")[2] for rule in _alerts()}
    headings = re.findall(r"^#+ (.+)$", (PROJECT_ROOT / "README.md").read_text(), re.M)
    slugs = {re.sub(r"[^\w\- ]", "", h).strip().lower().replace(" ", "-") for h in headings}
    assert anchors - slugs == set()


def test_prometheus_scrapes_every_process_with_metrics_at_its_make_run_port() -> None:
    result = _promtool("check", "config", str(PROMETHEUS / "prometheus.yml"))
    assert result.returncode == 0, result.stdout + result.stderr
    config = yaml.safe_load((PROMETHEUS / "prometheus.yml").read_text())
    scraped = {
        target: entry["labels"]["process_type"]
        for job in config["scrape_configs"]
        for entry in job["static_configs"]
        for target in entry["targets"]
    }
    with_metrics = {
        f"127.0.0.1:{port}": name
        for name, port in honcho_ports(8000).items()
        if "/metrics" in SERVES[name]
    }
    assert scraped == with_metrics


def test_no_process_exports_created_series(scrapes: dict[str, str]) -> None:
    for process, text in scrapes.items():
        series = {line.split("{")[0].split(" ")[0] for line in text.splitlines() if line[:1] != "#"}
        assert "dramatiq_messages_total" in series or "payouts_created_total" in series
        assert sorted(name for name in series if name.endswith("_created")) == [], process


def _promtool(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [installed("promtool"), *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
