from __future__ import annotations

from .model import Problem


class BpmnError(Exception):
    """A BPMN document was refused. `problems` lists every reason at once."""

    def __init__(self, problems: list[Problem] | tuple[Problem, ...]):
        self.problems = tuple(problems)
        super().__init__("; ".join(str(p) for p in self.problems) or "invalid BPMN")
