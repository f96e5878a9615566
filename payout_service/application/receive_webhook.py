"""Store a verified provider webhook in the inbox, once, and apply it in the same transaction.

The inbox row, its effect on the payout (application.stored_webhooks), the row's
result and the outbox messages are one transaction: the provider's answer tells what the webhook
did, and the webhook costs no message and no second transaction. Should applying fail (a lock
wait timeout, a deadlock, a bug), everything rolls back and the webhook is stored unapplied
instead, with its `provider.webhook.received` message: the `apply_webhook` actor applies it later,
as `payout-service inbox process` can. Either way the provider gets its 202 only once the webhook
is stored.

The event_id is unique: a redelivery of the same payload is answered as a duplicate and writes
nothing; a different payload under a known event_id is kept aside as a conflict for an operator
and never applied. Payloads are compared by the hash of their canonical JSON, so a provider that
re-serialises a retry (other key order or spacing) is still recognised.

Webhooks that arrive together share a transaction (call_groups), as creates do: each applied and
stored in turn, as alone, then their events written together and one COMMIT. A provider may send
a payout's webhooks at once (processing, then success a moment later): those take turns, one per
transaction in the order they arrived, since a payout's events in one transaction carry one
request's headers. A transaction that fails in any way (a redelivery among them, a deadlock) is
rolled back whole and each of its webhooks received alone, as above, so each gets the receipt it
would have got alone.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from payout_service.application.call_groups import CallGroups
from payout_service.application.canonical_json import canonical_sha256
from payout_service.application.event_routes import WEBHOOK_APPLIED, WEBHOOK_RECEIVED
from payout_service.application.metrics import NO_METRICS
from payout_service.application.ports import (
    RECEIVED,
    Clock,
    InboxEvent,
    Metrics,
    ProviderWebhook,
    TransactionConflict,
    UniqueViolation,
    UnitOfWorkFactory,
    WebhookResult,
)
from payout_service.application.stored_webhooks import apply_webhook
from payout_service.application.write_events import write_events
from payout_service.domain.events import DomainEvent

AGGREGATE_TYPE = "provider_webhook"
GROUP_SIZE = 64  # webhooks per shared transaction, at most
PAYLOAD_CONFLICT = "payload_conflict"

log = logging.getLogger("payout_service.webhooks")


@dataclass(frozen=True, slots=True)
class WebhookReceipt:
    inbox_event_id: int
    duplicate: bool
    result: str


class _NamedTwice(Exception):
    """Two webhooks of a turn name one payout by different names (one only by reference, the
    other only by provider id): they are received one by one instead."""


@dataclass(frozen=True, slots=True)
class _Arrival:
    webhook: ProviderWebhook
    raw_payload: str
    digest: str
    headers: dict[str, str]


class ReceiveWebhook:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        clock: Clock,
        metrics: Metrics = NO_METRICS,
        group_size: int = GROUP_SIZE,
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._metrics = metrics
        self._groups = CallGroups(self._store_group, group_size)

    async def __call__(
        self,
        webhook: ProviderWebhook,
        body: Mapping[str, Any],
        raw_payload: str,
        headers: dict[str, str],
    ) -> WebhookReceipt:
        digest = canonical_sha256(body)
        if receipt := await self._groups.call(_Arrival(webhook, raw_payload, digest, headers)):
            return receipt
        try:
            return await self._store_applying(webhook, raw_payload, digest, headers)
        except UniqueViolation:
            # Its event_id is stored already (a redelivery, or a concurrent delivery that
            # committed first); ours rolled back whole.
            async with self._uow() as uow:
                known = await uow.webhooks.find(webhook.event_id)
            if known is None:
                raise
        return await self._repeated(known, raw_payload, digest)

    async def _store_applying(
        self, webhook: ProviderWebhook, raw_payload: str, digest: str, headers: dict[str, str]
    ) -> WebhookReceipt:
        try:
            return await self._store(webhook, raw_payload, digest, headers, apply=True)
        except UniqueViolation:
            raise
        except Exception:
            log.exception("applying a webhook failed; stored unapplied, for the inbox to apply")
            return await self.store_unapplied(webhook, raw_payload, digest, headers)

    async def store_unapplied(
        self, webhook: ProviderWebhook, raw_payload: str, digest: str, headers: dict[str, str]
    ) -> WebhookReceipt:
        """Stores the webhook for the inbox to apply (the way back when applying fails)."""
        return await self._store(webhook, raw_payload, digest, headers, apply=False)

    async def _store(
        self,
        webhook: ProviderWebhook,
        raw_payload: str,
        digest: str,
        headers: dict[str, str],
        apply: bool,
    ) -> WebhookReceipt:
        """The receipt of the webhook stored now (and applied, if `apply`). UniqueViolation
        when its event_id is stored already: redeliveries are the rare case, so the stored one
        is looked for after an insert fails, not before every insert. The row is inserted after
        applying, with its result, in one statement: a redelivery's changes roll back with its
        failed insert, and a concurrent one waits for the payout's lock, then finds the change
        made."""
        async with self._uow(headers) as uow:
            now = self._clock.now()
            applied = await apply_webhook(uow, webhook, now) if apply else None
            inbox_id = await uow.webhooks.add(webhook, raw_payload, digest, now, applied)
            await write_events(uow, [(_stored_event(inbox_id, webhook, applied), now)], headers)
            await uow.commit()
        return self._counted(inbox_id, applied)

    def _counted(self, inbox_id: int, applied: WebhookResult | None) -> WebhookReceipt:
        """The receipt of a webhook stored now (and applied, unless `applied` is None), counted."""
        self._metrics.webhook_ingested()
        if applied is None:
            return WebhookReceipt(inbox_id, duplicate=False, result=RECEIVED)
        self._metrics.webhook_processed(applied.result)
        return WebhookReceipt(inbox_id, duplicate=False, result=applied.result)

    async def _store_group(self, group: list[_Arrival]) -> list[WebhookReceipt | None]:
        """_store(apply=True) of each webhook of the group, a transaction per turn (_turns).
        A lone webhook is left to _store_applying."""
        if len(group) == 1:
            return [None]
        receipts: list[WebhookReceipt | None] = [None] * len(group)
        for turn in _turns(group):
            stored = await self._store_together([group[index] for index in turn])
            for index, receipt in zip(turn, stored, strict=True):
                receipts[index] = receipt
        return receipts

    async def _store_together(self, arrivals: list[_Arrival]) -> list[WebhookReceipt | None]:
        """_store(apply=True) of each webhook, in one transaction: the events of each carry its
        own request's headers. None for each if any of them fails."""
        headers_of: dict[str, dict[str, str]] = {}  # filled before commit() reads it
        stored: list[tuple[DomainEvent, datetime]] = []
        results: list[tuple[int, WebhookResult]] = []
        try:
            async with self._uow(headers_of=headers_of) as uow:
                now = self._clock.now()
                # a provider echoes our payout id as the reference: their payouts, in one lock
                await uow.payouts.lock_all(
                    [a.webhook.reference for a in arrivals if a.webhook.reference]
                )
                async with uow.payouts.writing_together():
                    for arrival in arrivals:
                        applied = await apply_webhook(uow, arrival.webhook, now)
                        inbox_id = await uow.webhooks.add(
                            arrival.webhook, arrival.raw_payload, arrival.digest, now, applied
                        )
                        if applied.payout_id is not None:
                            if applied.payout_id in headers_of:
                                # one payout's events would carry one request's headers
                                raise _NamedTwice(applied.payout_id)
                            headers_of[applied.payout_id] = arrival.headers
                        headers_of[str(inbox_id)] = arrival.headers
                        stored.append((_stored_event(inbox_id, arrival.webhook, applied), now))
                        results.append((inbox_id, applied))
                await write_events(uow, stored, {}, headers_of=headers_of)
                await uow.commit()
        except (UniqueViolation, TransactionConflict, _NamedTwice):
            return [None] * len(arrivals)  # each alone, for its own receipt
        return [self._counted(inbox_id, applied) for inbox_id, applied in results]

    async def _repeated(self, known: InboxEvent, raw_payload: str, digest: str) -> WebhookReceipt:
        if known.payload_hash == digest:
            self._metrics.webhook_processed("duplicate")
            return WebhookReceipt(known.id, duplicate=True, result=known.result)
        log.warning(
            "webhook event_id reused with a different payload; kept as a conflict, not applied",
            extra={"event_id": known.webhook.event_id, "inbox_event_id": known.id},
        )
        try:
            async with self._uow() as uow:
                await uow.webhooks.add_conflict(
                    known.webhook.event_id, raw_payload, digest, self._clock.now()
                )
                await uow.commit()
        except UniqueViolation:
            pass  # this conflicting payload was stored already
        self._metrics.webhook_processed(PAYLOAD_CONFLICT)
        return WebhookReceipt(known.id, duplicate=True, result=PAYLOAD_CONFLICT)


def _turns(group: list[_Arrival]) -> list[list[int]]:
    """The group's webhooks (by index) in turns: each in the first turn after every earlier
    webhook naming the same payout (by reference or by provider id), so a payout's webhooks
    are applied one per transaction, in the order they arrived."""
    turn_of: dict[tuple[str, str], int] = {}
    turns: list[list[int]] = []
    for index, arrival in enumerate(group):
        names = [
            (kind, name)
            for kind, name in (
                ("reference", arrival.webhook.reference),
                ("provider", arrival.webhook.provider_payout_id),
            )
            if name
        ]
        turn = max((turn_of[name] + 1 for name in names if name in turn_of), default=0)
        turn_of.update((name, turn) for name in names)
        if turn == len(turns):
            turns.append([])
        turns[turn].append(index)
    return turns


def _stored_event(
    inbox_id: int, webhook: ProviderWebhook, applied: WebhookResult | None
) -> DomainEvent:
    """provider.webhook.applied (for the audit log) when it was applied, else
    provider.webhook.received (for the apply_webhook actor too)."""
    payload: dict[str, Any] = {
        "inbox_event_id": inbox_id,
        "event_id": webhook.event_id,
        "provider_payout_id": webhook.provider_payout_id,
        "reference": webhook.reference,
        "status": str(webhook.status),
        "occurred_at": webhook.occurred_at.isoformat(),
    }
    if applied is None:
        return DomainEvent(WEBHOOK_RECEIVED, AGGREGATE_TYPE, str(inbox_id), payload)
    payload.update(result=applied.result, payout_id=applied.payout_id)
    return DomainEvent(WEBHOOK_APPLIED, AGGREGATE_TYPE, str(inbox_id), payload)
