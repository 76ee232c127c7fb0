"""The runner: apply one command to a working set, then run until every token waits.

Caller holds the instance lock (services) or owns the working set outright
(in-memory benchmark, tests). The runner only mutates the working set; the
store writes the result.
"""

from __future__ import annotations

import uuid
from collections import deque
from collections.abc import Callable
from datetime import datetime
from typing import Any

from ..bpmn.model import Element, Process, SequenceFlow
from ..keys import new_key
from . import lifecycle
from .errors import EngineIncident
from .mechanics import expressions, variables
from .state import AuditSpec, ElementInstanceState, IncidentSpec, WorkingSet

_registry = None


class Runner:
    def __init__(
        self,
        process: Process,
        ws: WorkingSet,
        *,
        now: datetime,
        key_factory: Callable[[], uuid.UUID] = new_key,
        audit_flows: bool = True,
    ):
        self.process = process
        self.ws = ws
        self.now = now
        self.new_key = key_factory
        self.audit_flows = audit_flows
        self._agenda: deque[tuple[Callable[..., None], ElementInstanceState, str, tuple]] = deque()

    # -- commands -----------------------------------------------------------

    def start(self, variables: dict[str, Any] | None = None, *, start_element_id: str | None = None) -> None:
        """Start the instance at its none start event (or the given start event)."""
        ws = self.ws
        self.audit("instance_started", data={"business_key": ws.instance.business_key})
        for name, value in (variables or {}).items():
            variables_mod_set(ws, ws.root_scope, name, value)
        if variables:
            self.audit("variables_set", data={"scope": "process", "variables": sorted(variables)})
        if start_element_id is None:
            start = self.process.none_start_event(None)
            if start is None:
                raise ValueError(f"process '{self.process.id}' has no none start event")
        else:
            start = self.process.element(start_element_id)
        ei = self.behavior(start).enter(self, start, None, "")
        if ei is not None:
            # The process scope's event subprocess starts open in the start event's first
            # step: one that fails (a correlation key that evaluates to null) is then an
            # incident on the start event, not an exception, and resolving it retries.
            self._schedule(self._step_start_scope, ei, "start_scope", ())
        self.run()

    def _step_start_scope(self, ei: ElementInstanceState) -> None:
        ws = self.ws
        marks = (len(ws.new_timers), len(ws.new_subscriptions), len(ws.new_signal_subscriptions), len(ws.audit))
        try:
            self.behavior_registry().on_scope_started(self, None)
        except EngineIncident:
            # withdraw the waits opened before the failing one: the retry opens them all again
            del ws.new_timers[marks[0] :], ws.new_subscriptions[marks[1] :], ws.new_signal_subscriptions[marks[2] :]
            del ws.audit[marks[3] :]
            raise
        self._step_activate(ei)

    def complete_element(self, ei_key: uuid.UUID, result: dict[str, Any] | None = None) -> None:
        """A wait state is done (job completed, message received, timer fired, task completed)."""
        ei = self.ws.elements[ei_key]
        if not ei.is_active:
            raise ValueError(f"element instance {ei_key} is {ei.state}, not active")
        self._schedule(self._step_complete, ei, "complete", (result or {},))
        self.run()

    def trigger(self, ei_key: uuid.UUID, element_id: str, result: dict[str, Any] | None = None) -> None:
        """A wait row fired: a timer, a message, a signal. It names the element instance it
        belongs to and the element it triggers: the same element (a catch event, a receive
        task) or a related one (a boundary event, an event subprocess start, the event after
        an event-based gateway); the registry routes the related cases."""
        if ei_key == self.ws.root_scope:
            scope_ei = None
        else:
            scope_ei = self.ws.elements[ei_key]
            if not scope_ei.is_active:
                raise ValueError(f"element instance {ei_key} is {scope_ei.state}, not active")
            if element_id == scope_ei.element_id:
                self.complete_element(ei_key, result)
                return
        self.behavior_registry().route_trigger(self, scope_ei, self.process.element(element_id), result or {})
        self.run()

    def is_waiting(self, ei_key: uuid.UUID | None) -> bool:
        """Does this wait's owner still exist (an active element instance, or the running process)?"""
        if ei_key is None:
            return False
        if ei_key == self.ws.root_scope:
            return self.ws.instance.state == "active"
        ei = self.ws.elements.get(ei_key)
        return ei is not None and ei.is_active

    def scope_payload(self, scope_key: uuid.UUID | None) -> dict[str, Any]:
        """Scope-level bookkeeping (compensation records, ...): the process's or a subprocess's."""
        if scope_key is None or scope_key == self.ws.root_scope:
            self.ws.instance.payload_dirty = True
            return self.ws.instance.payload
        ei = self.ws.elements[scope_key]
        ei.is_dirty = True
        return ei.payload

    def add_process_wait(self, kind: str) -> None:
        """Record a wait owned by the process scope, so ending the instance closes it."""
        waits = self.ws.instance.payload.setdefault("waits", [])
        if kind not in waits:
            waits.append(kind)
            self.ws.instance.payload_dirty = True

    def throw_error(self, ei_key: uuid.UUID, code: str, message: str = "", *, job_key: uuid.UUID | None = None) -> None:
        ei = self.ws.elements[ei_key]
        self.raise_error(ei, code, message, job_key=job_key)
        self.run()

    def retry(self, ei_key: uuid.UUID) -> None:
        """Re-run the step that raised an incident on this element instance."""
        ei = self.ws.elements[ei_key]
        phase = ei.payload.pop("failed_phase", None)
        ei.is_dirty = True
        if phase == "activate":
            self._schedule(self._step_activate, ei, "activate", ())
        elif phase == "leave":
            self._schedule(self._step_leave, ei, "leave", ())
        elif phase == "start_scope":
            self._schedule(self._step_start_scope, ei, "start_scope", ())
        elif phase == "complete":
            pending = ei.payload.pop("pending_result", {})
            self._schedule(self._step_complete, ei, "complete", (pending,))
        else:
            raise ValueError(f"element instance {ei_key} has no failed step to retry")
        self.run()

    def cancel(self) -> None:
        for ei in sorted(self.ws.active_elements(), key=lambda e: self._depth(e), reverse=True):
            if ei.is_active:
                self.terminate(ei)
        self.ws.instance.state = "cancelled"
        self.ws.instance.ended_at = self.now
        self.audit("instance_cancelled")

    # -- the loop -----------------------------------------------------------

    def run(self) -> None:
        # When every token waits, conditional events re-evaluate (variables may have
        # changed) and may schedule more; they fire only on a false->true change,
        # and the rounds are bounded, so a model cannot loop forever here.
        for _ in range(self.MAX_CONDITION_ROUNDS):
            while self._agenda:
                step, ei, phase, args = self._agenda.popleft()
                if not ei.is_active:
                    continue
                try:
                    step(ei, *args)
                except EngineIncident as incident:
                    self._incident(ei, phase, incident, args)
            if not self.behavior_registry().after_run(self):
                return

    MAX_CONDITION_ROUNDS = 50

    def _schedule(self, step: Callable[..., None], ei: ElementInstanceState, phase: str, args: tuple) -> None:
        self._agenda.append((step, ei, phase, args))

    def schedule_activate(self, ei: ElementInstanceState) -> None:
        """Activate an element instance a behaviour created itself (multi-instance inner, compensation handler)."""
        self._schedule(self._step_activate, ei, "activate", ())

    def schedule_step(
        self, step: Callable[[ElementInstanceState, Runner], None], ei: ElementInstanceState, phase: str = "activate"
    ) -> None:
        """Run a behaviour's step after what is already scheduled (an incident in it fails `phase`)."""
        self._schedule(lambda e: step(e, self), ei, phase, ())

    # -- element lifecycle --------------------------------------------------

    def activate(self, element: Element, scope_key: uuid.UUID | None, incoming_flow: str) -> None:
        """A token arrives at an element: the behaviour decides whether a new instance is made."""
        behavior = self.behavior(element)
        ei = behavior.enter(self, element, scope_key, incoming_flow)
        if ei is not None:
            self._schedule(self._step_activate, ei, "activate", ())

    def create_element_instance(
        self, element: Element, scope_key: uuid.UUID | None, incoming_flow: str, *, element_type: str | None = None
    ) -> ElementInstanceState:
        ei = ElementInstanceState(
            key=self.new_key(),
            element_id=element.id,
            element_type=element_type or element.type,
            scope_key=scope_key,
            incoming_flow=incoming_flow,
            started_at=self.now,
            is_new=True,
        )
        self.ws.elements[ei.key] = ei
        # the scope lets the log rebuild the element tree, not only the set of keys
        self.audit(
            "element_activated",
            element.id,
            ei.key,
            {"type": ei.element_type, "scope": str(scope_key) if scope_key else None},
        )
        return ei

    def _step_activate(self, ei: ElementInstanceState) -> None:
        element = self.process.element(ei.element_id)
        registry = self.behavior_registry()
        # multi-instance: mappings apply to each inner instance, boundary events to the body
        if element.inputs and not registry.is_multi_instance_body(ei):
            self.apply_inputs(ei, element)
        if not registry.is_multi_instance_inner(ei, element):
            registry.on_activated(self, ei, element)
        registry.behavior_of(ei, element).activate(self, ei, element)

    def complete(self, ei: ElementInstanceState, result: dict[str, Any] | None = None) -> None:
        """Schedule completion of an element instance (behaviours call this when done)."""
        self._schedule(self._step_complete, ei, "complete", (result or {},))

    def _step_complete(self, ei: ElementInstanceState, result: dict[str, Any]) -> None:
        element = self.process.element(ei.element_id)
        if not self.behavior_registry().is_multi_instance_body(ei):
            self.apply_result(ei, element, result)
        # Leaving is its own step (so a failing condition is a "leave" incident that
        # does not re-apply the result on retry), run next: depth first.
        self._agenda.appendleft((self._step_leave, ei, "leave", ()))

    def _step_leave(self, ei: ElementInstanceState) -> None:
        element = self.process.element(ei.element_id)
        registry = self.behavior_registry()
        flows = registry.behavior_of(ei, element).outgoing(self, ei, element)
        registry.on_completing(self, ei, element)
        self._end(ei, lifecycle.COMPLETED)
        self.audit("element_completed", element.id, ei.key)
        for flow in flows:
            self.take(flow, ei.scope_key)
        self.after_end(ei)

    def after_end(self, ei: ElementInstanceState) -> None:
        self.behavior_registry().on_token_ended(self, ei)
        self.check_scope_completion(ei.scope_key)

    def take(self, flow: SequenceFlow, scope_key: uuid.UUID | None) -> None:
        if self.audit_flows:
            self.audit("sequence_flow_taken", flow.id, None, {"source": flow.source, "target": flow.target})
        self.activate(self.process.element(flow.target), scope_key, flow.id)

    def terminate(self, ei: ElementInstanceState) -> None:
        """End an element instance (and its children) without completing it."""
        if not ei.is_active:
            return
        for child in self.ws.active_children(ei.key):
            self.terminate(child)
        self._end(ei, lifecycle.TERMINATED)
        self.audit("element_terminated", ei.element_id, ei.key)

    def _end(self, ei: ElementInstanceState, state: str) -> None:
        lifecycle.check_transition(ei.state, state, ei.element_id)
        ei.state = state
        ei.ended_at = self.now
        ei.is_dirty = True
        self.ws.closed_waits.add(ei.key)
        variables.drop_scope(self.ws, ei.key)

    def check_scope_completion(self, scope_key: uuid.UUID | None) -> None:
        if self.ws.active_children(scope_key):
            return
        if any(e.scope_key == scope_key and e.is_active for _, e, _, _ in self._agenda):
            return
        if scope_key is None:
            if self.ws.instance.state == "active":
                self.ws.instance.state = "completed"
                self.ws.instance.ended_at = self.now
                self.audit("instance_completed")
            return
        scope = self.ws.elements[scope_key]
        if scope.is_active and not scope.payload.get("failed_phase"):
            element = self.process.element(scope.element_id)
            self.behavior_registry().behavior_of(scope, element).scope_drained(self, scope, element)

    # -- variables ----------------------------------------------------------

    def context(self, ei: ElementInstanceState | None) -> dict[str, Any]:
        return variables.context_for(self.ws, ei)

    def evaluate(self, expr, ei: ElementInstanceState | None, what: str = "expression") -> Any:
        return expressions.evaluate(expr, self.context(ei), now=self.now, what=what)

    def apply_inputs(self, ei: ElementInstanceState, element: Element) -> None:
        for mapping in element.inputs:
            value = expressions.evaluate_json(
                mapping.source, self.context(ei), now=self.now, what=f"input mapping '{mapping.target}'"
            )
            variables.assign_path(self.ws, [ei.key], mapping.target, value, local_scope=ei.key)

    def apply_result(self, ei: ElementInstanceState, element: Element, result: dict[str, Any]) -> None:
        """Merge a wait state's result variables, through output mappings if the element has them."""
        chain = variables.scope_chain(self.ws, ei)
        if not element.outputs:
            for name, value in result.items():
                variables.set_propagating(self.ws, chain, name, value)
            if result:
                self.audit("variables_set", ei.element_id, ei.key, {"variables": sorted(result)})
            return
        for name, value in result.items():
            variables.set_local(self.ws, ei.key, name, value)
        outer = chain[1:]
        names = []
        for mapping in element.outputs:
            try:
                value = expressions.evaluate_json(
                    mapping.source, self.context(ei), now=self.now, what=f"output mapping '{mapping.target}'"
                )
            except EngineIncident:
                ei.payload["pending_result"] = result
                raise
            variables.assign_path(self.ws, outer, mapping.target, value, local_scope=None)
            names.append(mapping.target)
        self.audit("variables_set", ei.element_id, ei.key, {"variables": sorted(names)})

    def set_variables(self, scope_key: uuid.UUID, values: dict[str, Any], *, actor_data: dict | None = None) -> None:
        for name, value in values.items():
            variables.set_local(self.ws, scope_key, name, value)

    # -- incidents and errors -------------------------------------------------

    def _incident(self, ei: ElementInstanceState, phase: str, incident: EngineIncident, args: tuple) -> None:
        ei.payload["failed_phase"] = phase
        if phase == "complete" and args and "pending_result" not in ei.payload:
            ei.payload["pending_result"] = args[0]
        ei.is_dirty = True
        self.raise_incident(ei, incident.type, incident.message, incident.details)

    def raise_incident(
        self, ei: ElementInstanceState, type: str, message: str, details: str = "", job_key: uuid.UUID | None = None
    ) -> None:
        spec = IncidentSpec(self.new_key(), ei.key, ei.element_id, type, message, details, job_key)
        self.ws.new_incidents.append(spec)
        ei.add_wait("incident")
        self.ws.instance.incident_delta += 1
        self.audit(
            "incident_created", ei.element_id, ei.key, {"type": type, "message": message, "incident": str(spec.key)}
        )

    def raise_error(
        self, ei: ElementInstanceState, code: str, message: str = "", *, job_key: uuid.UUID | None = None
    ) -> None:
        """Throw a BPMN error from an element instance to the nearest catching element.

        Boundary error events and error event subprocesses come with the next
        issue; until then an error is never swallowed: it becomes an incident.
        """
        catcher = self.behavior_registry().find_error_catch(self, ei, code)
        if catcher is not None:
            catcher(code, message)
            return
        if self.ws.instance.payload.get("called_by"):
            # a called child: the error goes to the parent's call activity (through
            # an outbox job the services create); this element waits until the
            # parent catches it (and cancels this instance) or raises an incident
            self.audit("error_propagated", ei.element_id, ei.key, {"code": code, "message": message})
            self.ws.to_parent.append(
                {"kind": "error", "code": code, "message": message, "element_instance": str(ei.key)}
            )
            return
        self.audit("error_thrown", ei.element_id, ei.key, {"code": code, "message": message})
        if job_key is None:
            # an error end event: resolving the incident runs the element again
            ei.payload["failed_phase"] = "activate"
            ei.is_dirty = True
        text = f"Unhandled BPMN error '{code}'" + (f": {message}" if message else "")
        self.raise_incident(ei, "unhandled_error", text, job_key=job_key)

    # -- helpers --------------------------------------------------------------

    def behavior(self, element: Element):
        return self.behavior_registry().behavior_for(element)

    @staticmethod
    def behavior_registry():
        global _registry
        if _registry is None:
            from . import registry

            _registry = registry
        return _registry

    def audit(self, type: str, element_id: str = "", ei_key: uuid.UUID | None = None, data: dict | None = None) -> None:
        self.ws.audit.append(AuditSpec(type, element_id, ei_key, data or {}, self.now))

    def _depth(self, ei: ElementInstanceState) -> int:
        depth = 0
        current = ei
        while current.scope_key is not None:
            depth += 1
            current = self.ws.elements[current.scope_key]
        return depth

    def select_flows(self, ei: ElementInstanceState, element: Element) -> list[SequenceFlow]:
        """Outgoing flows of an activity or event: unconditional ones, true conditional ones, else default."""
        flows = [self.process.flows[f] for f in element.outgoing]
        taken: list[SequenceFlow] = []
        has_conditions = False
        context = None
        for flow in flows:
            if flow.id == element.default_flow:
                continue
            if flow.condition is None:
                taken.append(flow)
                continue
            has_conditions = True
            context = context if context is not None else self.context(ei)
            if expressions.evaluate_condition(flow.condition, context, now=self.now, flow_id=flow.id):
                taken.append(flow)
        if not taken and element.default_flow:
            taken.append(self.process.flows[element.default_flow])
        elif not taken and has_conditions:
            raise EngineIncident(
                "condition",
                f"no outgoing sequence flow of '{element.id}' has a true condition and there is no default flow",
            )
        return taken


def variables_mod_set(ws: WorkingSet, scope: uuid.UUID, name: str, value: Any) -> None:
    variables.set_local(ws, scope, name, value)
