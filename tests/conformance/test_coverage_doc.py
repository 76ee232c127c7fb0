"""docs/bpmn-coverage.md cannot lie about tests: the element matrix is parsed here.

- every row has a status (supported / untested / refused / ignored);
- every "supported" row names at least one test, and every test the matrix
  names (`path::test_name`, any row) exists: the file is there and defines it;
- every element type the engine has a behaviour for (registry.BEHAVIORS)
  appears, in backticks, in a supported row (its element cell or its section
  heading);
- the summary counts are the counts of the tables.

Pure text checks: no database, no Django setup.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from orchestration.engine.registry import BEHAVIORS

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "bpmn-coverage.md"
MATRIX_HEADING = "## Element matrix"
STATUSES = ("supported", "untested", "refused", "ignored")
STATUS = re.compile(r"^\*\*(" + "|".join(STATUSES) + r")\*\*")
TEST_REF = re.compile(r"`(tests/[\w/]+\.py)::(\w+)`")


@dataclass(frozen=True)
class Row:
    line: int
    section: str
    element: str
    status: str
    refs: tuple[tuple[str, str], ...]

    def __str__(self) -> str:
        return f"docs/bpmn-coverage.md:{self.line} ({self.element})"


def matrix_lines() -> list[tuple[int, str]]:
    """(line number, text) of the element matrix section: from its heading to the next `## ` heading."""
    lines = DOC.read_text(encoding="utf-8").splitlines()
    start = next(i for i, text in enumerate(lines) if text.strip() == MATRIX_HEADING)
    end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("## ")), len(lines))
    return [(i + 1, lines[i]) for i in range(start, end)]


def parse_rows() -> list[Row]:
    rows = []
    section = ""
    for number, text in matrix_lines():
        if text.startswith("### "):
            section = text.strip()
        if not text.startswith("|") or text.startswith("|---") or text.startswith("| element |"):
            continue
        cells = [cell.strip() for cell in text.strip().strip("|").split("|")]
        assert len(cells) == 6, f"line {number}: expected 6 cells, got {len(cells)}: {text}"
        element, here, proved_by = cells[0], cells[1], cells[2]
        status = STATUS.match(here)
        assert status, f"line {number}: the 'here' cell must start with **{'**, **'.join(STATUSES)}**: {here!r}"
        rows.append(Row(number, section, element, status.group(1), tuple(TEST_REF.findall(proved_by))))
    return rows


ROWS = parse_rows()
REFS = sorted({ref for row in ROWS for ref in row.refs})


def test_every_matrix_row_has_a_known_status():
    assert {row.status for row in ROWS} <= set(STATUSES)
    assert {"supported", "refused"} <= {row.status for row in ROWS}
    assert len(ROWS) > 80


@pytest.mark.parametrize("row", [row for row in ROWS if row.status == "supported"], ids=str)
def test_every_supported_row_names_a_test(row):
    assert row.refs, f"{row} is 'supported' but names no test"


@pytest.mark.parametrize("path, name", REFS, ids=[f"{p}::{n}" for p, n in REFS])
def test_every_test_named_by_the_matrix_exists(path, name):
    source = ROOT / path
    assert source.is_file(), f"{path} (named in docs/bpmn-coverage.md) does not exist"
    defines = re.compile(rf"^\s*(async\s+)?def {re.escape(name)}\(", re.MULTILINE)
    assert defines.search(source.read_text(encoding="utf-8")), f"{path} has no `def {name}(`"


@pytest.mark.parametrize("element_type", sorted(BEHAVIORS))
def test_every_engine_element_type_has_a_supported_row(element_type):
    """Named in backticks in the row's element cell, or in its section heading (events: "### Start events (`startEvent`)")."""
    named = f"`{element_type}`"
    rows = [row for row in ROWS if named in row.element or named in row.section]
    assert rows, f"{named} (registry.BEHAVIORS) is not in the element matrix"
    assert any(row.status == "supported" for row in rows), f"{named} has a behaviour but no supported row"


def test_the_summary_counts_are_the_table_counts():
    summary = _summary()
    for status in STATUSES:
        found = re.search(rf"\*\*(\d+) {status}\*\*", summary)
        assert found, f"the summary does not give the number of {status} rows"
        assert int(found.group(1)) == sum(row.status == status for row in ROWS), status
    total = re.search(r"\((\d+) rows", summary)
    assert total and int(total.group(1)) == len(ROWS)


def _summary() -> str:
    lines = matrix_lines()
    start = next(i for i, (_, text) in enumerate(lines) if text.strip() == "### Summary")
    return "\n".join(text for _, text in lines[start:])
