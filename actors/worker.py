"""The worker entry point: `dramatiq actors.worker --queues events` (see the Procfile)."""

from payout_service.infrastructure.broker import setup_broker
from payout_service.infrastructure.logs import configure_logging
from payout_service.infrastructure.settings import Settings

from actors import runtime

settings = Settings.from_env()
configure_logging(settings)
broker = setup_broker(settings)
runtime.configure(settings)

from actors import events  # noqa: E402  (actors bind to the broker set up above)

__all__ = ["broker", "events"]
