"""payout_send_attempts: every call to the provider, as the SendAttemptLog port records it."""

from __future__ import annotations

from datetime import datetime

from payout_service.application.ports import SendAttemptOutcome, SendAttemptResult
from payout_service.infrastructure.db.session import SqlSession

_SENDING = str(SendAttemptResult.SENDING)


class SqlSendAttemptLog:
    def __init__(self, session: SqlSession) -> None:
        self._s = session

    async def open(self, payout_id: str, now: datetime) -> int:
        await self._s.execute(
            "UPDATE payout_send_attempts SET result = %s WHERE payout_id = %s AND result = %s",
            str(SendAttemptResult.UNKNOWN),
            payout_id,
            _SENDING,
        )
        rows = await self._s.rows(
            "SELECT COALESCE(MAX(attempt), 0) AS last FROM payout_send_attempts"
            " WHERE payout_id = %s",
            payout_id,
        )
        number = int(rows[0]["last"]) + 1
        await self._s.execute(
            "INSERT INTO payout_send_attempts (payout_id, attempt, result, started_at)"
            " VALUES (%s, %s, %s, %s)",
            payout_id,
            number,
            _SENDING,
            self._s.dialect.to_db(now),
        )
        return number

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
