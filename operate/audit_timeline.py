"""The instance page's audit timeline: human labels and groups for event types, the filter
read from GET parameters, and the display of event data (shortened; variable edits as a diff).

One mapping (``EVENT_TYPES``) names every event type the engine and the services write:
its label on screen and the filter group it belongs to. A type not in it is shown by its raw
name and only appears in the unfiltered timeline.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest

TOKENS = "tokens"
VARIABLES = "variables"
INCIDENTS = "incidents"
JOBS = "jobs"
EVENTS = "events"
OPERATOR = "operator"

GROUPS: dict[str, str] = {
    TOKENS: "Tokens",
    VARIABLES: "Variables",
    INCIDENTS: "Incidents",
    JOBS: "Jobs",
    EVENTS: "Messages, timers, signals",
    OPERATOR: "Operator actions",
}

# type -> (label, groups)
EVENT_TYPES: dict[str, tuple[str, tuple[str, ...]]] = {
    "instance_started": ("Instance started", (TOKENS,)),
    "instance_completed": ("Instance completed", (TOKENS,)),
    "instance_cancelled": ("Instance cancelled", (TOKENS, OPERATOR)),
    "instance_suspended": ("Instance suspended", (OPERATOR,)),
    "instance_resumed": ("Instance resumed", (OPERATOR,)),
    "instance_modified": ("Tokens modified", (TOKENS, OPERATOR)),
    "instance_migrated": ("Migrated to another version", (OPERATOR,)),
    "operator_reason": ("Operator's reason", (OPERATOR,)),
    "element_activated": ("Element activated", (TOKENS,)),
    "element_completed": ("Element completed", (TOKENS,)),
    "element_terminated": ("Element terminated", (TOKENS,)),
    "element_triggered": ("Element triggered", (TOKENS,)),
    "sequence_flow_taken": ("Sequence flow taken", (TOKENS,)),
    "gateway_joined": ("Gateway joined", (TOKENS,)),
    "event_gateway_triggered": ("Event gateway triggered", (TOKENS,)),
    "condition_failed": ("Condition failed", (TOKENS,)),
    "condition_met": ("Condition met", (TOKENS,)),
    "condition_waiting": ("Waiting for a condition", (TOKENS,)),
    "link_followed": ("Link followed", (TOKENS,)),
    "boundary_triggered": ("Boundary event triggered", (TOKENS,)),
    "event_subprocess_started": ("Event subprocess started", (TOKENS,)),
    "multi_instance_started": ("Multi-instance started", (TOKENS,)),
    "multi_instance_completion_condition_met": ("Multi-instance completion condition met", (TOKENS,)),
    "call_activity_called": ("Called another process", (TOKENS,)),
    "waiting_for_trigger": ("Waiting for a trigger", (TOKENS,)),
    "compensation_thrown": ("Compensation thrown", (TOKENS,)),
    "compensation_started": ("Compensation started", (TOKENS,)),
    "compensation_recorded": ("Compensation recorded", (TOKENS,)),
    "activity_compensated": ("Activity compensated", (TOKENS,)),
    "variables_set": ("Variables set", (VARIABLES,)),
    "variables_updated": ("Variables updated", (VARIABLES, OPERATOR)),
    "incident_created": ("Incident raised", (INCIDENTS,)),
    "incident_resolved": ("Incident resolved", (INCIDENTS, OPERATOR)),
    "job_created": ("Job created", (JOBS,)),
    "job_completed": ("Job completed", (JOBS,)),
    "job_failed": ("Job failed", (JOBS,)),
    "job_error_thrown": ("Job threw a BPMN error", (JOBS,)),
    "job_retries_set": ("Job retries set", (JOBS, OPERATOR)),
    "job_unlocked": ("Job unlocked", (JOBS,)),
    "error_thrown": ("Error thrown", (EVENTS,)),
    "error_propagated": ("Error propagated", (EVENTS,)),
    "escalation_thrown": ("Escalation thrown", (EVENTS,)),
    "message_subscribed": ("Waiting for a message", (EVENTS,)),
    "message_correlated": ("Message correlated", (EVENTS,)),
    "timer_scheduled": ("Timer scheduled", (EVENTS,)),
    "timer_fired": ("Timer fired", (EVENTS,)),
    "signal_subscribed": ("Waiting for a signal", (EVENTS,)),
    "signal_received": ("Signal received", (EVENTS,)),
    "signal_thrown": ("Signal thrown", (EVENTS,)),
    "user_task_created": ("User task created", (TOKENS,)),
    "user_task_completed": ("User task completed", (TOKENS,)),
    "user_task_commented": ("User task commented", (OPERATOR,)),
    "user_task_dates_changed": ("User task dates changed", (OPERATOR,)),
}

# event data and diff values are cut to this many characters on the page
DATA_PREVIEW_CHARS = 2000
DIFF_VALUE_CHARS = 120


def event_label(event_type: str) -> str:
    """The human label of an event type; the raw name when the mapping does not know it."""
    known = EVENT_TYPES.get(event_type)
    return known[0] if known else event_type


def types_in_group(group: str) -> list[str]:
    return sorted(t for t, (_, groups) in EVENT_TYPES.items() if group in groups)


@dataclass(frozen=True)
class AuditFilter:
    """The timeline filter from the query string (``audit_group``, ``audit_element``, ``audit_actor``);
    unknown groups are ignored."""

    group: str = ""
    element: str = ""
    actor: str = ""

    @classmethod
    def from_request(cls, request: HttpRequest) -> AuditFilter:
        group = request.GET.get("audit_group", "").strip()
        return cls(
            group=group if group in GROUPS else "",
            element=request.GET.get("audit_element", "").strip()[:255],
            actor=request.GET.get("audit_actor", "").strip()[:150],
        )

    @property
    def is_empty(self) -> bool:
        return not (self.group or self.element or self.actor)

    @property
    def types(self) -> list[str] | None:
        """The event types the group allows; None for every type."""
        return types_in_group(self.group) if self.group else None


def shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def compact_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(", ", ": "), default=str)


@dataclass(frozen=True)
class Change:
    """One variable of a ``variables_updated`` diff, as text for the page."""

    name: str
    old: str
    new: str
    created: bool
    masked: bool


def variable_changes(data: Any) -> list[Change]:
    """The ``diff`` of a ``variables_updated`` event ({name: {old, new, created}}) as short
    old -> new texts; empty for any other data. Masked entries (``access.mask_audit_data``)
    keep their mask."""
    if not isinstance(data, dict) or not isinstance(data.get("diff"), dict):
        return []
    changes = []
    for name, change in sorted(data["diff"].items()):
        if not isinstance(change, dict):
            change = {"new": change}
        masked = bool(change.get("masked"))
        if masked:  # the mask itself, not JSON
            old = new = str(change.get("new"))
        else:
            old = shorten(compact_json(change.get("old")), DIFF_VALUE_CHARS)
            new = shorten(compact_json(change.get("new")), DIFF_VALUE_CHARS)
        changes.append(
            Change(
                name=str(name),
                old=old,
                new=new,
                created=bool(change.get("created")),
                masked=masked,
            )
        )
    return changes
