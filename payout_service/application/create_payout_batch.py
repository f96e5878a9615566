"""Create a payout batch: many payouts in one request, each an ordinary payout of the batch.

all_or_nothing: every item is checked and every hold placed in one transaction; one bad item,
an external_reference already used, a currency without an account or a batch total the
available balance cannot cover rejects the whole batch (BatchRejected, every problem named) and
nothing is written. per_item: the good items are created, in that one transaction, and the
others reported; holds are placed in item order while the balance covers them.

Each item is held on its own ledger posting (one per item, written in multi-row INSERTs), so a
payout's ledger lines are the same whether it came alone or in a batch: settlement, returns and
`ledger verify` treat it item by item. The account row is updated once per currency.

The Idempotency-Key works as for a single create: a retry replays the stored answer (a rejection
stores nothing, so it may be retried as it is); a concurrent twin loses on a unique constraint
and then replays the winner's answer.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from payout_service.application.batch_items import ItemError, ValidItem, read_items
from payout_service.application.errors import (
    ApplicationError,
    IdempotencyKeyInFlight,
)
from payout_service.application.idempotency import InFlightKeys, stored_answer
from payout_service.application.metrics import NO_METRICS
from payout_service.application.ports import (
    Clock,
    IdGenerator,
    Metrics,
    StoredResponse,
    UniqueViolation,
    UnitOfWork,
    UnitOfWorkFactory,
)
from payout_service.application.representation import (
    batch_counts_as_recorded,
    batch_representation,
)
from payout_service.domain.accounts import Account, LedgerEntry
from payout_service.domain.money import format_minor
from payout_service.domain.payout import Payout
from payout_service.domain.payout_batch import BatchMode, PayoutBatch

CREATED = 201


class BatchRejected(ApplicationError):
    """Nothing was created: every problem found, item by item (the web edge answers 422)."""

    def __init__(self, message: str, errors: Sequence[ItemError]) -> None:
        super().__init__(message)
        self.errors = list(errors)


class BatchTooLarge(ApplicationError):
    """More items than MAX_BATCH_ITEMS, or none."""


@dataclass(frozen=True, slots=True)
class CreateBatchCommand:
    caller_user_id: int
    idempotency_key: str
    fingerprint: str
    mode: BatchMode
    items: Sequence[Any]  # as sent: objects with amount, currency, wallet, external_reference
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class CreateBatchResult:
    status_code: int
    body: str
    replayed: bool


class CreatePayoutBatch:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        clock: Clock,
        ids: IdGenerator,
        max_amount: int,
        max_items: int,
        key_ttl: timedelta,
        metrics: Metrics = NO_METRICS,
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._ids = ids
        self._max_amount = max_amount  # major units, the same cap in every currency
        self._max_items = max_items
        self._key_ttl = key_ttl
        self._in_flight = InFlightKeys()
        self._metrics = metrics

    async def __call__(self, cmd: CreateBatchCommand) -> CreateBatchResult:
        if not 1 <= len(cmd.items) <= self._max_items:
            raise BatchTooLarge(
                f"a batch has 1 to {self._max_items} items (MAX_BATCH_ITEMS), not {len(cmd.items)}"
            )
        valid, errors = read_items(cmd.items, self._max_amount)
        if not self._in_flight.claim(cmd.caller_user_id, cmd.idempotency_key):
            raise IdempotencyKeyInFlight("a request with this Idempotency-Key is in progress")
        try:
            try:
                return await self._create(cmd, valid, errors)
            except UniqueViolation:
                # A twin under this key, or another batch taking one of our references, won.
                return await self._create(cmd, valid, errors)
        except UniqueViolation:
            raise IdempotencyKeyInFlight(
                "a request with this Idempotency-Key is in progress"
            ) from None
        finally:
            self._in_flight.release(cmd.caller_user_id, cmd.idempotency_key)

    async def _create(
        self, cmd: CreateBatchCommand, valid: list[ValidItem], errors: list[ItemError]
    ) -> CreateBatchResult:
        now = self._clock.now()
        user_id = cmd.caller_user_id
        async with self._uow(cmd.headers) as uow:
            replay = await self._replay(uow, cmd)
            if replay is not None:
                return replay
            valid, errors = await _without_taken_references(uow, user_id, valid, errors)
            accounts = await _lock_accounts(uow, user_id, valid)
            valid, errors = _fundable(cmd.mode, accounts, valid, errors)
            if not valid or (errors and cmd.mode is BatchMode.ALL_OR_NOTHING):
                raise BatchRejected(_rejection(errors, len(cmd.items)), errors)
            batch_id = self._ids.new_id()
            payouts = [self._payout(user_id, batch_id, item, now) for item in valid]
            batch = PayoutBatch.create(batch_id, user_id, cmd.mode, payouts, now)
            await uow.batches.add(batch)
            await uow.payouts.add_all(payouts)
            await _hold(uow, accounts, payouts, now)
            body = json.dumps(_answer(batch, errors), separators=(",", ":"))
            stored = StoredResponse(cmd.fingerprint, CREATED, body, now + self._key_ttl)
            await uow.idempotency.save(user_id, cmd.idempotency_key, stored, batch_id, now)
            await uow.commit()
        for _ in payouts:
            self._metrics.payout_created()
        return CreateBatchResult(CREATED, body, replayed=False)

    def _payout(self, user_id: int, batch_id: str, item: ValidItem, now: datetime) -> Payout:
        return Payout.create(
            payout_id=self._ids.new_id(),
            user_id=user_id,
            amount=item.amount,
            wallet=item.wallet,
            external_reference=item.external_reference,
            now=now,
            batch_id=batch_id,
            metadata=item.metadata,
        )

    async def _replay(self, uow: UnitOfWork, cmd: CreateBatchCommand) -> CreateBatchResult | None:
        stored = await stored_answer(
            uow, cmd.caller_user_id, cmd.idempotency_key, cmd.fingerprint, self._clock.now()
        )
        if stored is None:
            return None
        return CreateBatchResult(stored.status_code, stored.body, replayed=True)


async def _without_taken_references(
    uow: UnitOfWork, user_id: int, valid: list[ValidItem], errors: list[ItemError]
) -> tuple[list[ValidItem], list[ItemError]]:
    taken = await uow.payouts.references_taken(user_id, [i.external_reference for i in valid])
    if not taken:
        return valid, errors
    more = [
        ItemError(
            i.index,
            "external_reference",
            "duplicate_external_reference",
            f"external_reference {i.external_reference!r} is already used",
        )
        for i in valid
        if i.external_reference in taken
    ]
    return [i for i in valid if i.external_reference not in taken], _in_order(errors + more)


async def _lock_accounts(
    uow: UnitOfWork, user_id: int, valid: list[ValidItem]
) -> dict[str, Account | None]:
    """The user's account of each currency of the items, locked in currency order (as every
    transaction that locks several of one user's accounts does)."""
    codes = sorted({i.amount.currency.code for i in valid})
    return {code: await uow.accounts.get_for_update(user_id, code) for code in codes}


def _fundable(
    mode: BatchMode,
    accounts: Mapping[str, Account | None],
    valid: list[ValidItem],
    errors: list[ItemError],
) -> tuple[list[ValidItem], list[ItemError]]:
    """The items whose currency has an account that can hold them: in all_or_nothing, the
    batch's total per currency against the available balance; in per_item, item by item."""
    more: list[ItemError] = []
    fundable = []
    available = {c: a.available_minor for c, a in accounts.items() if a is not None}
    totals: dict[str, int] = {}
    for item in valid:
        code = item.amount.currency.code
        totals[code] = totals.get(code, 0) + item.amount.minor
    for item in valid:
        code = item.amount.currency.code
        if code not in available:
            more.append(
                ItemError(
                    item.index, "currency", "account_not_found", f"you have no {code} account"
                )
            )
        elif mode is BatchMode.ALL_OR_NOTHING and totals[code] > available[code]:
            more.append(_short(item, totals[code], available[code], "the batch's total of"))
        elif mode is BatchMode.PER_ITEM and item.amount.minor > available[code]:
            more.append(_short(item, item.amount.minor, available[code], "the item's"))
        else:
            available[code] -= item.amount.minor if mode is BatchMode.PER_ITEM else 0
            fundable.append(item)
    return fundable, _in_order(errors + more)


def _short(item: ValidItem, wanted: int, available: int, what: str) -> ItemError:
    exponent = item.amount.currency.exponent
    code = item.amount.currency.code
    return ItemError(
        item.index,
        "amount",
        "insufficient_funds",
        f"{what} {format_minor(wanted, exponent)} {code} exceeds the available"
        f" {format_minor(available, exponent)} {code}",
    )


async def _hold(
    uow: UnitOfWork, accounts: Mapping[str, Account | None], payouts: list[Payout], now: datetime
) -> None:
    """A hold posting per item; each account's balances written once."""
    entries: list[LedgerEntry] = []
    for payout in payouts:
        account = accounts[payout.amount.currency.code]
        assert account is not None  # _fundable kept only items with an account
        entries.append(account.hold(payout.amount.minor, payout.id))
    for account in accounts.values():
        if account is not None:
            await uow.accounts.save_balances(account, now)
    await uow.accounts.append_entries(entries, now)


def _answer(batch: PayoutBatch, errors: list[ItemError]) -> dict[str, Any]:
    return batch_representation(batch, batch_counts_as_recorded(batch)) | {
        "rejected_count": len({e.index for e in errors}),
        "errors": [e.as_dict() for e in errors],
    }


def _in_order(errors: list[ItemError]) -> list[ItemError]:
    return sorted(errors, key=lambda e: e.index)


def _rejection(errors: list[ItemError], total: int) -> str:
    bad = len({e.index for e in errors})
    return f"{bad} of the {total} items cannot be paid; nothing was created"
