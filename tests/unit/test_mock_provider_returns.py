"""The mock provider's failure codes and returns, its payouts' lives driven in memory: a failure
carries a provider code, a success drawn to come back moves to returned `return_delay` later with
one, and the settings reach the mock's config."""

from __future__ import annotations

import asyncio
import json
import random
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

import pytest

from payout_service.domain.failure_codes import PROVIDER_CODES
from payout_service.infrastructure.settings import Settings, SettingsError
from payout_service.provider_mock.provider import MockConfig, MockPayout, MockProvider
from payout_service.provider_mock.webhooks import webhook_body

CODES = {str(code) for code in PROVIDER_CODES}
QUICK = MockConfig(step_delay=0.001, success_percent=100, return_delay=0.01)
WAIT_SECONDS = 5.0


@dataclass
class Moves:
    """An on_status listener: each announced change as (status, failure_code, webhook body), by
    provider payout id."""

    seen: dict[str, list[tuple[str, str | None, dict[str, Any]]]] = field(default_factory=dict)
    _changed: asyncio.Event = field(default_factory=asyncio.Event)

    def __call__(self, payout: MockPayout) -> None:
        body = json.loads(webhook_body(payout))
        move = (payout.status, payout.failure_code, body)
        self.seen.setdefault(payout.provider_payout_id, []).append(move)
        self._changed.set()

    def statuses(self, provider_payout_id: str) -> list[str]:
        return [status for status, _, _ in self.seen.get(provider_payout_id, [])]

    async def until(self, condition: Callable[[], bool]) -> None:
        """Returns once `condition` holds after some change; fails after WAIT_SECONDS."""
        async with asyncio.timeout(WAIT_SECONDS):
            while not condition():
                self._changed.clear()
                await self._changed.wait()


def provider_with(config: MockConfig) -> tuple[MockProvider, Moves]:
    provider = MockProvider(config, rng=random.Random(14))
    moves = Moves()
    provider.on_status.append(moves)
    return provider, moves


def take(provider: MockProvider, count: int) -> list[MockPayout]:
    return [
        provider.accept(
            f"key-{n}",
            {"reference": f"payout-{n}", "amount": "1.00", "currency": "USD", "wallet": "W1"},
        )
        for n in range(count)
    ]


async def test_a_failed_payout_carries_a_provider_failure_code() -> None:
    # Given a provider whose payouts all fail
    provider, moves = provider_with(replace(QUICK, success_percent=0))
    # When it takes a few payouts and they end
    payouts = take(provider, 20)
    await moves.until(lambda: all(p.status == "failed" for p in payouts))
    await provider.stop()
    # Then each carries a code from the provider's list, in its record and its webhook
    codes = {p.failure_code for p in payouts}
    assert codes <= CODES
    assert len(codes) > 1, "the code is drawn, not fixed"
    for payout in payouts:
        _, announced_code, body = moves.seen[payout.provider_payout_id][-1]
        assert announced_code == payout.failure_code
        assert body["failure_code"] == payout.failure_code
        assert payout.view()["failure_code"] == payout.failure_code


async def test_a_payout_drawn_to_come_back_moves_from_success_to_returned() -> None:
    # Given a provider that sends back every successful payout, shortly after
    provider, moves = provider_with(replace(QUICK, return_percent=100))
    # When it pays a payout out
    (payout,) = take(provider, 1)
    await moves.until(lambda: payout.status == "returned")
    await provider.stop()
    # Then the payout succeeded, then came back with a provider code, each change announced
    assert moves.statuses(payout.provider_payout_id) == ["processing", "success", "returned"]
    (_, success_code, success_body), (_, code, body) = moves.seen[payout.provider_payout_id][1:]
    assert (success_code, success_body["failure_code"]) == (None, None)
    assert code in CODES
    assert (body["status"], body["failure_code"]) == ("returned", code)
    assert body["occurred_at"] == payout.updated_at.isoformat()
    assert (payout.view()["status"], payout.view()["failure_code"]) == ("returned", code)
    assert payout.is_final


async def test_no_payout_comes_back_when_the_return_percent_is_zero() -> None:
    # Given a provider that sends nothing back, returns otherwise immediate
    provider, moves = provider_with(replace(QUICK, return_percent=0, return_delay=0.0))
    # When its payouts succeed
    payouts = take(provider, 50)
    await moves.until(lambda: all(p.status == "success" for p in payouts))
    await provider.stop()
    # Then none was drawn to come back: each success is final, without a code
    assert all(p.returns_at is None and p.is_final for p in payouts)
    assert all(p.failure_code is None for p in payouts)
    assert not any("returned" in moves.statuses(p.provider_payout_id) for p in payouts)


def test_the_return_settings_reach_the_mock() -> None:
    config = MockConfig.from_settings(
        Settings(mock_provider_return_percent=5, mock_provider_return_delay_ms=2_500)
    )
    default = MockConfig.from_settings(Settings())
    assert (config.return_percent, config.return_delay) == (5, 2.5)
    assert (default.return_percent, default.return_delay) == (0, 5.0)


@pytest.mark.parametrize("percent", [-1, 101])
def test_a_return_percent_outside_0_to_100_is_refused(percent: int) -> None:
    with pytest.raises(SettingsError, match="MOCK_PROVIDER_RETURN_PERCENT"):
        MockConfig.from_settings(Settings(mock_provider_return_percent=percent))
