"""Property-based requests against the OpenAPI schema: whatever the input, never a 5xx.

Runs through the WSGI app in-process (schemathesis' from_wsgi), authenticated
as an admin (every capability), on the processes of conftest.py.
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from .conftest import make_user, token_for


@pytest.fixture
def keep_test_connection():
    """The WSGI app sends request_started/finished, whose close_old_connections would close
    the connection holding the test transaction (Django's own test client detaches it too)."""
    from django.core import signals
    from django.db import close_old_connections

    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def api_schema(db, keep_test_connection, processes, settings):
    from config.wsgi import application

    settings.API_LONG_POLL_MAX_MS = 50  # the fuzzer asks for the documented 5-minute maximum
    return schemathesis.openapi.from_wsgi("/api/v1/schema/", application)


@pytest.fixture
def admin_headers(db) -> dict[str, str]:
    return {"Authorization": f"Token {token_for(make_user('fuzzer', 'admin'))}"}


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_input_makes_the_api_answer_a_server_error(case, admin_headers):
    case.call_and_validate(headers=admin_headers, checks=[not_a_server_error])
