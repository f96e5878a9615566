"""payout_send_attempts: every call to the provider, as the SendAttemptLog port records it."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from payout_service.application.ports import SendAttemptOutcome
from payout_service.domain.send_attempts import SendAttemptResult
from payout_service.infrastructure.db.session import SqlSession

_SENDING = str(SendAttemptResult.SENDING)


class SqlSendAttemptLog:
    def __init__(self, session: SqlSession) -> None:
        self._s = session

    async def open(self, payout_id: str, now: datetime) -> int:
        """The caller holds the payout's row lock, so no other transaction opens an attempt of
        this payout meanwhile. The attempts are read without a lock and the open one is closed
        by its key: a locking range read here (an UPDATE ... WHERE payout_id) would take a gap
        lock, and two payouts whose ids fall in the same gap deadlocked on their inserts."""
        rows = await self._s.rows(
            "SELECT attempt, result FROM payout_send_attempts WHERE payout_id = %s"
            " ORDER BY attempt DESC LIMIT 1",
            payout_id,
        )
        last = int(rows[0]["attempt"]) if rows else 0
        if rows and rows[0]["result"] == _SENDING:
            await self._s.execute(
                "UPDATE payout_send_attempts SET result = %s WHERE payout_id = %s AND attempt = %s",
                str(SendAttemptResult.UNKNOWN),
                payout_id,
                last,
            )
        number = last + 1
        await self._s.execute(
            "INSERT INTO payout_send_attempts (payout_id, attempt, result, started_at)"
            " VALUES (%s, %s, %s, %s)",
            payout_id,
            number,
            _SENDING,
            self._s.dialect.to_db(now),
        )
        return number

    async def open_first(self, payout_ids: Sequence[str], now: datetime) -> None:
        if not payout_ids:
            return
        moment = self._s.dialect.to_db(now)
        await self._s.execute(
            "INSERT INTO payout_send_attempts (payout_id, attempt, result, started_at) VALUES "
            + ", ".join(["(%s, 1, %s, %s)"] * len(payout_ids)),
            *(value for payout_id in payout_ids for value in (payout_id, _SENDING, moment)),
        )

    async def close(
        self, payout_id: str, attempt: int, outcome: SendAttemptOutcome, now: datetime
    ) -> None:
        await self._s.execute(
            "UPDATE payout_send_attempts SET result = %s, http_status = %s, error_type = %s,"
            " error_message = %s, provider_payout_id = %s, finished_at = %s"
            " WHERE payout_id = %s AND attempt = %s",
            str(outcome.result),
            outcome.http_status,
            outcome.error_type,
            outcome.error_message[:2000] if outcome.error_message else None,
            outcome.provider_payout_id,
            self._s.dialect.to_db(now),
            payout_id,
            attempt,
        )

    async def results(self, payout_id: str) -> list[SendAttemptResult]:
        rows = await self._s.rows(
            "SELECT result FROM payout_send_attempts WHERE payout_id = %s ORDER BY attempt",
            payout_id,
        )
        return [SendAttemptResult(r["result"]) for r in rows]

    async def last_outcome(self, payout_id: str) -> SendAttemptOutcome | None:
        rows = await self._s.rows(
            "SELECT result, http_status, error_type, error_message, provider_payout_id"
            " FROM payout_send_attempts WHERE payout_id = %s ORDER BY attempt DESC LIMIT 1",
            payout_id,
        )
        if not rows:
            return None
        r = rows[0]
        return SendAttemptOutcome(
            SendAttemptResult(r["result"]),
            http_status=r["http_status"],
            error_type=r["error_type"],
            error_message=r["error_message"],
            provider_payout_id=r["provider_payout_id"],
        )
