"""The worker entry point: `payout-service worker <queue>` runs `dramatiq actors.worker` (see the
Procfile and payout_service.infrastructure.worker_process)."""

import os
import signal

from dramatiq.middleware import AsyncIO
from dramatiq.middleware.prometheus import DB_PATH, Prometheus

# prometheus-client picks where values live when it is first imported: the files Dramatiq's
# exposition server sums (DB_PATH, from dramatiq_prom_db), not this process's memory.
os.environ["PROMETHEUS_MULTIPROC_DIR"] = DB_PATH

from actors import runtime
from actors.database_lifetime import DatabaseLifetime
from actors.stop_signals import first_stop_signal_only
from payout_service.infrastructure.broker import setup_broker
from payout_service.infrastructure.event_loops import use_uvloop
from payout_service.infrastructure.logs import configure_logging
from payout_service.infrastructure.settings import Settings

# Before the AsyncIO middleware creates the worker's event loop, at worker boot.
use_uvloop()
settings = Settings.from_env()
configure_logging(settings)
broker = setup_broker(settings)
broker.add_middleware(Prometheus())
broker.add_middleware(DatabaseLifetime(), after=AsyncIO)
runtime.configure(settings)
first_stop_signal_only(signal.SIGTERM, signal.SIGHUP)

from actors import events, inbox, notify, provider_send  # noqa: E402  (bind to the broker above)

__all__ = ["broker", "events", "inbox", "notify", "provider_send"]
