"""Who is calling: an API key resolves to its user, or to nobody.

Keys are random and long, so one SHA-256 of the key is a safe stored form (no slow hash needed)
and the same hash finds the row. Answers are cached for a short while: a revoked key stops
working within `cache_seconds`. A key's last use (`payout-service api-key list`) is written at
most once per KEY_USE_INTERVAL_SECONDS per key and process, never once per request.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from collections.abc import Callable

from payout_service.application.ports import Clock, UnitOfWorkFactory

API_KEY_PREFIX = "psk_"
KEY_USE_INTERVAL_SECONDS = 60.0


def hash_api_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def new_api_key() -> str:
    return API_KEY_PREFIX + secrets.token_urlsafe(32)


class Authenticate:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        cache_seconds: float,
        clock: Clock,
        monotonic: Callable[[], float] = time.monotonic,
        max_cached: int = 10_000,
    ) -> None:
        self._uow = uow
        self._ttl = cache_seconds
        self._clock = clock
        self._monotonic = monotonic
        self._max_cached = max_cached
        self._cache: dict[str, tuple[int | None, float]] = {}
        self._use_recorded: dict[str, float] = {}

    async def __call__(self, key: str) -> int | None:
        """The user id the key belongs to, or None for an unknown or revoked key."""
        key_hash = hash_api_key(key)
        now = self._monotonic()
        cached = self._cache.get(key_hash)
        if cached is not None and cached[1] > now:
            return cached[0]
        async with self._uow() as uow:
            user_id = await uow.api_keys.user_for_key_hash(key_hash)
            if user_id is not None and self._use_unrecorded(key_hash, now):
                await uow.api_keys.record_use(key_hash, self._clock.now())
                await uow.commit()
        if len(self._cache) >= self._max_cached:
            self._cache.clear()
        self._cache[key_hash] = (user_id, now + self._ttl)
        return user_id

    def _use_unrecorded(self, key_hash: str, now: float) -> bool:
        """True at most once per KEY_USE_INTERVAL_SECONDS for a key; remembers it."""
        last = self._use_recorded.get(key_hash)
        if last is not None and now - last < KEY_USE_INTERVAL_SECONDS:
            return False
        if len(self._use_recorded) >= self._max_cached:
            self._use_recorded.clear()
        self._use_recorded[key_hash] = now
        return True
