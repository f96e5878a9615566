"""The Metrics port's null implementation: for use cases built without an adapter (unit tests,
one-shot commands), so counting never needs a guard."""

from __future__ import annotations


class NoMetrics:
    def payout_create_requested(self) -> None:
        return None

    def payout_created(self) -> None:
        return None

    def payout_finished(self, outcome: str, failure_code: str | None) -> None:
        return None

    def payout_returned(self, failure_code: str) -> None:
        return None

    def account_debited(self) -> None:
        return None

    def provider_request(self, result: str, seconds: float) -> None:
        return None

    def webhook_ingested(self) -> None:
        return None

    def webhook_processed(self, result: str) -> None:
        return None

    def outgoing_webhook_delivery(self, result: str, seconds: float | None) -> None:
        return None


NO_METRICS = NoMetrics()
