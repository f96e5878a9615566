"""An operator's view of API keys: a user's keys listed (by prefix, never the key), and a key
revoked by its prefix.

Revoking is for good and idempotent: a key revoked already stays as it was and is reported so.
A web process caches each key's answer for API_KEY_CACHE_SECONDS (application.authenticate), so
a revoked key is refused everywhere within that time, not at once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from payout_service.application.errors import ApplicationError, NotFound
from payout_service.application.operator_input import (
    MAX_KEY_PREFIX,
    checked_text,
    checked_user_id,
)
from payout_service.application.ports import ApiKeyRecord, Clock, UnitOfWorkFactory


class AmbiguousKeyPrefix(ApplicationError):
    """More than one key in use begins with the prefix: the user must be named too."""


@dataclass(frozen=True, slots=True)
class Revocation:
    key: ApiKeyRecord  # as it is now, revoked_at set
    revoked: bool  # False: it was revoked already, nothing changed


class ManageApiKeys:
    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    async def list_for_user(self, user_id: int) -> Sequence[ApiKeyRecord]:
        """The user's keys, revoked ones too, oldest first; NotFound for an unknown user."""
        checked_user_id(user_id)
        async with self._uow() as uow:
            if await uow.accounts.find_user(user_id) is None:
                raise NotFound(f"no user {user_id}")
            return await uow.api_keys.list_for_user(user_id)

    async def revoke(self, prefix: str, user_id: int | None = None) -> Revocation:
        """Revokes the one key in use with this prefix (of this user, when named). NotFound
        when no key has it; AmbiguousKeyPrefix when several in use do."""
        checked_text("key prefix", prefix, MAX_KEY_PREFIX)
        if user_id is not None:
            checked_user_id(user_id)
        async with self._uow() as uow:
            keys = [
                k
                for k in await uow.api_keys.with_prefix(prefix)
                if user_id is None or k.user_id == user_id
            ]
            if not keys:
                owner = "" if user_id is None else f" of user {user_id}"
                raise NotFound(f"no API key{owner} with prefix {prefix!r}")
            in_use = [k for k in keys if k.revoked_at is None]
            if len(in_use) > 1:
                users = ", ".join(sorted({str(k.user_id) for k in in_use}))
                raise AmbiguousKeyPrefix(
                    f"{len(in_use)} keys in use have prefix {prefix!r} (users {users})"
                    + (": name the user with --user" if user_id is None else "")
                )
            if not in_use:
                return Revocation(max(keys, key=_revoked_at), revoked=False)
            key, now = in_use[0], self._clock.now()
            # False only when a concurrent revoke got there first, at much the same moment.
            revoked = await uow.api_keys.revoke(key.id, now)
            await uow.commit()
        return Revocation(replace(key, revoked_at=now), revoked)


def _revoked_at(key: ApiKeyRecord) -> datetime:
    assert key.revoked_at is not None
    return key.revoked_at
