"""Embedded subprocess: a scope of its own, started at its none start event and
completed when no token is left inside.

Event subprocesses (triggeredByEvent) enter at the start event that fired:
event_subprocess.py. Not here: transaction subprocesses (refused at deploy).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ...bpmn.model import Element
from ..errors import EngineIncident
from ..state import ElementInstanceState
from .base import Behavior

if TYPE_CHECKING:
    from ..runner import Runner


class SubProcess(Behavior):
    def activate(self, rt: Runner, ei: ElementInstanceState, element: Element) -> None:
        if element.triggered_by_event:
            from . import event_subprocess

            event_subprocess.activate(rt, ei, element)
            return
        start = rt.process.none_start_event(element.id)
        if start is None:
            raise EngineIncident("expression", f"subprocess '{element.id}' has no none start event")
        rt.behavior_registry().on_scope_started(rt, ei)
        rt.activate(start, ei.key, "")
