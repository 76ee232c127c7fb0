"""Camunda 7 extensions (camunda: namespace, also the legacy activiti: one).

Reads, on one flow node: async flags, job definitions (external topic,
class, delegateExpression, expression, connectors), failedJobRetryTimeCycle,
field injection (kept as headers), inputOutput, call activity in/out and
binding, user task assignment and forms, properties, multi-instance
collection. Java/script listeners are refused: nothing here runs Java or
scripts.
"""

from __future__ import annotations

import dataclasses
import re

from lxml import etree

from .camunda7_io import mappings, read_input_output
from .context import ElementDraft, ParseContext
from .expressions import (
    expression_expr,
    is_juel,
    value_expr,
    variable_expr,
)
from .model import CalledElement, Expr, FormField, IoMapping, TaskDefinition
from .xml import (
    CAMUNDA_NS,
    children_in,
    event_definitions_of,
    extension_children,
    first_bpmn_child,
    local,
    vendor_attr,
)

_RETRY_COUNT = re.compile(r"^R(\d+)/")
_JOB_TAGS = frozenset({"serviceTask", "sendTask", "businessRuleTask", "scriptTask"})
_MESSAGE_THROWS = frozenset({"intermediateThrowEvent", "endEvent"})


def _attr(el: etree._Element, name: str) -> str | None:
    value = vendor_attr(el, CAMUNDA_NS, name)
    return value.strip() if value is not None and value.strip() else None


def _ext(el: etree._Element, name: str) -> list[etree._Element]:
    return [c for c in extension_children(el, CAMUNDA_NS) if local(c) == name]


def add_properties(draft: ElementDraft, pairs: list[tuple[str, str]]) -> None:
    if pairs:
        draft["properties"] = tuple(draft.get("properties", ())) + tuple(pairs)


def read(ctx: ParseContext, el: etree._Element, draft: ElementDraft) -> None:
    tag = local(el)
    if _attr(el, "asyncBefore") == "true" or _attr(el, "async") == "true":
        draft["async_before"] = True
    if _attr(el, "asyncAfter") == "true":
        draft["async_after"] = True
    _listeners(ctx, el)
    add_properties(draft, _properties(el))
    read_input_output(ctx, el, draft)
    _task_definition(ctx, el, draft)
    if tag == "userTask":
        _user_task(ctx, el, draft)
    if tag == "callActivity":
        _call_activity(ctx, el, draft)
    _multi_instance(el, draft)
    _event_variables(el, draft)


def _listeners(ctx: ParseContext, el: etree._Element) -> None:
    for name in ("executionListener", "taskListener"):
        if _ext(el, name):
            ctx.problem(
                f"camunda:{name} is not supported (no Java or script listeners); model the work as a task",
                el,
            )


def _properties(el: etree._Element) -> list[tuple[str, str]]:
    pairs = []
    for block in _ext(el, "properties"):
        for prop in children_in(block, CAMUNDA_NS, "property"):
            pairs.append((prop.get("name") or prop.get("id") or "", prop.get("value") or ""))
    return pairs


# --- jobs ------------------------------------------------------------------------


def _task_definition(ctx: ParseContext, el: etree._Element, draft: ElementDraft) -> None:
    retry_cycle = None
    for cycle in _ext(el, "failedJobRetryTimeCycle"):
        retry_cycle = (cycle.text or "").strip() or None
    job_type = None
    holders = [el]
    if local(el) in _MESSAGE_THROWS:
        holders += [d for d in event_definitions_of(el) if local(d) == "messageEventDefinition"]
    if local(el) in _JOB_TAGS | _MESSAGE_THROWS:
        for holder in holders:
            job_type = job_type or _job_type(ctx, el, holder, draft)
    if job_type is None:
        if retry_cycle:
            add_properties(draft, [("camunda:failedJobRetryTimeCycle", retry_cycle)])
        return
    retries = Expr("3")
    match = _RETRY_COUNT.match(retry_cycle or "")
    if match:
        retries = Expr(match.group(1))
    priority = _attr(el, "taskPriority") or _attr(el, "jobPriority")
    draft["task"] = TaskDefinition(
        type=job_type,
        retries=retries,
        headers=_fields(holders),
        retry_time_cycle=retry_cycle,
        priority=value_expr(priority),
    )
    result_variable = _attr(el, "resultVariable")
    if result_variable:
        add_properties(draft, [("camunda:resultVariable", result_variable)])


def _job_type(ctx: ParseContext, el: etree._Element, holder: etree._Element, draft: ElementDraft) -> Expr | None:
    kind = _attr(holder, "type")
    if kind == "external":
        topic = _attr(holder, "topic")
        return value_expr(topic) if topic else None
    if kind is not None:
        ctx.problem(f"camunda:type '{kind}' is not supported (use external tasks)", el)
        return None
    for attribute in ("class", "delegateExpression", "expression"):
        value = _attr(holder, attribute)
        if value:
            return Expr(value, "static")
    for connector in _ext(holder, "connector"):
        ids = children_in(connector, CAMUNDA_NS, "connectorId")
        connector_id = (ids[0].text or "").strip() if ids else ""
        for block in children_in(connector, CAMUNDA_NS, "inputOutput"):
            inputs, outputs = mappings(ctx, el, block)
            draft["inputs"] = tuple(draft.get("inputs", ())) + inputs
            draft["outputs"] = tuple(draft.get("outputs", ())) + outputs
        if not connector_id:
            ctx.problem("camunda:connector has no connectorId", el)
            return None
        return Expr("http" if connector_id == "http-connector" else connector_id, "static")
    return None


def _fields(holders: list[etree._Element]) -> tuple[tuple[str, str], ...]:
    """camunda:field injection, kept as job headers (name, value or expression)."""
    headers = []
    for holder in holders:
        for field in _ext(holder, "field"):
            value = field.get("stringValue") or field.get("expression")
            for child in children_in(field, CAMUNDA_NS):
                value = (child.text or "").strip()
            headers.append((field.get("name") or "", value or ""))
    return tuple(headers)


# --- user tasks ------------------------------------------------------------------


def _user_task(ctx: ParseContext, el: etree._Element, draft: ElementDraft) -> None:
    fields = draft.setdefault("user_task_fields", {})
    for attribute, key in (
        ("assignee", "assignee"),
        ("candidateUsers", "candidate_users"),
        ("candidateGroups", "candidate_groups"),
        ("dueDate", "due_date"),
        ("followUpDate", "follow_up_date"),
        ("priority", "priority"),
    ):
        value = _attr(el, attribute)
        if value:
            fields[key] = value_expr(value)
    form_key = _attr(el, "formKey") or _attr(el, "formRef")
    if form_key:
        fields["form_key"] = form_key
    for attribute in ("formRefBinding", "formRefVersion"):
        value = _attr(el, attribute)
        if value:
            add_properties(draft, [(f"camunda:{attribute}", value)])
    form_fields = []
    for form in _ext(el, "formData"):
        form_fields += [_form_field(f) for f in children_in(form, CAMUNDA_NS, "formField")]
    if form_fields:
        fields["form_fields"] = tuple(form_fields)
    _potential_owner(el, fields)


def _form_field(field: etree._Element) -> FormField:
    values = tuple(
        (v.get("id") or "", v.get("name") or v.get("id") or "") for v in children_in(field, CAMUNDA_NS, "value")
    )
    constraints: list[tuple[str, str | None]] = []
    for validation in children_in(field, CAMUNDA_NS, "validation"):
        for constraint in children_in(validation, CAMUNDA_NS, "constraint"):
            constraints.append((constraint.get("name") or "", constraint.get("config")))
    properties = []
    for block in children_in(field, CAMUNDA_NS, "properties"):
        for prop in children_in(block, CAMUNDA_NS, "property"):
            properties.append((prop.get("id") or "", prop.get("value") or ""))
    return FormField(
        id=field.get("id") or "",
        label=field.get("label"),
        type=field.get("type") or "string",
        default_value=field.get("defaultValue"),
        values=values,
        constraints=tuple(constraints),
        properties=tuple(properties),
    )


def _potential_owner(el: etree._Element, fields: dict) -> None:
    """Standard potentialOwner "group(a), user(b)" as Camunda 7 reads it."""
    if "candidate_users" in fields or "candidate_groups" in fields:
        return
    users, groups = [], []
    for owner in el:
        if not isinstance(owner.tag, str) or local(owner) != "potentialOwner":
            continue
        assignment = first_bpmn_child(owner, "resourceAssignmentExpression")
        formal = first_bpmn_child(assignment, "formalExpression") if assignment is not None else None
        text = "".join(formal.itertext()).strip() if formal is not None else ""
        for part in (p.strip() for p in text.split(",") if p.strip()):
            if part.startswith("group(") and part.endswith(")"):
                groups.append(part[6:-1].strip())
            elif part.startswith("user(") and part.endswith(")"):
                users.append(part[5:-1].strip())
            else:
                users.append(part)
    if users:
        fields["candidate_users"] = Expr(",".join(users))
    if groups:
        fields["candidate_groups"] = Expr(",".join(groups))


# --- call activities, multi-instance, events -----------------------------------


def _call_activity(ctx: ParseContext, el: etree._Element, draft: ElementDraft) -> None:
    ins = _ext(el, "in")
    outs = _ext(el, "out")
    binding = _attr(el, "calledElementBinding")
    called = el.get("calledElement")
    if not called or (ctx.flavour == "bpmn" and not (ins or outs or binding)):
        return
    process_id = value_expr(called.strip())
    assert process_id is not None
    version = _attr(el, "calledElementVersion") or _attr(el, "calledElementVersionTag")
    in_mappings, all_in, business_key = _variable_mappings(ins)
    out_mappings, all_out, _ = _variable_mappings(outs)
    draft["called_element"] = CalledElement(
        process_id=process_id,
        binding=binding if binding in ("latest", "deployment", "version", "versionTag") else "latest",  # type: ignore[arg-type]
        version=version,
        # Camunda 7 passes no variables unless told to (variables="all" or one by one).
        propagate_all_child_variables=all_out,
        propagate_all_parent_variables=all_in,
        in_mappings=in_mappings,
        out_mappings=out_mappings,
        business_key=business_key,
    )


def _variable_mappings(
    elements: list[etree._Element],
) -> tuple[tuple[IoMapping, ...], bool, Expr | None]:
    mappings = []
    everything = False
    business_key = None
    for mapping in elements:
        if (mapping.get("variables") or "").strip() == "all":
            everything = True
        if mapping.get("businessKey"):
            business_key = expression_expr(mapping.get("businessKey"))
        target = (mapping.get("target") or "").strip()
        if mapping.get("sourceExpression"):
            source = expression_expr(mapping.get("sourceExpression"))
            if source is not None and target:
                mappings.append(IoMapping(source, target))
        elif mapping.get("source"):
            name = mapping.get("source", "").strip()
            mappings.append(IoMapping(variable_expr(name), target or name))
    return tuple(mappings), everything, business_key


def _multi_instance(el: etree._Element, draft: ElementDraft) -> None:
    loop = first_bpmn_child(el, "multiInstanceLoopCharacteristics")
    current = draft.get("multi_instance")
    if loop is None or current is None:
        return
    collection = _attr(loop, "collection")
    element_variable = _attr(loop, "elementVariable")
    changes: dict = {}
    if collection:
        # A plain name means "the variable of that name".
        changes["input_collection"] = expression_expr(collection) if is_juel(collection) else variable_expr(collection)
    if element_variable:
        changes["input_element"] = element_variable
    if changes:
        draft["multi_instance"] = dataclasses.replace(current, **changes)


def _event_variables(el: etree._Element, draft: ElementDraft) -> None:
    pairs = []
    for definition in event_definitions_of(el):
        for attribute in ("errorCodeVariable", "errorMessageVariable", "variableName"):
            value = _attr(definition, attribute)
            if value:
                pairs.append((f"camunda:{attribute}", value))
        events = _attr(definition, "variableEvents")
        if events:
            pairs.append(("camunda:variableEvents", events))
    add_properties(draft, pairs)
