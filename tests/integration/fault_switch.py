"""The fault switch of the test-only actor in tests.integration.fault_actors, shared by the
tests that flip it. Keys live in the test's broker namespace, so they go with it."""

from __future__ import annotations

from payout_service.application.event_routes import Consumer

FLAKY_BOOKS = Consumer("flaky_keep_books", "faults")
MAX_RETRIES = 3
MIN_BACKOFF_MS = 200


def faults_key(namespace: str, message_id: str) -> str:
    """How many more deliveries of the message fail."""
    return f"{namespace}:test-faults:{message_id}"


def deliveries_key(namespace: str, message_id: str) -> str:
    """When each delivery of the message started (seconds since the epoch), in order."""
    return f"{namespace}:test-deliveries:{message_id}"
