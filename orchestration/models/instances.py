from __future__ import annotations

from django.db import models

from ..keys import new_key
from .definitions import ProcessDefinition


class ProcessInstance(models.Model):
    class State(models.TextChoices):
        ACTIVE = "active"
        COMPLETED = "completed"
        CANCELLED = "cancelled"

    key = models.UUIDField(primary_key=True, default=new_key, editable=False)
    definition = models.ForeignKey(ProcessDefinition, on_delete=models.PROTECT, related_name="instances")
    bpmn_process_id = models.CharField(max_length=255)
    business_key = models.CharField(max_length=255, blank=True, db_index=True)
    state = models.CharField(max_length=16, choices=State.choices, default=State.ACTIVE)
    incident_count = models.PositiveIntegerField(default=0)
    suspended = models.BooleanField(default=False)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children")
    parent_element_instance_key = models.UUIDField(null=True, blank=True)
    root_key = models.UUIDField(null=True, blank=True, db_index=True)
    started_by = models.CharField(max_length=150, blank=True)
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    # process-scope engine bookkeeping (compensation records, ...)
    payload = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-started_at"]
        indexes = [
            models.Index(fields=["state", "definition"], name="pi_state_def"),
            # the instance list filtered by process (and state), newest first: read in index order
            models.Index(fields=["bpmn_process_id", "state", "started_at", "key"], name="pi_process_state_started"),
            models.Index(fields=["bpmn_process_id", "started_at", "key"], name="pi_process_started"),
            # open incidents per definition (dashboard) join on the key without reading the table
            models.Index(fields=["key"], include=["definition"], name="pi_key_definition"),
            models.Index(fields=["started_at"], name="pi_started"),
            models.Index(fields=["ended_at"], name="pi_ended"),  # dashboard throughput, sort by end
        ]

    def __str__(self) -> str:
        return f"{self.bpmn_process_id} {self.key}"

    @property
    def is_active(self) -> bool:
        return self.state == self.State.ACTIVE


class ElementInstance(models.Model):
    """One activation of a flow node (and the scope of a subprocess).

    Completed and terminated rows are kept: they are the path taken.
    """

    class State(models.TextChoices):
        ACTIVE = "active"
        COMPLETED = "completed"
        TERMINATED = "terminated"

    key = models.UUIDField(primary_key=True, default=new_key, editable=False)
    # no index of its own: the (instance, state) index serves lookups by instance
    instance = models.ForeignKey(
        ProcessInstance, on_delete=models.CASCADE, related_name="element_instances", db_index=False
    )
    element_id = models.CharField(max_length=255)
    element_type = models.CharField(max_length=64)
    scope_key = models.UUIDField(null=True, blank=True)
    state = models.CharField(max_length=16, choices=State.choices, default=State.ACTIVE)
    incoming_flow = models.CharField(max_length=255, blank=True)
    payload = models.JSONField(default=dict, blank=True)
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["started_at"]
        indexes = [
            models.Index(fields=["instance", "state"], name="ei_instance_state"),
            models.Index(fields=["element_id", "state"], name="ei_element_state"),
        ]

    def __str__(self) -> str:
        return f"{self.element_id} ({self.state})"


class Variable(models.Model):
    """A variable in a scope. The process scope's key is the instance key."""

    # no index of its own: the unique (instance, scope_key, name) index serves lookups by instance
    instance = models.ForeignKey(ProcessInstance, on_delete=models.CASCADE, related_name="variables", db_index=False)
    scope_key = models.UUIDField()
    name = models.CharField(max_length=255)
    value = models.JSONField(null=True)
    # A short text form of scalar values, indexed for search ("orderId=ORD-1").
    value_text = models.CharField(max_length=255, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["instance", "scope_key", "name"], name="uniq_variable_scope_name")
        ]
        indexes = [models.Index(fields=["name", "value_text"], name="var_name_text")]

    def __str__(self) -> str:
        return f"{self.name}={self.value_text}"
