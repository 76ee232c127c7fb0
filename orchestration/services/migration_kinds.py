"""Human names for the element kinds migration compares (``migration.element_kind``).

``element_kind`` returns the comparison key ("exclusiveGateway", "message receiveTask",
"job task (parallel multi-instance)"); people read ``kind_label`` of it ("exclusive gateway",
"receive task (message)", ...). This is the one mapping: the migration page, the mapping
errors and the eligibility reasons all go through it.
"""

from __future__ import annotations

import re

TYPE_NAMES = {
    "startEvent": "start event",
    "endEvent": "end event",
    "intermediateCatchEvent": "intermediate catch event",
    "intermediateThrowEvent": "intermediate throw event",
    "boundaryEvent": "boundary event",
    "task": "task",
    "manualTask": "manual task",
    "userTask": "user task",
    "serviceTask": "service task",
    "sendTask": "send task",
    "receiveTask": "receive task",
    "scriptTask": "script task",
    "businessRuleTask": "business rule task",
    "callActivity": "call activity",
    "subProcess": "subprocess",
    "transaction": "transaction subprocess",
    "exclusiveGateway": "exclusive gateway",
    "parallelGateway": "parallel gateway",
    "inclusiveGateway": "inclusive gateway",
    "eventBasedGateway": "event-based gateway",
}

# kinds element_kind already names in words
WORD_KINDS = frozenset({"job task", "user task", "job worker user task", "event subprocess"})

_MULTI_INSTANCE = (" (sequential multi-instance)", " (parallel multi-instance)")


def _words(camel: str) -> str:
    """A BPMN type this table does not know, as words ("fooBarTask" -> "foo bar task")."""
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", camel).lower()


def kind_label(kind: str) -> str:
    """``element_kind``'s key in words: "message receiveTask" -> "receive task (message)"."""
    suffix = next((s for s in _MULTI_INSTANCE if kind.endswith(s)), "")
    base = kind[: len(kind) - len(suffix)] if suffix else kind
    event, _, element_type = base.rpartition(" ")
    if base in WORD_KINDS or not base:
        label = base
    elif element_type in TYPE_NAMES:
        name = TYPE_NAMES[element_type]
        label = f"{name} ({event})" if event else name
    else:
        label = f"{_words(element_type)} ({event})" if event else _words(element_type)
    if suffix:
        # "user task (parallel multi-instance)"; with an event part, join the two notes
        label = f"{label[:-1]}, {suffix.strip()[1:]}" if label.endswith(")") else f"{label}{suffix}"
    return label
