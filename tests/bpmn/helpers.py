"""Small builders for hand-written BPMN test documents."""

from __future__ import annotations

from pathlib import Path

import pytest

from orchestration.bpmn import BpmnError, parse_bpmn
from orchestration.bpmn.model import Definitions, Problem

FIXTURES = Path(__file__).resolve().parent / "fixtures"

NAMESPACES = (
    'xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
    'xmlns:camunda="http://camunda.org/schema/1.0/bpmn" '
    'xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" '
    'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"'
)


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def definitions(body: str, *, executable: bool = True, before: str = "") -> str:
    """A document with one process `p` holding `body` (and globals in `before`)."""
    flag = "true" if executable else "false"
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<bpmn:definitions {NAMESPACES} id="d" targetNamespace="t">\n'
        f"{before}"
        f'<bpmn:process id="p" isExecutable="{flag}">\n'
        f"{body}\n"
        "</bpmn:process>\n"
        "</bpmn:definitions>\n"
    )


def parse(body: str, **kwargs: object) -> Definitions:
    return parse_bpmn(definitions(body, **kwargs))  # type: ignore[arg-type]


def problems_of(data: str | bytes, **limits: int) -> tuple[Problem, ...]:
    with pytest.raises(BpmnError) as caught:
        parse_bpmn(data, **limits)
    return caught.value.problems


def messages(problems: tuple[Problem, ...]) -> list[str]:
    return [p.message for p in problems]
