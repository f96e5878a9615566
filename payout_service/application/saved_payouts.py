"""SavedPayouts: the payouts a unit of work saved, whose events its commit writes."""

from __future__ import annotations

from collections.abc import Iterator

from payout_service.domain.payout import Payout


class SavedPayouts:
    """Each payout once, by id. A transaction may load one payout twice (read, change, save,
    read again, change, save): the two copies are one payout, so the later copy takes the
    earlier one's unwritten events ahead of its own, and none is lost or written twice."""

    def __init__(self) -> None:
        self._by_id: dict[str, Payout] = {}

    def remember(self, payout: Payout) -> None:
        earlier = self._by_id.get(payout.id)
        if earlier is not None and earlier is not payout:
            payout.events[:0] = earlier.events
            earlier.events.clear()
        self._by_id[payout.id] = payout

    def __iter__(self) -> Iterator[Payout]:
        return iter(self._by_id.values())
