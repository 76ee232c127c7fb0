"""Variable scopes for evaluation: the caller's context at the root, then one
small dict per iteration variable, filter item or context literal."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .values import to_internal

MISSING: Any = object()


class RootScope:
    """The caller's context. Values are converted to the internal representation
    on first use and cached, so a large variable is converted once per evaluation."""

    def __init__(self, context: Mapping[str, Any]) -> None:
        self._context = context
        self._converted: dict[str, Any] = {}

    def lookup(self, name: str) -> Any:
        if name in self._converted:
            return self._converted[name]
        if name not in self._context:
            return MISSING
        value = to_internal(self._context[name])
        self._converted[name] = value
        return value


class Scope:
    """A layer of local variables on top of a parent scope."""

    def __init__(self, variables: Mapping[str, Any], parent: Scope | RootScope) -> None:
        self._variables = variables
        self._parent = parent

    def lookup(self, name: str) -> Any:
        if name in self._variables:
            return self._variables[name]
        return self._parent.lookup(name)

    @property
    def root(self) -> RootScope:
        parent = self._parent
        while isinstance(parent, Scope):
            parent = parent._parent
        return parent


AnyScope = Scope | RootScope
