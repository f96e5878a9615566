"""Repositories over one open transaction: plain SQL in, domain objects out."""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from payout_service.application.event_routes import OPENING_EVENTS
from payout_service.application.messages import Envelope
from payout_service.application.ports import (
    AccountLine,
    PageCursor,
    StoredResponse,
)
from payout_service.domain.accounts import Account, Direction, EntryKind, LedgerEntry
from payout_service.domain.events import DomainEvent
from payout_service.domain.money import Money, currency
from payout_service.domain.payout import Payout, PayoutStatus
from payout_service.infrastructure.db import statements as sql
from payout_service.infrastructure.db.session import Row as Row  # re-exported
from payout_service.infrastructure.db.session import SqlSession as SqlSession  # re-exported
from payout_service.infrastructure.outbox.rows import OutboxRow

_PAYOUT_COLUMNS = (
    "id, user_id, amount_minor, currency, wallet, external_reference, status, provider_payout_id,"
    " provider_status, send_attempts, last_error, next_retry_at, completed_at, created_at,"
    " updated_at, provider_status_at, needs_review"
)


class SqlPayoutRepository:
    """`seen`: the payouts added or updated through it, by id, whose events the unit of work
    writes on commit."""

    def __init__(self, session: SqlSession) -> None:
        self._s = session
        self.seen: dict[str, Payout] = {}

    async def add(self, payout: Payout) -> None:
        self.seen[payout.id] = payout
        d = self._s.dialect
        await self._s.execute(
            sql.INSERT_PAYOUT,
            payout.id,
            payout.user_id,
            payout.amount.minor,
            payout.amount.currency.code,
            payout.wallet,
            payout.external_reference,
            str(payout.status),
            payout.provider_payout_id,
            payout.provider_status,
            payout.send_attempts,
            payout.last_error,
            d.to_db(payout.next_retry_at),
            d.to_db(payout.completed_at),
            payout.needs_review,
            d.to_db(payout.created_at),
            d.to_db(payout.updated_at),
        )

    async def get(self, payout_id: str) -> Payout | None:
        rows = await self._s.rows(f"SELECT {_PAYOUT_COLUMNS} FROM payouts WHERE id = %s", payout_id)
        return self._to_payout(rows[0]) if rows else None

    async def get_for_update(self, payout_id: str) -> Payout | None:
        rows = await self._s.rows(
            f"SELECT {_PAYOUT_COLUMNS} FROM payouts WHERE id = %s{self._s.dialect.for_update}",
            payout_id,
        )
        return self._to_payout(rows[0]) if rows else None

    async def update(self, payout: Payout) -> None:
        self.seen[payout.id] = payout
        d = self._s.dialect
        await self._s.execute(
            "UPDATE payouts SET status = %s, provider_payout_id = %s, provider_status = %s,"
            " send_attempts = %s, last_error = %s, next_retry_at = %s, completed_at = %s,"
            " updated_at = %s, provider_status_at = %s, needs_review = %s WHERE id = %s",
            str(payout.status),
            payout.provider_payout_id,
            payout.provider_status,
            payout.send_attempts,
            payout.last_error,
            d.to_db(payout.next_retry_at),
            d.to_db(payout.completed_at),
            d.to_db(payout.updated_at),
            d.to_db(payout.provider_status_at),
            payout.needs_review,
            payout.id,
        )

    async def id_for_provider_payout_id(self, provider_payout_id: str) -> str | None:
        rows = await self._s.rows(
            "SELECT id FROM payouts WHERE provider_payout_id = %s", provider_payout_id
        )
        return str(rows[0]["id"]) if rows else None

    async def ids_for_external_reference(self, external_reference: str) -> Sequence[str]:
        rows = await self._s.rows(
            "SELECT id FROM payouts WHERE external_reference = %s LIMIT 2", external_reference
        )
        return [str(r["id"]) for r in rows]

    async def awaiting_provider_outcome(
        self, updated_before: datetime, limit: int
    ) -> Sequence[Payout]:
        rows = await self._s.rows(
            f"SELECT {_PAYOUT_COLUMNS} FROM payouts WHERE status = %s"
            " AND provider_payout_id IS NOT NULL AND updated_at < %s ORDER BY updated_at LIMIT %s",
            str(PayoutStatus.PROCESSING),
            self._s.dialect.to_db(updated_before),
            limit,
        )
        return [self._to_payout(r) for r in rows]

    async def reference_exists(self, user_id: int, external_reference: str) -> bool:
        rows = await self._s.rows(
            "SELECT 1 AS found FROM payouts WHERE user_id = %s AND external_reference = %s",
            user_id,
            external_reference,
        )
        return bool(rows)

    async def list_for_user(
        self, user_id: int, status: PayoutStatus | None, limit: int, after: PageCursor | None
    ) -> Sequence[Payout]:
        where = ["user_id = %s"]
        values: list[Any] = [user_id]
        if status is not None:
            where.append("status = %s")
            values.append(str(status))
        if after is not None:
            where.append("(created_at < %s OR (created_at = %s AND id < %s))")
            moment = self._s.dialect.to_db(after.created_at)
            values += [moment, moment, after.payout_id]
        rows = await self._s.rows(
            f"SELECT {_PAYOUT_COLUMNS} FROM payouts WHERE {' AND '.join(where)}"
            " ORDER BY created_at DESC, id DESC LIMIT %s",
            *values,
            limit,
        )
        return [self._to_payout(r) for r in rows]

    def _to_payout(self, row: Row) -> Payout:
        d = self._s.dialect
        created_at = d.from_db(row["created_at"])
        updated_at = d.from_db(row["updated_at"])
        assert created_at is not None and updated_at is not None
        return Payout(
            id=row["id"],
            user_id=int(row["user_id"]),
            amount=Money(int(row["amount_minor"]), currency(row["currency"])),
            wallet=row["wallet"],
            external_reference=row["external_reference"],
            status=PayoutStatus(row["status"]),
            provider_payout_id=row["provider_payout_id"],
            provider_status=row["provider_status"],
            send_attempts=int(row["send_attempts"]),
            last_error=row["last_error"],
            next_retry_at=d.from_db(row["next_retry_at"]),
            completed_at=d.from_db(row["completed_at"]),
            created_at=created_at,
            updated_at=updated_at,
            provider_status_at=d.from_db(row["provider_status_at"]),
            needs_review=bool(row["needs_review"]),
        )


class SqlAccountRepository:
    def __init__(self, session: SqlSession) -> None:
        self._s = session

    async def get_for_update(self, user_id: int, currency_code: str) -> Account | None:
        rows = await self._s.rows(
            sql.LOCK_ACCOUNT + self._s.dialect.for_update, user_id, currency_code
        )
        return self._to_account(rows[0]) if rows else None

    async def save_balances(self, account: Account, now: datetime) -> None:
        await self._s.execute(
            sql.UPDATE_ACCOUNT_BALANCES,
            account.balance_minor,
            account.held_minor,
            self._s.dialect.to_db(now),
            account.id,
        )

    async def list_for_user(self, user_id: int) -> Sequence[Account]:
        rows = await self._s.rows(
            "SELECT id, user_id, currency, balance_minor, held_minor FROM user_accounts"
            " WHERE user_id = %s ORDER BY currency",
            user_id,
        )
        return [self._to_account(r) for r in rows]

    async def append_entry(self, entry: LedgerEntry, now: datetime) -> None:
        """Writes the entry's balanced posting: both lines, one statement."""
        posting_id = str(uuid.uuid4())
        moment = self._s.dialect.to_db(now)
        values: list[Any] = []
        for line in entry.lines():
            values += [
                posting_id,
                line.account_id,
                line.currency,
                str(line.direction),
                str(line.kind),
                line.amount_minor,
                line.payout_id,
                moment,
            ]
        await self._s.execute(sql.INSERT_LEDGER_POSTING, *values)

    @staticmethod
    def _to_account(r: Row) -> Account:
        return Account(
            id=int(r["id"]),
            user_id=int(r["user_id"]),
            currency=r["currency"],
            balance_minor=int(r["balance_minor"]),
            held_minor=int(r["held_minor"]),
        )


class SqlIdempotencyStore:
    def __init__(self, session: SqlSession) -> None:
        self._s = session

    async def find(self, user_id: int, key: str) -> StoredResponse | None:
        rows = await self._s.rows(sql.FIND_IDEMPOTENCY_KEY, user_id, key)
        if not rows:
            return None
        r = rows[0]
        expires_at = self._s.dialect.from_db(r["expires_at"])
        assert expires_at is not None
        return StoredResponse(
            r["fingerprint"], int(r["response_status"]), r["response_body"], expires_at
        )

    async def delete(self, user_id: int, key: str) -> None:
        await self._s.execute(
            "DELETE FROM idempotency_keys WHERE user_id = %s AND `key` = %s", user_id, key
        )

    async def save(
        self, user_id: int, key: str, response: StoredResponse, payout_id: str, now: datetime
    ) -> None:
        d = self._s.dialect
        await self._s.execute(
            sql.INSERT_IDEMPOTENCY_KEY,
            user_id,
            key,
            response.fingerprint,
            response.status_code,
            response.body,
            payout_id,
            d.to_db(now),
            d.to_db(response.expires_at),
        )


class SqlOutbox:
    """`written`: the message ids this transaction wrote; `opening`: its rows of OPENING_EVENTS,
    whole, which the fast path publishes without reading them back."""

    def __init__(self, session: SqlSession) -> None:
        self._s = session
        self.written: list[str] = []
        self.opening: list[OutboxRow] = []

    async def add(self, event: DomainEvent, headers: dict[str, str], now: datetime) -> None:
        d = self._s.dialect
        message_id = str(uuid.uuid4())
        row_id = await self._s.insert(
            sql.INSERT_OUTBOX_MESSAGE,
            message_id,
            event.name,
            event.aggregate_type,
            event.aggregate_id,
            json.dumps(event.payload, separators=(",", ":")),
            json.dumps(headers, separators=(",", ":")),
            d.to_db(now),
            d.to_db(now),
        )
        self.written.append(message_id)
        if event.name in OPENING_EVENTS:
            self.opening.append(
                OutboxRow(
                    id=row_id,
                    message_id=message_id,
                    event_name=event.name,
                    aggregate_type=event.aggregate_type,
                    aggregate_id=event.aggregate_id,
                    payload=dict(event.payload),
                    headers=dict(headers),
                    attempts=0,
                    created_at=now,
                )
            )

    async def message_id_of(self, aggregate_id: str, event_name: str) -> str | None:
        rows = await self._s.rows(
            "SELECT message_id FROM outbox_messages WHERE aggregate_id = %s AND event_name = %s"
            " ORDER BY id LIMIT 1",
            aggregate_id,
            event_name,
        )
        return str(rows[0]["message_id"]) if rows else None


class SqlApiKeyRepository:
    def __init__(self, session: SqlSession) -> None:
        self._s = session

    async def user_for_key_hash(self, key_hash: str) -> int | None:
        rows = await self._s.rows(
            "SELECT user_id FROM api_keys WHERE key_hash = %s AND revoked_at IS NULL", key_hash
        )
        return int(rows[0]["user_id"]) if rows else None


class SqlProcessedMessages:
    def __init__(self, session: SqlSession) -> None:
        self._s = session

    async def already_processed(self, consumer: str, message_id: str) -> bool:
        rows = await self._s.rows(
            "SELECT 1 AS seen FROM processed_messages WHERE consumer = %s AND message_id = %s",
            consumer,
            message_id,
        )
        return bool(rows)

    async def remember(self, consumer: str, message_id: str, now: datetime) -> None:
        await self._s.execute(
            "INSERT INTO processed_messages (consumer, message_id, processed_at)"
            " VALUES (%s, %s, %s)",
            consumer,
            message_id,
            self._s.dialect.to_db(now),
        )

    async def processed_among(self, consumer: str, message_ids: Sequence[str]) -> set[str]:
        if not message_ids:
            return set()
        rows = await self._s.rows(
            "SELECT message_id FROM processed_messages WHERE consumer = %s"
            f" AND message_id IN ({', '.join(['%s'] * len(message_ids))})",
            consumer,
            *message_ids,
        )
        return {str(r["message_id"]) for r in rows}

    async def remember_all(self, consumer: str, message_ids: Sequence[str], now: datetime) -> None:
        if not message_ids:
            return
        moment = self._s.dialect.to_db(now)
        await self._s.execute(
            "INSERT INTO processed_messages (consumer, message_id, processed_at) VALUES "
            + ", ".join(["(%s, %s, %s)"] * len(message_ids)),
            *(value for message_id in message_ids for value in (consumer, message_id, moment)),
        )


class SqlAuditLog:
    def __init__(self, session: SqlSession) -> None:
        self._s = session

    async def append_all(self, envelopes: Sequence[Envelope], now: datetime) -> None:
        """One multi-row INSERT for the whole batch."""
        if not envelopes:
            return
        d = self._s.dialect
        recorded = d.to_db(now)
        await self._s.execute(
            "INSERT INTO audit_logs (message_id, event_name, aggregate_type, aggregate_id, payload,"
            " request_id, occurred_at, recorded_at) VALUES "
            + ", ".join(["(%s, %s, %s, %s, %s, %s, %s, %s)"] * len(envelopes)),
            *(
                value
                for e in envelopes
                for value in (
                    e.message_id,
                    e.event,
                    e.aggregate_type,
                    e.aggregate_id,
                    json.dumps(e.payload, separators=(",", ":")),
                    e.headers.get("request_id"),
                    d.to_db(e.occurred_at),
                    recorded,
                )
            ),
        )


class SqlLedgerHistory:
    def __init__(self, session: SqlSession) -> None:
        self._s = session

    async def has_settled(self, payout_id: str) -> bool:
        rows = await self._s.rows(
            "SELECT 1 AS settled FROM account_ledger_entries WHERE payout_id = %s"
            " AND kind IN ('debit', 'release')",
            payout_id,
        )
        return bool(rows)

    async def lines_of(
        self, account_id: int, limit: int, before_id: int | None
    ) -> Sequence[AccountLine]:
        older = " AND id < %s" if before_id is not None else ""
        rows = await self._s.rows(
            "SELECT id, direction, kind, amount_minor, payout_id, created_at"
            f" FROM account_ledger_entries WHERE account_id = %s{older} ORDER BY id DESC LIMIT %s",
            account_id,
            *([before_id] if before_id is not None else []),
            limit,
        )
        return [self._to_line(r) for r in rows]

    def _to_line(self, r: Row) -> AccountLine:
        created_at = self._s.dialect.from_db(r["created_at"])
        assert created_at is not None
        return AccountLine(
            id=int(r["id"]),
            direction=Direction(r["direction"]),
            kind=EntryKind(r["kind"]),
            amount_minor=int(r["amount_minor"]),
            payout_id=r["payout_id"],
            created_at=created_at,
        )
