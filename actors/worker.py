"""The worker entry point: `payout-service worker <queue>` runs `dramatiq actors.worker` (see the
Procfile and payout_service.infrastructure.worker_process)."""

import os

from dramatiq.middleware.prometheus import DB_PATH, Prometheus

# prometheus-client picks where values live when it is first imported: the files Dramatiq's
# exposition server sums (DB_PATH, from dramatiq_prom_db), not this process's memory.
os.environ["PROMETHEUS_MULTIPROC_DIR"] = DB_PATH

from actors import runtime
from payout_service.infrastructure.broker import setup_broker
from payout_service.infrastructure.logs import configure_logging
from payout_service.infrastructure.settings import Settings

settings = Settings.from_env()
configure_logging(settings)
broker = setup_broker(settings)
broker.add_middleware(Prometheus())
runtime.configure(settings)

from actors import events, inbox, provider_send  # noqa: E402  (actors bind to the broker above)

__all__ = ["broker", "events", "inbox", "provider_send"]
