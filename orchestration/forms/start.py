"""The start form of a process: its none start event's ``camunda:formData`` (Camunda 7) or
``zeebe:formDefinition`` pointing at an embedded ``zeebe:userTaskForm`` (Camunda 8).

The parser keeps forms for user tasks only, so this reads the deployed XML again with the
same hardened loader and field reader. Cached per definition key (definitions are
immutable).
"""

from __future__ import annotations

import functools
import json
from typing import Any

from ..bpmn import camunda7, camunda8
from ..bpmn.errors import BpmnError
from ..bpmn.xml import CAMUNDA_NS, ZEEBE_NS, children_in, event_definitions_of, extension_children, load_xml, local
from ..conf import setting


def start_form_of(definition: Any) -> dict[str, Any] | None:
    """The start event's form as ``form_of`` shapes a task's, or None."""
    return _start_form(str(definition.key), definition.bpmn_process_id, definition.deployment.xml)


@functools.lru_cache(maxsize=128)
def _start_form(key: str, process_id: str, xml: str) -> dict[str, Any] | None:
    try:
        root = load_xml(xml, max_bytes=setting("MAX_XML_BYTES"), max_depth=200, max_elements=200_000)
    except BpmnError:
        return None
    process = next(
        (p for p in root.iter() if isinstance(p.tag, str) and local(p) == "process" and p.get("id") == process_id),
        None,
    )
    if process is None:
        return None
    for child in process:
        if not isinstance(child.tag, str) or local(child) != "startEvent" or event_definitions_of(child):
            continue
        form = _camunda7(child) or _camunda8(root, child)
        if form:
            return form
    return None


def _camunda7(start: Any) -> dict[str, Any] | None:
    fields = []
    for block in extension_children(start, CAMUNDA_NS):
        if local(block) == "formData":
            fields += [camunda7._form_field(f) for f in children_in(block, CAMUNDA_NS, "formField")]
    if not fields:
        return None
    return {
        "flavour": "camunda7",
        "fields": [
            {
                "id": f.id,
                "label": f.label or f.id,
                "type": f.type,
                "defaultValue": f.default_value,
                "values": [{"id": v, "name": n} for v, n in f.values],
                "validation": [{"name": n, "config": c} for n, c in f.constraints],
                "properties": dict(f.properties),
            }
            for f in fields
        ],
    }


def _camunda8(root: Any, start: Any) -> dict[str, Any] | None:
    for block in extension_children(start, ZEEBE_NS):
        if local(block) != "formDefinition":
            continue
        key = block.get("formKey") or ""
        if not key.startswith(camunda8.FORM_KEY_PREFIX):
            continue
        body = camunda8.collect_forms(root).get(key[len(camunda8.FORM_KEY_PREFIX) :])
        try:
            return {"flavour": "camunda8", "schema": json.loads(body)} if body else None
        except ValueError:
            return None
    return None
