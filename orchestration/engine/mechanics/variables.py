"""Variable scopes: lookup along the scope chain, propagation, local writes.

Scope keys: the process scope is the instance key; an element instance with
local variables (input mappings, subprocess scope) uses its own key.
"""

from __future__ import annotations

import copy
import uuid
from typing import Any

from ..state import ElementInstanceState, WorkingSet


def scope_chain(ws: WorkingSet, ei: ElementInstanceState | None) -> list[uuid.UUID]:
    """Scopes visible from an element instance, innermost first, root last."""
    chain: list[uuid.UUID] = []
    current = ei
    while current is not None:
        chain.append(current.key)
        current = ws.elements.get(current.scope_key) if current.scope_key else None
    chain.append(ws.root_scope)
    return chain


def context_for(ws: WorkingSet, ei: ElementInstanceState | None) -> dict[str, Any]:
    context: dict[str, Any] = {}
    for scope in reversed(scope_chain(ws, ei)):
        context.update(ws.variables.get(scope, {}))
    context["__business_key__"] = ws.instance.business_key
    return context


def set_local(ws: WorkingSet, scope: uuid.UUID, name: str, value: Any) -> None:
    ws.variables.setdefault(scope, {})[name] = value
    ws.changed_variables.add((scope, name))


def set_propagating(ws: WorkingSet, chain: list[uuid.UUID], name: str, value: Any) -> None:
    """Set where the variable already lives (innermost first), else on the process scope."""
    for scope in chain:
        if name in ws.variables.get(scope, {}):
            set_local(ws, scope, name, value)
            return
    set_local(ws, ws.root_scope, name, value)


def assign_path(
    ws: WorkingSet, chain: list[uuid.UUID], target: str, value: Any, *, local_scope: uuid.UUID | None
) -> None:
    """Assign to `a` or a nested `a.b.c` (creating contexts on the way)."""
    head, _, rest = target.partition(".")
    if rest:
        current = None
        for scope in [local_scope] if local_scope else chain:
            if head in ws.variables.get(scope, {}):
                current = ws.variables[scope][head]
                break
        container = copy.deepcopy(current) if isinstance(current, dict) else {}
        node = container
        parts = rest.split(".")
        for part in parts[:-1]:
            child = node.get(part)
            if not isinstance(child, dict):
                child = {}
                node[part] = child
            node = child
        node[parts[-1]] = value
        value = container
    if local_scope is not None:
        set_local(ws, local_scope, head, value)
    else:
        set_propagating(ws, chain, head, value)


def drop_scope(ws: WorkingSet, scope: uuid.UUID) -> None:
    """Local variables end with their element instance."""
    if scope in ws.variables and scope != ws.root_scope:
        del ws.variables[scope]
        ws.changed_variables = {(s, n) for (s, n) in ws.changed_variables if s != scope}
        ws.dropped_scopes.add(scope)
