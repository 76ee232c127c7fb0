"""The working set: one process instance's live state, in memory.

The store loads it from the database (or a test/benchmark builds it in
memory), the runner mutates it, and the store writes back what changed. The
engine never touches the ORM.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from . import lifecycle


@dataclass
class ElementInstanceState:
    key: uuid.UUID
    element_id: str
    element_type: str
    scope_key: uuid.UUID | None  # enclosing subprocess element instance; None = process level
    state: str = lifecycle.ACTIVE
    incoming_flow: str = ""
    payload: dict[str, Any] = field(default_factory=dict)
    started_at: datetime | None = None
    ended_at: datetime | None = None
    is_new: bool = False
    is_dirty: bool = False

    @property
    def is_active(self) -> bool:
        return self.state == lifecycle.ACTIVE

    def add_wait(self, kind: str) -> None:
        """Remember which rows wait on this instance, so ending it closes exactly those."""
        waits = self.payload.setdefault("waits", [])
        if kind not in waits:
            waits.append(kind)
            self.is_dirty = True


@dataclass
class JobSpec:
    key: uuid.UUID
    element_instance_key: uuid.UUID
    element_id: str
    type: str
    retries: int
    headers: dict[str, str]
    retry_time_cycle: str = ""
    priority: int = 0
    # set when a worker ran this job inside the command that created it (local handler)
    completed_by: str = ""


@dataclass
class TimerSpec:
    key: uuid.UUID
    element_instance_key: uuid.UUID | None
    element_id: str
    due_at: datetime
    repetitions: int = 0
    cycle: str = ""


@dataclass
class SubscriptionSpec:
    key: uuid.UUID
    element_instance_key: uuid.UUID
    element_id: str
    message_name: str
    correlation_key: str


@dataclass
class SignalSubscriptionSpec:
    """A wait for a broadcast signal; element_instance_key owns it (the instance key
    for the process scope), element_id is the element the signal triggers."""

    key: uuid.UUID
    element_instance_key: uuid.UUID
    element_id: str
    signal_name: str


@dataclass
class UserTaskSpec:
    key: uuid.UUID
    element_instance_key: uuid.UUID
    element_id: str
    name: str
    assignee: str
    candidate_users: list[str]
    candidate_groups: list[str]
    due_date: datetime | None
    follow_up_date: datetime | None
    priority: int
    form_key: str
    form: Any


@dataclass
class IncidentSpec:
    key: uuid.UUID
    element_instance_key: uuid.UUID
    element_id: str
    type: str
    message: str
    details: str = ""
    job_key: uuid.UUID | None = None


@dataclass
class CallSpec:
    """A child instance a call activity starts (the services resolve the definition and start it)."""

    key: uuid.UUID
    element_instance_key: uuid.UUID
    element_id: str
    process_id: str
    binding: str
    version: str
    variables: dict[str, Any]
    business_key: str = ""


@dataclass
class AuditSpec:
    type: str
    element_id: str = ""
    element_instance_key: uuid.UUID | None = None
    data: dict[str, Any] = field(default_factory=dict)
    at: datetime | None = None


@dataclass
class InstanceState:
    key: uuid.UUID
    bpmn_process_id: str
    business_key: str = ""
    state: str = "active"  # active, completed, cancelled
    started_at: datetime | None = None
    ended_at: datetime | None = None
    incident_delta: int = 0
    is_new: bool = False
    # process-scope bookkeeping (compensation records, event subprocess state, ...)
    payload: dict[str, Any] = field(default_factory=dict)
    payload_dirty: bool = False


@dataclass
class WorkingSet:
    """Everything a command may read or change for one instance.

    Variables are keyed by scope: the process scope's key is the instance key,
    a subprocess or task with local variables uses its element instance key.
    """

    instance: InstanceState
    elements: dict[uuid.UUID, ElementInstanceState] = field(default_factory=dict)
    variables: dict[uuid.UUID, dict[str, Any]] = field(default_factory=dict)
    changed_variables: set[tuple[uuid.UUID, str]] = field(default_factory=set)
    dropped_scopes: set[uuid.UUID] = field(default_factory=set)
    new_jobs: list[JobSpec] = field(default_factory=list)
    new_timers: list[TimerSpec] = field(default_factory=list)
    new_subscriptions: list[SubscriptionSpec] = field(default_factory=list)
    new_user_tasks: list[UserTaskSpec] = field(default_factory=list)
    new_incidents: list[IncidentSpec] = field(default_factory=list)
    # call activities: children to start, and notices for the parent instance
    # (an uncaught error to propagate); the services handle both around the save
    new_calls: list[CallSpec] = field(default_factory=list)
    to_parent: list[dict[str, Any]] = field(default_factory=list)
    # element instances whose waits (jobs, timers, subscriptions, user tasks,
    # incidents) must be closed because the element ended or was terminated
    closed_waits: set[uuid.UUID] = field(default_factory=set)
    audit: list[AuditSpec] = field(default_factory=list)
    new_signal_subscriptions: list[SignalSubscriptionSpec] = field(default_factory=list)
    # (owner key, element id): timers/subscriptions of one catch element closed while
    # their owner stays active (the other event subprocess starts of an interrupted scope)
    closed_element_waits: set[tuple[uuid.UUID, str]] = field(default_factory=set)
    # signals thrown by this command: (name, variables), broadcast after it commits
    signals_to_broadcast: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    @property
    def root_scope(self) -> uuid.UUID:
        return self.instance.key

    def active_children(self, scope_key: uuid.UUID | None) -> list[ElementInstanceState]:
        return [e for e in self.elements.values() if e.scope_key == scope_key and e.is_active]

    def active_elements(self) -> list[ElementInstanceState]:
        return [e for e in self.elements.values() if e.is_active]
