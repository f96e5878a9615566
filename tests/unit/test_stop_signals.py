"""A worker process acts on the first stop signal only (process managers send it twice)."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from types import FrameType

import pytest

from actors.stop_signals import first_stop_signal_only


@pytest.fixture
def restored_sighup() -> Iterator[None]:
    before = signal.getsignal(signal.SIGHUP)
    yield
    signal.signal(signal.SIGHUP, before)


def test_only_the_first_delivery_reaches_the_installed_handler(restored_sighup: None) -> None:
    # Given a handler, as Dramatiq installs one in its worker processes
    received: list[int] = []

    def handler(signum: int, frame: FrameType | None) -> None:
        received.append(signum)

    signal.signal(signal.SIGHUP, handler)
    first_stop_signal_only(signal.SIGHUP)
    # When the signal arrives twice (from the process manager and from the dramatiq parent)
    signal.raise_signal(signal.SIGHUP)
    signal.raise_signal(signal.SIGHUP)
    # Then the handler ran once
    assert received == [signal.SIGHUP]


def test_a_default_disposition_is_left_alone(restored_sighup: None) -> None:
    signal.signal(signal.SIGHUP, signal.SIG_IGN)
    first_stop_signal_only(signal.SIGHUP)
    assert signal.getsignal(signal.SIGHUP) is signal.SIG_IGN
