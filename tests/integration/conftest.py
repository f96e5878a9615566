"""Fixtures of the integration tests' support modules, made visible to every test module here
(imported into a test module, a fixture would shadow its own parameter)."""

from tests.integration.commands_in_process import commands  # noqa: F401  (a fixture)
from tests.integration.processes import (  # noqa: F401  (fixtures)
    broker_keys,
    outbox_settings,
)
from tests.integration.provider_support import (  # noqa: F401  (fixtures)
    mock,
    provider_api,
    provider_services,
    provider_settings,
    relay,
    worker,
)
from tests.integration.webhook_support import (  # noqa: F401  (fixtures)
    consumers,
    dispatch_outbox,
    webhook_api,
    webhook_services,
    webhook_settings,
)
