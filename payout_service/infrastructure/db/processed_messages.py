"""processed_messages: the message ids each consumer has applied, written with the effect."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from payout_service.infrastructure.db.session import SqlSession


class SqlProcessedMessages:
    def __init__(self, session: SqlSession) -> None:
        self._s = session

    async def already_processed(self, consumer: str, message_id: str) -> bool:
        rows = await self._s.rows(
            "SELECT 1 AS seen FROM processed_messages WHERE consumer = %s AND message_id = %s",
            consumer,
            message_id,
        )
        return bool(rows)

    async def remember(self, consumer: str, message_id: str, now: datetime) -> None:
        await self._s.execute(
            "INSERT INTO processed_messages (consumer, message_id, processed_at)"
            " VALUES (%s, %s, %s)",
            consumer,
            message_id,
            self._s.dialect.to_db(now),
        )

    async def remember_if_new(self, consumer: str, message_id: str, now: datetime) -> None:
        # One statement instead of a read and an insert. Not INSERT IGNORE: that would turn
        # any other error of the row into a warning too.
        d = self._s.dialect
        await self._s.execute(
            "INSERT INTO processed_messages (consumer, message_id, processed_at)"
            f" VALUES (%s, %s, %s) {d.on_duplicate_key_ignore('consumer')}",
            consumer,
            message_id,
            d.to_db(now),
        )

    async def processed_among(self, consumer: str, message_ids: Sequence[str]) -> set[str]:
        if not message_ids:
            return set()
        rows = await self._s.rows(
            "SELECT message_id FROM processed_messages WHERE consumer = %s"
            f" AND message_id IN ({', '.join(['%s'] * len(message_ids))})",
            consumer,
            *message_ids,
        )
        return {str(r["message_id"]) for r in rows}

    async def remember_all(self, consumer: str, message_ids: Sequence[str], now: datetime) -> None:
        if not message_ids:
            return
        moment = self._s.dialect.to_db(now)
        await self._s.execute(
            "INSERT INTO processed_messages (consumer, message_id, processed_at) VALUES "
            + ", ".join(["(%s, %s, %s)"] * len(message_ids)),
            *(value for message_id in message_ids for value in (consumer, message_id, moment)),
        )
