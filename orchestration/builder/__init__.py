"""Code-first process definitions: a fluent builder for the process model.

Produces the same `orchestration.bpmn.model.Process` the parser does, and
standard BPMN 2.0 XML with Camunda 8 (zeebe:) extensions and a diagram laid
out by `orchestration.bpmn.layout`. Pure Python, no Django.
"""

from __future__ import annotations

from .drafts import BuilderError
from .process import ProcessBuilder, SubProcess
from .writer import to_xml

__all__ = ["BuilderError", "ProcessBuilder", "SubProcess", "to_xml"]
