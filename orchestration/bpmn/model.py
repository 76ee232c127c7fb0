"""The executable process model: what the parser produces and the engine reads.

Pure Python, no Django. Everything is frozen; collections are tuples or
read-only mappings built once at parse time. The runtime never touches XML.

Expressions are kept as `Expr` (source text + dialect) and compiled by
orchestration.feel on first use (compiled forms are cached there).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from types import MappingProxyType
from typing import Literal

Dialect = Literal["feel", "juel", "static"]


@dataclass(frozen=True)
class Expr:
    """An expression as written in the model.

    dialect "feel": Camunda 8 style (`=a + 1`, the leading '=' already stripped),
    also used for bare FEEL in conditions/scripts; "juel": Camunda 7 `${...}`/`#{...}`
    (source keeps the delimiters); "static": a plain string value.
    """

    source: str
    dialect: Dialect = "static"

    @property
    def is_static(self) -> bool:
        return self.dialect == "static"


@dataclass(frozen=True)
class IoMapping:
    """Input or output mapping: evaluate `source` then assign to `target`.

    `target` may be a dotted path (`order.total`), as Zeebe allows.
    """

    source: Expr
    target: str


@dataclass(frozen=True)
class TimerDefinition:
    kind: Literal["date", "duration", "cycle"]
    expr: Expr


@dataclass(frozen=True)
class EventDefinition:
    kind: Literal[
        "message",
        "timer",
        "error",
        "terminate",
        "signal",
        "escalation",
        "compensate",
        "conditional",
        "link",
        "cancel",
    ]
    # message: name may be an expression in Camunda 8 ("=...")
    message_name: Expr | None = None
    correlation_key: Expr | None = None
    timer: TimerDefinition | None = None
    # error: code None on a catch means catch-all; on a throw it is required
    error_code: Expr | None = None
    error_name: str | None = None
    error_message: Expr | None = None
    signal_name: Expr | None = None
    escalation_code: Expr | None = None
    condition: Expr | None = None
    activity_ref: str | None = None
    wait_for_completion: bool = True
    link_name: str | None = None


@dataclass(frozen=True)
class TaskDefinition:
    """What a job is: its type (handler name / external topic), retries, headers.

    Camunda 7 external topic, camunda:class, camunda:expression,
    camunda:delegateExpression and connectors, and Camunda 8
    zeebe:taskDefinition all become a TaskDefinition.
    """

    type: Expr
    retries: Expr = field(default_factory=lambda: Expr("3"))
    headers: tuple[tuple[str, str], ...] = ()
    # Camunda 7 failedJobRetryTimeCycle, e.g. "R5/PT1M"
    retry_time_cycle: str | None = None
    priority: Expr | None = None


@dataclass(frozen=True)
class FormField:
    """Camunda 7 camunda:formData field."""

    id: str
    label: str | None
    type: str  # string, long, boolean, date, enum, custom name
    default_value: str | None = None
    values: tuple[tuple[str, str], ...] = ()  # enum (id, name)
    constraints: tuple[tuple[str, str | None], ...] = ()  # (name, config)
    properties: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class UserTaskDefinition:
    assignee: Expr | None = None
    candidate_users: Expr | None = None
    candidate_groups: Expr | None = None
    due_date: Expr | None = None
    follow_up_date: Expr | None = None
    priority: Expr | None = None
    # Camunda 7 formKey / Camunda 8 formKey or formId (linked form)
    form_key: str | None = None
    form_fields: tuple[FormField, ...] = ()
    # Camunda 8 embedded form JSON (zeebe:userTaskForm body), if any
    form_json: str | None = None


@dataclass(frozen=True)
class ScriptDefinition:
    """A script task the engine runs itself (FEEL only)."""

    expr: Expr
    result_variable: str | None


@dataclass(frozen=True)
class MultiInstanceDefinition:
    sequential: bool
    input_collection: Expr | None = None
    input_element: str | None = None
    output_collection: str | None = None
    output_element: Expr | None = None
    loop_cardinality: Expr | None = None
    completion_condition: Expr | None = None


@dataclass(frozen=True)
class CalledElement:
    process_id: Expr
    binding: Literal["latest", "deployment", "version", "versionTag"] = "latest"
    version: str | None = None
    propagate_all_child_variables: bool = True
    propagate_all_parent_variables: bool = True
    in_mappings: tuple[IoMapping, ...] = ()
    out_mappings: tuple[IoMapping, ...] = ()
    business_key: Expr | None = None


@dataclass(frozen=True)
class Element:
    """One flow node (event, task, gateway, subprocess) of a process.

    `type` is the BPMN tag name in camelCase (`serviceTask`, `exclusiveGateway`,
    `intermediateCatchEvent`, `subProcess`, ...). `parent_id` is the enclosing
    subprocess id, or None for the process level.
    """

    id: str
    type: str
    name: str | None = None
    line: int = 0
    parent_id: str | None = None
    incoming: tuple[str, ...] = ()
    outgoing: tuple[str, ...] = ()
    default_flow: str | None = None
    event: EventDefinition | None = None
    task: TaskDefinition | None = None
    user_task: UserTaskDefinition | None = None
    script: ScriptDefinition | None = None
    inputs: tuple[IoMapping, ...] = ()
    outputs: tuple[IoMapping, ...] = ()
    async_before: bool = False
    async_after: bool = False
    # boundary events
    attached_to: str | None = None
    cancel_activity: bool = True
    # event subprocess start events: interrupting flag lives here (isInterrupting)
    is_interrupting: bool = True
    # subProcess with triggeredByEvent="true"
    triggered_by_event: bool = False
    multi_instance: MultiInstanceDefinition | None = None
    called_element: CalledElement | None = None
    is_for_compensation: bool = False
    # boundary compensation events: the handler activity, linked by an association
    compensation_handler: str | None = None
    # child element ids of a subprocess, in document order
    children: tuple[str, ...] = ()
    # extension properties (camunda:properties / zeebe:properties) and misc attributes
    properties: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class SequenceFlow:
    id: str
    source: str
    target: str
    name: str | None = None
    condition: Expr | None = None
    line: int = 0


@dataclass(frozen=True)
class Process:
    id: str
    name: str | None
    is_executable: bool
    elements: Mapping[str, Element]
    flows: Mapping[str, SequenceFlow]
    line: int = 0
    version_tag: str | None = None
    # camunda:candidateStarterGroups / Users, kept for the tasklist
    candidate_starter_groups: tuple[str, ...] = ()
    candidate_starter_users: tuple[str, ...] = ()
    # ids of <dataObject>/<property> are ignored; documentation kept short
    documentation: str | None = None

    def element(self, element_id: str) -> Element:
        return self.elements[element_id]

    # Lookups the runner makes at every step are indexed once per (immutable) process.
    # cached_property writes to the instance __dict__, which a frozen dataclass allows.

    @cached_property
    def _children_index(self) -> dict[str | None, tuple[Element, ...]]:
        index: dict[str | None, list[Element]] = {}
        for e in self.elements.values():
            index.setdefault(e.parent_id, []).append(e)
        return {k: tuple(v) for k, v in index.items()}

    @cached_property
    def _boundary_index(self) -> dict[str, tuple[Element, ...]]:
        index: dict[str, list[Element]] = {}
        for e in self.elements.values():
            if e.type == "boundaryEvent" and e.attached_to:
                index.setdefault(e.attached_to, []).append(e)
        return {k: tuple(v) for k, v in index.items()}

    def children_of(self, parent_id: str | None) -> tuple[Element, ...]:
        return self._children_index.get(parent_id, ())

    def start_events(self, parent_id: str | None = None) -> tuple[Element, ...]:
        return tuple(e for e in self.children_of(parent_id) if e.type == "startEvent")

    def none_start_event(self, parent_id: str | None = None) -> Element | None:
        for e in self.start_events(parent_id):
            if e.event is None:
                return e
        return None

    def boundary_events(self, attached_to: str) -> tuple[Element, ...]:
        return self._boundary_index.get(attached_to, ())


@dataclass(frozen=True)
class Bounds:
    x: float
    y: float
    width: float
    height: float


@dataclass(frozen=True)
class Shape:
    element_id: str
    bounds: Bounds
    is_expanded: bool | None = None
    is_horizontal: bool | None = None
    label: Bounds | None = None


@dataclass(frozen=True)
class Edge:
    element_id: str
    waypoints: tuple[tuple[float, float], ...]
    label: Bounds | None = None


@dataclass(frozen=True)
class Diagram:
    """BPMN DI: shapes and edges by the id of the element they draw."""

    shapes: Mapping[str, Shape] = field(default_factory=lambda: MappingProxyType({}))
    edges: Mapping[str, Edge] = field(default_factory=lambda: MappingProxyType({}))


@dataclass(frozen=True)
class Participant:
    id: str
    name: str | None
    process_id: str | None


@dataclass(frozen=True)
class Definitions:
    """A parsed BPMN file: its processes, global messages/errors/signals, and DI."""

    id: str | None
    target_namespace: str | None
    exporter: str | None
    exporter_version: str | None
    # "camunda7", "camunda8" or "bpmn" (no vendor extensions seen)
    flavour: str
    processes: tuple[Process, ...]
    participants: tuple[Participant, ...] = ()
    # global definitions by id: message name, (error code, name), signal name, escalation code
    messages: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    errors: Mapping[str, tuple[str | None, str | None]] = field(default_factory=lambda: MappingProxyType({}))
    signals: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    escalations: Mapping[str, tuple[str | None, str | None]] = field(default_factory=lambda: MappingProxyType({}))
    diagram: Diagram = field(default_factory=Diagram)

    @property
    def executable_processes(self) -> tuple[Process, ...]:
        return tuple(p for p in self.processes if p.is_executable)

    def process(self, process_id: str) -> Process:
        for p in self.processes:
            if p.id == process_id:
                return p
        raise KeyError(process_id)


@dataclass(frozen=True)
class Problem:
    """One reason a model is refused: where (element id, line) and why."""

    message: str
    element_id: str | None = None
    line: int | None = None

    def __str__(self) -> str:
        where = []
        if self.element_id:
            where.append(f"element '{self.element_id}'")
        if self.line:
            where.append(f"line {self.line}")
        prefix = f"{', '.join(where)}: " if where else ""
        return f"{prefix}{self.message}"
