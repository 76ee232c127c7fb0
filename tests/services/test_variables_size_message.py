"""The "too large" message of check_variables reads in human units."""

from __future__ import annotations

import pytest

from orchestration.exceptions import VariablesTooLarge
from orchestration.services._command import check_variables


def test_too_large_variables_are_reported_in_megabytes(settings):
    settings.ORCHESTRATION = {**getattr(settings, "ORCHESTRATION", {}), "MAX_VARIABLE_BYTES": 1048576}
    with pytest.raises(VariablesTooLarge) as refused:
        check_variables({"doc": "x" * 2_000_000})  # 2,000,011 bytes as JSON
    assert str(refused.value.message) == "variables are 2.0 MB; the limit is 1.0 MB"


def test_kilobytes_and_bytes_read_as_such(settings):
    settings.ORCHESTRATION = {**getattr(settings, "ORCHESTRATION", {}), "MAX_VARIABLE_BYTES": 2048}
    with pytest.raises(VariablesTooLarge, match=r"^variables are 3\.0 KB; the limit is 2\.0 KB$"):
        check_variables({"doc": "x" * 3000})
    settings.ORCHESTRATION = {**settings.ORCHESTRATION, "MAX_VARIABLE_BYTES": 100}
    with pytest.raises(VariablesTooLarge, match=r"^variables are 130 bytes; the limit is 100 bytes$"):
        check_variables({"doc": "x" * 120})
