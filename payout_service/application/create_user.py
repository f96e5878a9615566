"""An operator registers a user: the holder of accounts and API keys.

Idempotent: the same id and name again changes nothing and says so; the same id with another
name is refused (UserNameTaken), never renamed.
"""

from __future__ import annotations

from dataclasses import dataclass

from payout_service.application.errors import ApplicationError
from payout_service.application.operator_input import MAX_USER_NAME, checked_text, checked_user_id
from payout_service.application.ports import Clock, UniqueViolation, UnitOfWorkFactory, User


class UserNameTaken(ApplicationError):
    """The id belongs to a user of another name."""


@dataclass(frozen=True, slots=True)
class UserCreation:
    user: User
    created: bool  # False: it existed already, with this name


class CreateUser:
    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    async def __call__(self, user_id: int, name: str) -> UserCreation:
        """InvalidInput for a bad id or name; UserNameTaken for an id of another name."""
        user = User(
            checked_user_id(user_id), checked_text("name", name, MAX_USER_NAME), self._clock.now()
        )
        try:
            return await self._create(user)
        except UniqueViolation:
            # A concurrent twin committed the id first: a second look finds it.
            return await self._create(user)

    async def _create(self, user: User) -> UserCreation:
        async with self._uow() as uow:
            existing = await uow.accounts.find_user(user.id)
            if existing is not None:
                if existing.name != user.name:
                    raise UserNameTaken(
                        f"user {user.id} exists with another name: {existing.name!r}"
                    )
                return UserCreation(existing, created=False)
            await uow.accounts.add_user(user)
            await uow.commit()
        return UserCreation(user, created=True)
