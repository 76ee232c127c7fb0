"""Reads of the Camunda 7 layer (selectors): variables visible from a scope, element names."""

from __future__ import annotations

import uuid
from typing import Any

from ...models import ElementInstance, ProcessDefinition, Variable
from ...services import process_for


def scope_chain(instance_key: uuid.UUID, scope_key: uuid.UUID | None) -> list[uuid.UUID]:
    """The scope and each enclosing scope up to the process (innermost first)."""
    parents = dict(ElementInstance.objects.filter(instance_id=instance_key).values_list("key", "scope_key"))
    chain: list[uuid.UUID] = []
    scope = scope_key
    while scope is not None and scope not in chain and scope != instance_key:
        chain.append(scope)
        scope = parents.get(scope)
    chain.append(instance_key)
    return chain


def visible_variables(instance_key: uuid.UUID, scope_key: uuid.UUID | None, *, local: bool = False) -> dict[str, Any]:
    """Name -> value as seen from a scope: an inner scope's variable hides an outer one's."""
    chain = [scope_key or instance_key] if local else scope_chain(instance_key, scope_key)
    depth = {key: i for i, key in enumerate(chain)}
    rows = Variable.objects.filter(instance_id=instance_key, scope_key__in=chain).values_list(
        "scope_key", "name", "value"
    )
    found: dict[str, tuple[int, Any]] = {}
    for scope, name, value in rows:
        d = depth[scope]
        if name not in found or d < found[name][0]:
            found[name] = (d, value)
    return {name: value for name, (_, value) in found.items()}


def process_variables(instance_key: uuid.UUID) -> dict[str, Any]:
    return dict(Variable.objects.filter(instance_id=instance_key, scope_key=instance_key).values_list("name", "value"))


def element_names(definition: ProcessDefinition) -> dict[str, str]:
    """Element id -> name (elements without a name are left out)."""
    try:
        process = process_for(definition)
    except Exception:  # noqa: BLE001 - names are decoration; a definition that no longer parses has none
        return {}
    return {element_id: element.name for element_id, element in process.elements.items() if element.name}


def extension_properties(definition: ProcessDefinition, element_id: str) -> dict[str, str]:
    """camunda:properties of an element (the engine's own camunda:* entries left out)."""
    try:
        element = process_for(definition).elements.get(element_id)
    except Exception:  # noqa: BLE001 - decoration, as above
        return {}
    pairs = getattr(element, "properties", None) or ()
    return {str(k): str(v) for k, v in pairs if not str(k).startswith("camunda:")}
