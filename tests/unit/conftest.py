"""Fixtures the unit tests share; a module overrides one where its setup differs."""

import pytest

from tests.unit.fakes import FakeClock, FakeDatabase, FakeProviderClient, RecordingMetrics


@pytest.fixture
def database() -> FakeDatabase:
    """An empty database."""
    return FakeDatabase()


@pytest.fixture
def clock() -> FakeClock:
    """A clock standing at START."""
    return FakeClock()


@pytest.fixture
def metrics() -> RecordingMetrics:
    return RecordingMetrics()


@pytest.fixture
def provider() -> FakeProviderClient:
    """A provider with no answer queued."""
    return FakeProviderClient()
