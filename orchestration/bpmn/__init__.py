"""BPMN 2.0 parsing: untrusted XML -> validated, immutable process model.

Pure Python (lxml), no Django. See docs/bpmn-coverage.md for what is
supported and what is refused.
"""

from __future__ import annotations

from .errors import BpmnError
from .model import Definitions, Problem
from .parser import parse_bpmn
from .validation import validate

__all__ = ["BpmnError", "Definitions", "Problem", "parse_bpmn", "validate"]
