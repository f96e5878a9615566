"""Create a payout: hold the funds, store the payout, its idempotent response and its event.

All of it is one transaction. A retry under the same key replays the stored response; a
concurrent twin loses on a unique constraint and then replays the winner's response. Retries are
the rare case, so the key is not looked up before the insert: the stored answer is read only once
the payout's or the key's insert has failed (a retry, a twin, a reused external_reference, or a
key expired but not yet deleted, which is deleted and the request created anew).

Concurrent creates share a transaction (call_groups): the payouts, their keys, their hold
postings and their events each go in one multi-row INSERT, every account is locked once, in
order, and there is one COMMIT, where each create alone made ten round trips to the database.
A group that fails in any way (a key or reference already taken, an account missing or short of
funds, a deadlock) is rolled back whole, and each of its creates is then made alone, as above:
one create's failure is never another's, and every answer is the one it would have got alone.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from payout_service.application.call_groups import CallGroups
from payout_service.application.errors import (
    AccountNotFound,
    ApplicationError,
    DuplicateReference,
    Forbidden,
    IdempotencyKeyInFlight,
)
from payout_service.application.idempotency import InFlightKeys, stored_answer
from payout_service.application.metrics import NO_METRICS
from payout_service.application.ports import (
    Clock,
    IdGenerator,
    Metrics,
    StoredResponse,
    TransactionConflict,
    UniqueViolation,
    UnitOfWork,
    UnitOfWorkFactory,
)
from payout_service.application.representation import payout_representation
from payout_service.domain.errors import DomainError
from payout_service.domain.money import Money, currency
from payout_service.domain.payout import Payout

CREATED = 201
GROUP_SIZE = 64  # creates per shared transaction, at most


@dataclass(frozen=True, slots=True)
class CreatePayoutCommand:
    caller_user_id: int
    idempotency_key: str
    fingerprint: str
    user_id: int
    amount: str
    currency: str
    wallet: str
    external_reference: str
    headers: dict[str, str] = field(default_factory=dict)
    metadata: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class CreatePayoutResult:
    status_code: int
    body: str
    replayed: bool


class CreatePayout:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        clock: Clock,
        ids: IdGenerator,
        max_amount: int,
        key_ttl: timedelta,
        metrics: Metrics = NO_METRICS,
        group_size: int = GROUP_SIZE,
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._ids = ids
        self._max_amount = max_amount  # major units, the same cap in every currency
        self._key_ttl = key_ttl
        self._in_flight = InFlightKeys()
        self._metrics = metrics
        self._groups = CallGroups(self._create_group, group_size)

    async def __call__(self, cmd: CreatePayoutCommand) -> CreatePayoutResult:
        self._metrics.payout_create_requested()
        if cmd.user_id != cmd.caller_user_id:
            raise Forbidden("user_id does not match the API key's user")
        code = currency(cmd.currency).code
        max_minor = self._max_amount * 10 ** currency(code).exponent
        amount = Money.parse(cmd.amount, code, max_minor)
        if not self._in_flight.claim(cmd.caller_user_id, cmd.idempotency_key):
            raise IdempotencyKeyInFlight("a request with this Idempotency-Key is in progress")
        try:
            if created := await self._groups.call((cmd, amount)):
                return created
            try:
                return await self._create(cmd, amount)
            except UniqueViolation:
                if replay := await self._after_conflict(cmd):
                    return replay
            try:
                return await self._create(cmd, amount)  # its expired key was deleted
            except UniqueViolation:
                if replay := await self._after_conflict(cmd):
                    return replay
            raise IdempotencyKeyInFlight("a request with this Idempotency-Key is in progress")
        finally:
            self._in_flight.release(cmd.caller_user_id, cmd.idempotency_key)

    async def _create(self, cmd: CreatePayoutCommand, amount: Money) -> CreatePayoutResult:
        now = self._clock.now()
        async with self._uow(cmd.headers) as uow:
            payout = self._payout(cmd, amount, now)
            await uow.payouts.add(payout)
            body = json.dumps(payout_representation(payout), separators=(",", ":"))
            stored = self._stored(cmd, body, now)
            await uow.idempotency.save(
                cmd.caller_user_id, cmd.idempotency_key, stored, payout.id, now
            )
            await self._hold_funds(uow, payout, now)
            await uow.commit()
        self._metrics.payout_created()
        return CreatePayoutResult(CREATED, body, replayed=False)

    async def _create_group(
        self, group: list[tuple[CreatePayoutCommand, Money]]
    ) -> list[CreatePayoutResult | None]:
        """The group's creates in one transaction, or None for each if any of them fails. A lone
        create is left to _create (the same statements, without the group's bookkeeping)."""
        if len(group) == 1:
            return [None]
        now = self._clock.now()
        made = [(cmd, self._payout(cmd, amount, now)) for cmd, amount in group]
        payouts = [payout for _, payout in made]
        headers_of = {payout.id: cmd.headers for cmd, payout in made}
        try:
            async with self._uow(headers_of=headers_of) as uow:
                await uow.payouts.add_all(payouts)
                bodies = [
                    json.dumps(payout_representation(payout), separators=(",", ":"))
                    for payout in payouts
                ]
                await uow.idempotency.save_all(
                    [
                        (
                            cmd.caller_user_id,
                            cmd.idempotency_key,
                            self._stored(cmd, body, now),
                            p.id,
                        )
                        for (cmd, p), body in zip(made, bodies, strict=True)
                    ],
                    now,
                )
                await self._hold_all(uow, payouts, now)
                await uow.commit()
        except (DomainError, ApplicationError, UniqueViolation, TransactionConflict):
            return [None] * len(group)  # each alone, for its own answer
        for _ in payouts:
            self._metrics.payout_created()
        return [CreatePayoutResult(CREATED, body, replayed=False) for body in bodies]

    def _payout(self, cmd: CreatePayoutCommand, amount: Money, now: datetime) -> Payout:
        return Payout.create(
            payout_id=self._ids.new_id(),
            user_id=cmd.user_id,
            amount=amount,
            wallet=cmd.wallet,
            external_reference=cmd.external_reference,
            now=now,
            metadata=cmd.metadata,
        )

    def _stored(self, cmd: CreatePayoutCommand, body: str, now: datetime) -> StoredResponse:
        return StoredResponse(cmd.fingerprint, CREATED, body, now + self._key_ttl)

    @staticmethod
    async def _hold_all(uow: UnitOfWork, payouts: list[Payout], now: datetime) -> None:
        """_hold_funds for many payouts: their accounts locked in one statement, in (user,
        currency) order, as every transaction locks accounts; each one's balances written once,
        all in one statement."""
        accounts = await uow.accounts.get_all_for_update(
            {(p.user_id, p.amount.currency.code) for p in payouts}
        )
        entries = []
        for p in payouts:
            account = accounts.get((p.user_id, p.amount.currency.code))
            if account is None:
                raise AccountNotFound(f"user {p.user_id} has no {p.amount.currency.code} account")
            entries.append(account.hold(p.amount.minor, p.id))
        await uow.accounts.save_all_balances(list(accounts.values()), now)
        await uow.accounts.append_entries(entries, now)

    @staticmethod
    async def _hold_funds(uow: UnitOfWork, payout: Payout, now: datetime) -> None:
        """Locks the account last: every payout of the account queues on this row until commit,
        so the fewer statements after the lock, the more payouts one account takes per second
        (only what the commit writes follows it: payout.created's client event, outbox row and
        audit row).
        A failure here (no account, not enough money) rolls back the rows written before it."""
        code = payout.amount.currency.code
        account = await uow.accounts.get_for_update(payout.user_id, code)
        if account is None:
            raise AccountNotFound(f"user {payout.user_id} has no {code} account")
        entry = account.hold(payout.amount.minor, payout.id)
        await uow.accounts.save_balances(account, now)
        await uow.accounts.append_entry(entry, now)

    async def _replay(self, uow: UnitOfWork, cmd: CreatePayoutCommand) -> CreatePayoutResult | None:
        stored = await stored_answer(
            uow, cmd.caller_user_id, cmd.idempotency_key, cmd.fingerprint, self._clock.now()
        )
        if stored is None:
            return None
        return CreatePayoutResult(stored.status_code, stored.body, replayed=True)

    async def _after_conflict(self, cmd: CreatePayoutCommand) -> CreatePayoutResult | None:
        """An insert failed: answer as the key's first request did, or say which uniqueness we
        hit. None when neither explains it: the key had expired (deleted now, committed) or
        vanished, so the request may be created anew."""
        async with self._uow() as uow:
            replay = await self._replay(uow, cmd)
            if replay is not None:
                return replay
            if await uow.payouts.reference_exists(cmd.user_id, cmd.external_reference):
                raise DuplicateReference(
                    f"external_reference {cmd.external_reference!r} is already used"
                )
            await uow.commit()
        return None
