"""Element instance lifecycle as data: states and the transitions allowed between them.

An element instance is ACTIVE from activation until it completes or is
terminated; both end states are final. The runner checks every transition
against this table, so a behaviour bug (completing a terminated task, say)
fails loudly instead of corrupting an instance.
"""

from __future__ import annotations

ACTIVE = "active"
COMPLETED = "completed"
TERMINATED = "terminated"

TRANSITIONS: dict[str, frozenset[str]] = {
    ACTIVE: frozenset({COMPLETED, TERMINATED}),
    COMPLETED: frozenset(),
    TERMINATED: frozenset(),
}


class IllegalTransition(RuntimeError):
    pass


def check_transition(current: str, target: str, element_id: str) -> None:
    if target not in TRANSITIONS[current]:
        raise IllegalTransition(f"element '{element_id}' cannot go from {current} to {target}")
