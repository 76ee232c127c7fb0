from __future__ import annotations

from django.db import models

from ..keys import new_key
from .definitions import ProcessDefinition
from .instances import ProcessInstance


class Job(models.Model):
    """A unit of work for a handler (Celery) or an external worker.

    The database is the queue: workers claim a job with a conditional UPDATE
    (state ACTIVATABLE -> LOCKED) and hold it until lock_expires_at.
    """

    class State(models.TextChoices):
        ACTIVATABLE = "activatable"
        LOCKED = "locked"
        FAILED = "failed"  # no retries left: an incident is open
        COMPLETED = "completed"
        ERROR_THROWN = "error_thrown"
        CANCELLED = "cancelled"

    OPEN_STATES = (State.ACTIVATABLE, State.LOCKED, State.FAILED)

    key = models.UUIDField(primary_key=True, default=new_key, editable=False)
    instance = models.ForeignKey(ProcessInstance, on_delete=models.CASCADE, related_name="jobs")
    # jobs are never looked up by definition on the hot path; skip the index
    definition = models.ForeignKey(ProcessDefinition, on_delete=models.PROTECT, related_name="+", db_index=False)
    bpmn_process_id = models.CharField(max_length=255)
    business_key = models.CharField(max_length=255, blank=True)
    element_instance_key = models.UUIDField()
    element_id = models.CharField(max_length=255)
    type = models.CharField(max_length=255)
    internal = models.BooleanField(default=False, help_text="run by a registered Python handler")
    state = models.CharField(max_length=16, choices=State.choices, default=State.ACTIVATABLE)
    retries = models.IntegerField(default=3)
    retry_at = models.DateTimeField(null=True, blank=True)
    retry_time_cycle = models.CharField(max_length=64, blank=True)
    priority = models.IntegerField(default=0)
    headers = models.JSONField(default=dict, blank=True)
    lock_owner = models.CharField(max_length=255, blank=True)
    lock_expires_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0, help_text="times claimed by a worker")
    dispatched_at = models.DateTimeField(null=True, blank=True)
    error_message = models.TextField(blank=True)
    error_details = models.TextField(blank=True)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["created_at"]
        indexes = [
            models.Index(fields=["type", "state", "retry_at"], name="job_fetch"),
            models.Index(fields=["state", "lock_expires_at"], name="job_lock_expiry"),
            models.Index(fields=["element_instance_key"], name="job_element_instance"),
        ]

    def __str__(self) -> str:
        return f"job {self.type} {self.key} ({self.state})"


class Timer(models.Model):
    """A timer waiting for its due time.

    Instance timers belong to an element instance; timer start events belong to
    a definition only (instance is null) and create an instance when they fire.
    """

    class State(models.TextChoices):
        SCHEDULED = "scheduled"
        FIRING = "firing"
        FIRED = "fired"
        CANCELLED = "cancelled"

    key = models.UUIDField(primary_key=True, default=new_key, editable=False)
    definition = models.ForeignKey(ProcessDefinition, on_delete=models.PROTECT, related_name="+")
    instance = models.ForeignKey(
        ProcessInstance, null=True, blank=True, on_delete=models.CASCADE, related_name="timers"
    )
    element_instance_key = models.UUIDField(null=True, blank=True)
    element_id = models.CharField(max_length=255)
    due_at = models.DateTimeField()
    # remaining repetitions of a cycle (-1 = unbounded, 0 = none) and its spec
    repetitions = models.IntegerField(default=0)
    cycle = models.CharField(max_length=255, blank=True)
    state = models.CharField(max_length=16, choices=State.choices, default=State.SCHEDULED)
    claimed_at = models.DateTimeField(null=True, blank=True)
    fired_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["due_at"]
        indexes = [
            models.Index(fields=["state", "due_at"], name="timer_due"),
            models.Index(fields=["element_instance_key"], name="timer_element_instance"),
        ]

    def __str__(self) -> str:
        return f"timer {self.element_id} due {self.due_at:%Y-%m-%d %H:%M:%S}"
