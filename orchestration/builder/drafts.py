"""Element drafts for the builder: ids, expressions and one factory per element kind.

A draft is a plain dict of `Element` fields (like the parser's ElementDraft);
`freeze` turns drafts and flows into the frozen `Process` the engine runs.
Expressions are read with the parser's own rules (orchestration.bpmn.expressions)
so a built model and its parsed XML are equal.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import Any

from orchestration.bpmn.expressions import expression_expr, value_expr
from orchestration.bpmn.model import (
    CalledElement,
    Element,
    EventDefinition,
    Expr,
    IoMapping,
    Process,
    ScriptDefinition,
    SequenceFlow,
    TaskDefinition,
    TimerDefinition,
    UserTaskDefinition,
)

Draft = dict[str, Any]

ACTIVITIES = frozenset(
    {
        "task",
        "manualTask",
        "userTask",
        "serviceTask",
        "sendTask",
        "receiveTask",
        "scriptTask",
        "callActivity",
        "subProcess",
    }
)
# BPMN ids are XML NCNames; we keep to the ASCII part of that.
_ID = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]*$")


class BuilderError(ValueError):
    """A process definition the builder refuses, with the reason and the element."""


def check_id(value: str) -> str:
    if not isinstance(value, str) or not _ID.match(value):
        raise BuilderError(
            f"{value!r} is not a valid BPMN id: use letters, digits, '_', '-' and '.', starting with a letter or '_'"
        )
    return value


def slug(label: str) -> str:
    """An id from a label: "Reserve stock" -> "reserve-stock", "big?" -> "big"."""
    text = re.sub(r"[^a-z0-9_.]+", "-", label.strip().lower()).strip("-.")
    if not text:
        raise BuilderError(f"cannot make an id from the label {label!r}; pass id=")
    return text if _ID.match(text) else f"_{text}"


def feel(value: str | None) -> Expr | None:
    """A slot that is always an expression (condition, collection): "=" is optional."""
    return expression_expr(value)


def mappings(pairs: Mapping[str, str] | None, what: str) -> tuple[IoMapping, ...]:
    """{"target": "=source"} -> IoMappings, as zeebe:input/output read them."""
    found = []
    for target, source in (pairs or {}).items():
        if not target or not isinstance(source, str):
            raise BuilderError(f"{what} must map a variable name to a source string, got {target!r}: {source!r}")
        found.append(IoMapping(value_expr(source) or Expr("null", "feel"), target))
    return tuple(found)


def timer(duration: str | None, date: str | None, cycle: str | None) -> EventDefinition:
    given = [(kind, value) for kind, value in (("duration", duration), ("date", date), ("cycle", cycle)) if value]
    if len(given) != 1:
        raise BuilderError("a timer needs exactly one of duration=, date= or cycle=")
    kind, value = given[0]
    return EventDefinition(kind="timer", timer=TimerDefinition(kind, value_expr(value)))  # type: ignore[arg-type]


def message(name: str, correlation_key: str | None) -> EventDefinition:
    if not name:
        raise BuilderError("a message event needs a message name")
    return EventDefinition(
        kind="message",
        message_name=value_expr(name),
        correlation_key=value_expr(correlation_key) if correlation_key else None,
    )


def error(code: str | None) -> EventDefinition:
    if code is None:
        return EventDefinition(kind="error")  # catches every error
    return EventDefinition(kind="error", error_code=value_expr(code), error_name=code)


def job(job_type: str, retries: int | str, headers: Mapping[str, str] | None) -> TaskDefinition:
    if not job_type:
        raise BuilderError("a job needs a type= (the worker's job type)")
    return TaskDefinition(
        type=value_expr(job_type) or Expr(job_type),
        retries=value_expr(str(retries)) or Expr("3"),
        headers=tuple((str(k), str(v)) for k, v in (headers or {}).items()),
    )


def user_task(
    assignee: str | None,
    candidate_groups: str | Iterable[str] | None,
    candidate_users: str | Iterable[str] | None,
    due_date: str | None,
    follow_up_date: str | None,
    form_key: str | None,
) -> UserTaskDefinition:
    return UserTaskDefinition(
        assignee=value_expr(assignee),
        candidate_groups=value_expr(_csv(candidate_groups)),
        candidate_users=value_expr(_csv(candidate_users)),
        due_date=value_expr(due_date),
        follow_up_date=value_expr(follow_up_date),
        form_key=form_key,
    )


def _csv(value: str | Iterable[str] | None) -> str | None:
    if value is None or isinstance(value, str):
        return value or None
    return ",".join(value) or None


def script(expression: str, result_variable: str) -> ScriptDefinition:
    expr = feel(expression)
    if expr is None:
        raise BuilderError("a script task needs a FEEL expression")
    if not result_variable:
        raise BuilderError("a script task needs a result_variable (Camunda 8 requires one)")
    return ScriptDefinition(expr, result_variable)


def called(process_id: str, propagate_all_child_variables: bool) -> CalledElement:
    if not process_id:
        raise BuilderError("a call activity needs process_id=")
    return CalledElement(
        process_id=value_expr(process_id) or Expr(process_id),
        propagate_all_child_variables=propagate_all_child_variables,
    )


def freeze(
    process_id: str,
    name: str | None,
    version_tag: str | None,
    drafts: Mapping[str, Draft],
    flows: Iterable[SequenceFlow],
) -> Process:
    flows = list(flows)
    incoming: dict[str, list[str]] = {}
    outgoing: dict[str, list[str]] = {}
    for flow in flows:
        outgoing.setdefault(flow.source, []).append(flow.id)
        incoming.setdefault(flow.target, []).append(flow.id)
    elements = {}
    for element_id, draft in drafts.items():
        fields = dict(draft)
        if fields["type"] == "userTask" and fields.get("user_task") is None:
            fields["user_task"] = UserTaskDefinition()
        fields["incoming"] = tuple(incoming.get(element_id, ()))
        fields["outgoing"] = tuple(outgoing.get(element_id, ()))
        elements[element_id] = Element(**fields)
    return Process(
        id=process_id,
        name=name,
        is_executable=True,
        elements=MappingProxyType(elements),
        flows=MappingProxyType({f.id: f for f in flows}),
        version_tag=version_tag,
    )
