"""Fingerprints that tell a retried request from a different one sent under the same key."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from payout_service.application.canonical_json import canonical_sha256
from payout_service.application.errors import IdempotencyKeyReused
from payout_service.application.ports import StoredResponse, UnitOfWork


def request_fingerprint(method: str, path: str, body: Any) -> str:
    """The canonical hash of method, path and body: key order and whitespace do not matter."""
    return canonical_sha256([method.upper(), path, body])


class InFlightKeys:
    """Idempotency keys whose first request is still running in this process.

    A concurrent twin in another process is serialised by the database instead (its insert waits
    on the first request's unique payout and key rows, then fails and replays), so this set only
    makes the common same-process case answer 409 at once rather than wait.
    """

    def __init__(self) -> None:
        self._keys: set[tuple[int, str]] = set()

    def claim(self, user_id: int, key: str) -> bool:
        scope = (user_id, key)
        if scope in self._keys:
            return False
        self._keys.add(scope)
        return True

    def release(self, user_id: int, key: str) -> None:
        self._keys.discard((user_id, key))


async def stored_answer(
    uow: UnitOfWork, user_id: int, key: str, fingerprint: str, now: datetime
) -> StoredResponse | None:
    """The answer first given under the key, to replay; None when there is none (an expired
    one is deleted). IdempotencyKeyReused when the key came with another request."""
    stored = await uow.idempotency.find(user_id, key)
    if stored is None:
        return None
    if stored.expires_at <= now:
        await uow.idempotency.delete(user_id, key)
        return None
    if stored.fingerprint != fingerprint:
        raise IdempotencyKeyReused("this Idempotency-Key was used with a different request body")
    return stored
