"""idempotency_keys: the first answer given under a key, replayed on a retry."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from payout_service.application.ports import StoredResponse
from payout_service.infrastructure.db import statements as sql
from payout_service.infrastructure.db.session import SqlSession


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
        await self._s.execute(
            sql.INSERT_IDEMPOTENCY_KEY, *self._values(user_id, key, response, payout_id, now)
        )

    async def save_all(
        self, keys: Sequence[tuple[int, str, StoredResponse, str]], now: datetime
    ) -> None:
        values: list[Any] = []
        for user_id, key, response, payout_id in keys:
            values += self._values(user_id, key, response, payout_id, now)
        await self._s.execute(sql.insert_idempotency_keys(len(keys)), *values)

    def _values(
        self, user_id: int, key: str, response: StoredResponse, payout_id: str, now: datetime
    ) -> list[Any]:
        d = self._s.dialect
        return [
            user_id,
            key,
            response.fingerprint,
            response.status_code,
            response.body,
            payout_id,
            d.to_db(now),
            d.to_db(response.expires_at),
        ]
