"""The client's view of what happened: the public event log and the webhook endpoints it feeds.

Every client-visible change (domain.events.CLIENT_VISIBLE) becomes one ClientEvent, written in
the transaction of the change: its `sequence` counts the user's events 1, 2, 3... with no gap,
its `payout_version` the payout's changes, and its `data` is the payout as the API showed it at
that version. Endpoints receive the events they subscribe to, signed, in order per payout.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from payout_service.domain import events

# Written to the log when an endpoint failing too long is disabled: the user is told.
ENDPOINT_DISABLED = "webhook_endpoint.disabled"
PING = "ping"  # sent by POST /api/webhook-endpoints/{id}/test, never logged
# What an endpoint may subscribe to ("*" for all of them).
CLIENT_EVENT_TYPES = (
    *sorted(events.CLIENT_VISIBLE),
    *sorted(events.BATCH_CLIENT_VISIBLE),
    ENDPOINT_DISABLED,
)
ALL_TYPES = "*"
# Outbox events (aggregate ENDPOINT_AGGREGATE, id the endpoint's) that ask the notify consumer to
# deliver: the endpoint's due deliveries (after a replay, a retry or its re-enabling), or a ping.
ENDPOINT_AGGREGATE = "webhook_endpoint"
DELIVERIES_REQUESTED = "webhook_endpoint.deliveries_requested"
PING_REQUESTED = "webhook_endpoint.ping_requested"


def new_event_id() -> str:
    """`evt_` and a sortable id: 12 hex digits of milliseconds, then 16 random ones."""
    return f"evt_{int(time.time() * 1000):012x}{secrets.token_hex(8)}"


def new_endpoint_secret() -> str:
    return f"whsec_{secrets.token_urlsafe(32)}"


def new_endpoint_id() -> str:
    return f"we_{secrets.token_hex(12)}"


@dataclass(frozen=True, slots=True)
class ClientEvent:
    id: str
    type: str
    user_id: int
    sequence: int  # the user's, from 1, no gaps
    payout_id: str | None
    payout_version: int | None
    created_at: datetime
    data: dict[str, Any] = field(compare=False)


class DeliveryStatus(StrEnum):
    PENDING = "pending"  # to be sent, or sent again
    DELIVERED = "delivered"  # a 2xx came back
    FAILED = "failed"  # retried for OUTGOING_WEBHOOK_RETRY_HOURS without a 2xx


@dataclass(frozen=True, slots=True)
class DeliveryAttempt:
    attempted_at: datetime
    status_code: int | None  # None: no answer (timeout, refused connection, refused address)
    latency_ms: int
    error: str | None  # an excerpt of what went wrong


@dataclass(frozen=True, slots=True)
class Delivery:
    """One client event to one endpoint. `chain` is the payout id (the event id for an event
    of no payout); an endpoint's deliveries of one chain go out one at a time, in
    `chain_position` (the payout version) order."""

    id: int
    endpoint_id: str
    event_id: str
    sequence: int
    chain: str
    chain_position: int
    status: DeliveryStatus
    attempts: int
    next_attempt_at: datetime
    created_at: datetime
    last_status_code: int | None = None
    last_error: str | None = None
    finished_at: datetime | None = None
    attempt_log: tuple[DeliveryAttempt, ...] = ()


def delivery_chain(event: ClientEvent) -> tuple[str, int]:
    """The chain of an event's deliveries and its position in it: the payout and its version,
    or, for an event of no payout, the event alone."""
    if event.payout_id is not None and event.payout_version is not None:
        return event.payout_id, event.payout_version
    return event.id, 1


class EndpointState(StrEnum):
    ENABLED = "enabled"
    FAILING = "failing"  # a delivery failed for good; deliveries go on
    DISABLED = "disabled"  # by the client, or after failing too long: nothing is sent


@dataclass(slots=True)
class WebhookEndpoint:
    """A client's URL for its events. `after_sequence`: the user's last event when the endpoint
    was created; it receives the events after it (a replay may send earlier ones)."""

    id: str
    user_id: int
    url: str
    event_types: tuple[str, ...]
    description: str
    secret: str
    created_at: datetime
    updated_at: datetime
    after_sequence: int = 0
    state: EndpointState = EndpointState.ENABLED
    previous_secret: str | None = None
    previous_secret_expires_at: datetime | None = None
    failing_since: datetime | None = None

    def subscribes_to(self, event_type: str) -> bool:
        return ALL_TYPES in self.event_types or event_type in self.event_types

    def signing_secrets(self, now: datetime) -> tuple[str, ...]:
        """The secret, and for the overlap after a rotation the previous one too."""
        expires = self.previous_secret_expires_at
        if self.previous_secret and expires is not None and now < expires:
            return (self.secret, self.previous_secret)
        return (self.secret,)

    def rotate_secret(self, new_secret: str, now: datetime, overlap: timedelta) -> None:
        self.previous_secret = self.secret
        self.previous_secret_expires_at = now + overlap
        self.secret = new_secret
        self.updated_at = now

    def disable(self, now: datetime) -> None:
        """By the client: nothing is sent until it is enabled again."""
        self.state = EndpointState.DISABLED
        self.updated_at = now

    def enable(self, now: datetime) -> bool:
        """By the client; True when it was disabled (its pending deliveries are due again). The
        failing spell is forgotten: a disabling for failing too long starts counting afresh."""
        if self.state is not EndpointState.DISABLED:
            return False
        self.state = EndpointState.ENABLED
        self.failing_since = None
        self.updated_at = now
        return True

    def record_delivered(self, now: datetime) -> None:
        """A 2xx: the endpoint works."""
        if self.state is EndpointState.FAILING:
            self.state = EndpointState.ENABLED
        self.failing_since = None
        self.updated_at = now

    def record_failed_attempt(self, now: datetime, disable_after: timedelta) -> bool:
        """An attempt that got no 2xx; True when this disables the endpoint (failing for
        `disable_after` without a success)."""
        if self.failing_since is None:
            self.failing_since = now
        self.updated_at = now
        if self.state is not EndpointState.DISABLED and now - self.failing_since >= disable_after:
            self.state = EndpointState.DISABLED
            return True
        return False

    def record_delivery_given_up(self, now: datetime) -> None:
        """A delivery ran out of retries."""
        if self.state is EndpointState.ENABLED:
            self.state = EndpointState.FAILING
        self.updated_at = now
