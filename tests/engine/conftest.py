from __future__ import annotations

import pytest

from .harness import MemoryDriver, ReloadedDriver


@pytest.fixture(params=["memory", "reloaded"])
def driver(request):
    """Each scenario runs twice: in memory, and through the database with every row reloaded per step."""
    if request.param == "memory":
        return MemoryDriver()
    request.getfixturevalue("db")
    return ReloadedDriver()
