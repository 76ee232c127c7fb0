"""Camunda 8 extensions (zeebe: namespace).

Reads, on one flow node: taskDefinition and taskHeaders (a job), ioMapping,
calledElement, native user task marker, forms (linked or embedded
userTaskForm), assignment, schedule, priority, zeebe:script,
loopCharacteristics and properties. zeebe:calledDecision (DMN) is refused.
Unknown zeebe elements are ignored.
"""

from __future__ import annotations

import dataclasses

from lxml import etree

from .camunda7 import add_properties
from .context import ElementDraft, ParseContext
from .expressions import expression_expr, value_expr
from .model import CalledElement, Expr, IoMapping, ScriptDefinition, TaskDefinition
from .xml import ZEEBE_NS, children_in, extension_children, first_bpmn_child, local

FORM_KEY_PREFIX = "camunda-forms:bpmn:"


def _ext(el: etree._Element) -> dict[str, etree._Element]:
    found: dict[str, etree._Element] = {}
    for child in extension_children(el, ZEEBE_NS):
        found.setdefault(local(child), child)
    return found


def _get(el: etree._Element, name: str) -> str | None:
    value = el.get(name)
    return value.strip() if value is not None and value.strip() else None


def _flag(el: etree._Element, name: str, default: bool) -> bool:
    value = _get(el, name)
    return default if value is None else value.lower() == "true"


def read(ctx: ParseContext, el: etree._Element, draft: ElementDraft) -> None:
    ext = _ext(el)
    headers = _headers(ext.get("taskHeaders"))
    if "taskDefinition" in ext:
        _task_definition(ext["taskDefinition"], headers, draft)
    elif headers:
        add_properties(draft, list(headers))
    for listeners in ("executionListeners", "taskListeners"):
        if listeners in ext:
            ctx.problem(f"zeebe:{listeners} are not supported; model the work as a task", el)
    if "ioMapping" in ext:
        _io_mapping(ext["ioMapping"], draft)
    if "calledElement" in ext:
        _called_element(ext["calledElement"], draft)
    if local(el) == "userTask":
        _user_task(ctx, ext, draft)
    if "script" in ext and local(el) == "scriptTask":
        _script(ext["script"], draft)
    if "properties" in ext:
        add_properties(
            draft,
            [(p.get("name") or "", p.get("value") or "") for p in children_in(ext["properties"], ZEEBE_NS, "property")],
        )
    _loop(el, draft)


def _headers(block: etree._Element | None) -> tuple[tuple[str, str], ...]:
    if block is None:
        return ()
    return tuple((h.get("key") or "", h.get("value") or "") for h in children_in(block, ZEEBE_NS, "header"))


def _task_definition(
    definition: etree._Element,
    headers: tuple[tuple[str, str], ...],
    draft: ElementDraft,
) -> None:
    job_type = value_expr(_get(definition, "type"))
    if job_type is None:
        return  # validation reports the missing implementation
    draft["task"] = TaskDefinition(
        type=job_type,
        retries=value_expr(_get(definition, "retries")) or Expr("3"),
        headers=headers,
    )


def _io_mapping(block: etree._Element, draft: ElementDraft) -> None:
    def mappings(tag: str) -> tuple[IoMapping, ...]:
        found = []
        for mapping in children_in(block, ZEEBE_NS, tag):
            target = _get(mapping, "target")
            if target is None:
                continue
            source = value_expr(mapping.get("source")) or Expr("null", "feel")
            found.append(IoMapping(source, target))
        return tuple(found)

    draft["inputs"] = mappings("input")
    draft["outputs"] = mappings("output")


def _called_element(called: etree._Element, draft: ElementDraft) -> None:
    process_id = value_expr(_get(called, "processId"))
    if process_id is None:
        return  # validation reports a call activity without a called element
    binding = _get(called, "bindingType") or "latest"
    draft["called_element"] = CalledElement(
        process_id=process_id,
        binding=binding if binding in ("latest", "deployment", "versionTag") else "latest",  # type: ignore[arg-type]
        version=_get(called, "versionTag"),
        propagate_all_child_variables=_flag(called, "propagateAllChildVariables", True),
        propagate_all_parent_variables=_flag(called, "propagateAllParentVariables", True),
    )


def _user_task(ctx: ParseContext, ext: dict[str, etree._Element], draft: ElementDraft) -> None:
    fields = draft.setdefault("user_task_fields", {})
    if "userTask" in ext:
        add_properties(draft, [("zeebe:userTask", "true")])
    form = ext.get("formDefinition")
    if form is not None:
        key = _get(form, "formKey") or _get(form, "formId") or _get(form, "externalReference")
        if key:
            fields["form_key"] = key
        if _get(form, "formId"):
            add_properties(draft, [("zeebe:formId", _get(form, "formId") or "")])
        if key and key.startswith(FORM_KEY_PREFIX):
            fields["form_json"] = ctx.forms.get(key[len(FORM_KEY_PREFIX) :])
    for tag, attribute, key in (
        ("assignmentDefinition", "assignee", "assignee"),
        ("assignmentDefinition", "candidateUsers", "candidate_users"),
        ("assignmentDefinition", "candidateGroups", "candidate_groups"),
        ("taskSchedule", "dueDate", "due_date"),
        ("taskSchedule", "followUpDate", "follow_up_date"),
        ("priorityDefinition", "priority", "priority"),
    ):
        value = _get(ext[tag], attribute) if tag in ext else None
        if value is not None:
            fields[key] = value_expr(value)


def _script(script: etree._Element, draft: ElementDraft) -> None:
    expr = expression_expr(script.get("expression"))
    if expr is not None:
        draft["script"] = ScriptDefinition(expr, _get(script, "resultVariable"))


def _loop(el: etree._Element, draft: ElementDraft) -> None:
    loop = first_bpmn_child(el, "multiInstanceLoopCharacteristics")
    current = draft.get("multi_instance")
    if loop is None or current is None:
        return
    characteristics = _ext(loop).get("loopCharacteristics")
    if characteristics is None:
        return
    changes: dict = {}
    for attribute, key, convert in (
        ("inputCollection", "input_collection", value_expr),
        ("inputElement", "input_element", str),
        ("outputCollection", "output_collection", str),
        ("outputElement", "output_element", value_expr),
    ):
        value = _get(characteristics, attribute)
        if value is not None:
            changes[key] = convert(value)
    if changes:
        draft["multi_instance"] = dataclasses.replace(current, **changes)


def collect_forms(root: etree._Element) -> dict[str, str]:
    """Embedded zeebe:userTaskForm bodies anywhere in the file, by id."""
    forms = {}
    for form in root.iter(f"{{{ZEEBE_NS}}}userTaskForm"):
        if form.get("id"):
            forms[form.get("id")] = (form.text or "").strip()
    return forms
