"""Programs some tests start themselves (docker-compose, a redis-server of their own).

Like the real services in tests/conftest.py, a missing one skips its tests locally but fails them
in CI (CI=true), so CI can never pass by skipping.
"""

from __future__ import annotations

import os
import shutil

import pytest


def installed(program: str) -> str:
    """The path of `program`, which scripts/test-services installs with apt."""
    found = shutil.which(program)
    if found is None:
        message = f"{program} is not installed (scripts/test-services installs it with apt)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return found
