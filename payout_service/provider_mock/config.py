"""MockConfig: how the mock provider behaves, from the MOCK_PROVIDER_* settings or a test."""

from __future__ import annotations

from dataclasses import dataclass

from payout_service.infrastructure.settings import Settings, SettingsError
from payout_service.provider_mock.modes import RANDOM_WEBHOOK_FAULT_PERCENT, MockMode


@dataclass(frozen=True)
class MockConfig:
    """mode: the default answer (modes.py).
    webhook_url: where webhooks go; empty: none are sent.
    webhook_secrets: the first one signs (several are the receiver's business).
    success_percent: the share of accepted payouts that end in success (0-100).
    return_percent: the share of successful payouts the bank sends back (0-100).
    return_delay: seconds from a success to its return.
    step_delay: seconds between a payout's statuses.
    stall: seconds the timeout_after_commit mode keeps a request waiting.
    retry_after: seconds the rate_limit mode asks the client to wait.
    webhook_duplicate_percent: the share of webhooks delivered twice; None: 10 in random mode,
    else 0.
    webhook_reorder_percent: the share of `processing` webhooks held back until the payout's
    final one is delivered; None: 10 in random mode, else 0.
    db_path: the SQLite file the payouts persist in; empty: memory only."""

    mode: MockMode = MockMode.SUCCESS
    webhook_url: str = ""
    webhook_secrets: tuple[str, ...] = ()
    success_percent: int = 90
    return_percent: int = 0
    return_delay: float = 5.0
    step_delay: float = 1.0
    stall: float = 15.0
    retry_after: int = 1
    webhook_duplicate_percent: int | None = None
    webhook_reorder_percent: int | None = None
    db_path: str = ""

    @property
    def duplicate_percent(self) -> int:
        return self._fault_percent(self.webhook_duplicate_percent)

    @property
    def reorder_percent(self) -> int:
        return self._fault_percent(self.webhook_reorder_percent)

    def _fault_percent(self, configured: int | None) -> int:
        if configured is not None:
            return configured
        return RANDOM_WEBHOOK_FAULT_PERCENT if self.mode is MockMode.RANDOM else 0

    @classmethod
    def from_settings(cls, settings: Settings) -> MockConfig:
        if settings.mock_provider_mode not in set(MockMode):
            raise SettingsError(
                f"MOCK_PROVIDER_MODE must be one of {', '.join(MockMode)},"
                f" not {settings.mock_provider_mode!r}"
            )
        return cls(
            mode=MockMode(settings.mock_provider_mode),
            webhook_url=settings.mock_provider_webhook_url,
            webhook_secrets=settings.webhook_secrets,
            success_percent=settings.mock_provider_success_percent,
            return_percent=_percent(
                "MOCK_PROVIDER_RETURN_PERCENT", settings.mock_provider_return_percent
            ),
            return_delay=settings.mock_provider_return_delay_ms / 1000,
            step_delay=settings.mock_provider_step_delay_ms / 1000,
            stall=settings.mock_provider_stall_ms / 1000,
            webhook_duplicate_percent=_percent_or_unset(
                "MOCK_PROVIDER_WEBHOOK_DUPLICATE_PERCENT",
                settings.mock_provider_webhook_duplicate_percent,
            ),
            webhook_reorder_percent=_percent_or_unset(
                "MOCK_PROVIDER_WEBHOOK_REORDER_PERCENT",
                settings.mock_provider_webhook_reorder_percent,
            ),
            db_path=settings.mock_provider_db_path,
        )


def _percent_or_unset(name: str, value: int) -> int | None:
    """-1 is the setting's "unset"; anything else must be a percentage."""
    if value == -1:
        return None
    if not 0 <= value <= 100:
        raise SettingsError(f"{name} must be 0-100 (or -1 for the mode's default), not {value}")
    return value


def _percent(name: str, value: int) -> int:
    if not 0 <= value <= 100:
        raise SettingsError(f"{name} must be 0-100, not {value}")
    return value
