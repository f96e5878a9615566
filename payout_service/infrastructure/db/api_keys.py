"""api_keys: a key's hash names its user, until revoked; operators see keys by their prefix."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from payout_service.application.ports import ApiKeyRecord
from payout_service.infrastructure.db.session import Row, SqlSession

_RECORD = "SELECT id, user_id, prefix, label, created_at, last_used_at, revoked_at FROM api_keys"


class SqlApiKeyRepository:
    def __init__(self, session: SqlSession) -> None:
        self._s = session

    async def user_for_key_hash(self, key_hash: str) -> int | None:
        rows = await self._s.rows(
            "SELECT user_id FROM api_keys WHERE key_hash = %s AND revoked_at IS NULL", key_hash
        )
        return int(rows[0]["user_id"]) if rows else None

    async def list_for_user(self, user_id: int) -> Sequence[ApiKeyRecord]:
        rows = await self._s.rows(f"{_RECORD} WHERE user_id = %s ORDER BY id", user_id)
        return [self._to_record(r) for r in rows]

    async def with_prefix(self, prefix: str) -> Sequence[ApiKeyRecord]:
        rows = await self._s.rows(f"{_RECORD} WHERE prefix = %s ORDER BY id", prefix)
        return [self._to_record(r) for r in rows]

    async def revoke(self, key_id: int, now: datetime) -> bool:
        changed = await self._s.execute(
            "UPDATE api_keys SET revoked_at = %s WHERE id = %s AND revoked_at IS NULL",
            self._s.dialect.to_db(now),
            key_id,
        )
        return changed == 1

    async def record_use(self, key_hash: str, now: datetime) -> None:
        await self._s.execute(
            "UPDATE api_keys SET last_used_at = %s WHERE key_hash = %s",
            self._s.dialect.to_db(now),
            key_hash,
        )

    def _to_record(self, r: Row) -> ApiKeyRecord:
        moment = self._s.dialect.from_db
        created_at = moment(r["created_at"])
        assert created_at is not None
        return ApiKeyRecord(
            id=int(r["id"]),
            user_id=int(r["user_id"]),
            prefix=r["prefix"],
            label=r["label"],
            created_at=created_at,
            last_used_at=moment(r["last_used_at"]),
            revoked_at=moment(r["revoked_at"]),
        )
