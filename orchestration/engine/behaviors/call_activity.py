"""Call activity: start a child process instance and wait for it.

The engine only decides *what* to start (process id, binding, variables in,
business key) and records it as a CallSpec on the working set; the services
resolve the definition and start the child in the same transaction, after the
parent is saved (orchestration/services/call_activities.py). The call
activity then waits on an internal "outbox" job that the child creates in the
parent when it ends (completed: the job returns the output variables; an
uncaught BPMN error: the job throws it at the call activity). Terminating the
call activity (cancel, interrupting boundary, completion condition) cancels
the child instance tree in the same transaction.

Variables in: all visible variables (Camunda 8 propagateAllParentVariables,
default true; Camunda 7 camunda:in variables="all"), or only the call
activity's local variables (its input mappings), plus Camunda 7 camunda:in
source/sourceExpression -> target. Out: see services/call_activities.py.
Not supported: Camunda 7 camunda:in local="true" distinctions, variable
mapping delegates, and escalations propagated to the parent.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ...bpmn.model import Element
from ..errors import EngineIncident
from ..mechanics import expressions
from ..state import CallSpec, ElementInstanceState
from .base import Behavior

if TYPE_CHECKING:
    from ..runner import Runner

CALL_ACTIVITY_JOB = "__call_activity__"


def input_variables(rt: Runner, ei: ElementInstanceState, element: Element) -> dict:
    called = element.called_element
    assert called is not None
    context = rt.context(ei)
    if called.propagate_all_parent_variables:
        values = {k: v for k, v in context.items() if not k.startswith("__")}
    else:
        values = dict(rt.ws.variables.get(ei.key, {}))
    for mapping in called.in_mappings:
        values[mapping.target] = expressions.evaluate_json(
            mapping.source, context, now=rt.now, what=f"input variable '{mapping.target}'"
        )
    return values


class CallActivity(Behavior):
    def activate(self, rt: Runner, ei: ElementInstanceState, element: Element) -> None:
        called = element.called_element
        if called is None:
            raise EngineIncident("expression", f"call activity '{element.id}' has no called element")
        context = rt.context(ei)
        process_id = expressions.evaluate_string(called.process_id, context, now=rt.now, what="called process id")
        if not process_id:
            raise EngineIncident("expression", f"the called process id of '{element.id}' evaluated to an empty string")
        version = called.version or ""
        if version and (version.startswith("=") or version.startswith("${") or version.startswith("#{")):
            from ...bpmn.expressions import value_expr

            expr = value_expr(version)
            assert expr is not None
            version = expressions.evaluate_string(expr, context, now=rt.now, what="called version")
        business_key = ""
        if called.business_key is not None:
            if "processBusinessKey" in called.business_key.source:
                business_key = rt.ws.instance.business_key
            else:
                business_key = expressions.evaluate_string(
                    called.business_key, context, now=rt.now, what="business key"
                )
        spec = CallSpec(
            key=rt.new_key(),
            element_instance_key=ei.key,
            element_id=element.id,
            process_id=process_id,
            binding=called.binding,
            version=version,
            variables=input_variables(rt, ei, element),
            business_key=business_key,
        )
        ei.payload["called_instance"] = str(spec.key)
        # the outbox job the child creates on this element instance is closed with it
        ei.add_wait("job")
        rt.ws.new_calls.append(spec)
        rt.audit(
            "call_activity_called",
            element.id,
            ei.key,
            {"process": process_id, "instance": str(spec.key), "binding": called.binding},
        )
