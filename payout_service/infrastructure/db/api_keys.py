"""api_keys: a key's hash names its user, until revoked."""

from __future__ import annotations

from payout_service.infrastructure.db.session import SqlSession


class SqlApiKeyRepository:
    def __init__(self, session: SqlSession) -> None:
        self._s = session

    async def user_for_key_hash(self, key_hash: str) -> int | None:
        rows = await self._s.rows(
            "SELECT user_id FROM api_keys WHERE key_hash = %s AND revoked_at IS NULL", key_hash
        )
        return int(rows[0]["user_id"]) if rows else None
