"""The processed messages on each database: `remember` refuses a message remembered already (a
concurrent delivery's effect rolls back with it); `remember_if_new` leaves it as it is."""

from __future__ import annotations

import pytest

from payout_service.application.ports import UniqueViolation
from payout_service.infrastructure.clock import SystemClock
from payout_service.infrastructure.db.unit_of_work import SqlUnitOfWorkFactory


async def test_a_message_remembered_if_new_twice_is_remembered_once(
    db: SqlUnitOfWorkFactory,
) -> None:
    now = SystemClock().now()
    # Given a message a consumer remembered if new, in one transaction, then again in another
    for _ in range(2):
        async with db() as tx:
            await tx.processed_messages.remember_if_new("send_payout", "msg-1", now)
            await tx.commit()
    # Then it is remembered once, for that consumer only, and `remember` refuses it
    async with db.reading() as read:
        assert await read.processed_messages.processed_among("send_payout", ["msg-1"]) == {"msg-1"}
        assert not await read.processed_messages.already_processed("notify", "msg-1")
    with pytest.raises(UniqueViolation):
        async with db() as tx:
            await tx.processed_messages.remember("send_payout", "msg-1", now)
            await tx.commit()
