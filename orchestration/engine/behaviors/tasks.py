"""Tasks: service, send, business rule (jobs), user, receive, script (FEEL), task/manual (pass-through).

Not supported here: scripts in languages other than FEEL / ${...} (refused at deploy).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ...bpmn.model import Element
from ...feel import to_json
from ..errors import EngineIncident
from ..mechanics import waits
from ..state import ElementInstanceState
from .base import Behavior

if TYPE_CHECKING:
    from ..runner import Runner


class JobTask(Behavior):
    """serviceTask, sendTask, businessRuleTask with a job definition: wait for a worker."""

    def activate(self, rt: Runner, ei: ElementInstanceState, element: Element) -> None:
        if element.task is None:
            raise EngineIncident("expression", f"'{element.id}' has no job definition")
        waits.create_job(rt, ei, element, element.task)


class UserTask(Behavior):
    def activate(self, rt: Runner, ei: ElementInstanceState, element: Element) -> None:
        if element.task is not None and element.user_task is None:
            # Camunda 8 job-worker user tasks: a job of type io.camunda.zeebe:userTask
            waits.create_job(rt, ei, element, element.task)
            return
        from ...bpmn.model import UserTaskDefinition

        waits.create_user_task(rt, ei, element, element.user_task or UserTaskDefinition())


class ReceiveTask(Behavior):
    """With a message: a subscription. Without one: a plain wait state that
    services.trigger_element_instance continues (Camunda 7 "signal execution")."""

    def activate(self, rt: Runner, ei: ElementInstanceState, element: Element) -> None:
        if element.event is None:
            rt.audit("waiting_for_trigger", element.id, ei.key)
            return
        waits.create_subscription(rt, ei, element, element.event)


class ScriptTask(Behavior):
    def activate(self, rt: Runner, ei: ElementInstanceState, element: Element) -> None:
        if element.task is not None:
            waits.create_job(rt, ei, element, element.task)
            return
        if element.script is None:
            raise EngineIncident("expression", f"script task '{element.id}' has no script")
        value = rt.evaluate(element.script.expr, ei, what="script")
        result = {}
        if element.script.result_variable:
            result[element.script.result_variable] = to_json(value)
        rt.complete(ei, result)
