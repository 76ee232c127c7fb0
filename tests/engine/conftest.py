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


@pytest.fixture
def reloaded(db):
    """For what only the services do (double submits, buffered messages, start triggers): no memory twin."""
    return ReloadedDriver()


def pytest_collection_modifyitems(items):
    """pytest-django sets up the test database only for tests that statically need it;
    `driver` asks for `db` dynamically, so mark its tests (a memory run just gets an
    unused transaction)."""
    for item in items:
        if "driver" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.django_db)
