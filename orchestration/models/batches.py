"""Bulk operations (a frozen selection of instances worked through in chunks) and saved list views."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import Group
from django.db import models

from ..keys import new_key


class BatchOperation(models.Model):
    """One bulk command over instances selected by a filter when it was submitted.

    The selection is frozen into BatchItem rows at submit time; Celery works
    through the pending items in chunks (``services.batches.run_batch_chunk``).
    The counters are refreshed from the items after every chunk.
    """

    class Kind(models.TextChoices):
        RETRY_INCIDENTS = "retry_incidents", "Retry incidents"
        CANCEL = "cancel", "Cancel"
        SET_VARIABLES = "set_variables", "Set variables"
        SUSPEND = "suspend", "Suspend"
        RESUME = "resume", "Resume"
        MIGRATE = "migrate", "Migrate"
        MODIFY = "modify", "Modify"

    class State(models.TextChoices):
        RUNNING = "running"
        PAUSED = "paused"
        CANCELLED = "cancelled"
        COMPLETED = "completed"

    key = models.UUIDField(primary_key=True, default=new_key, editable=False)
    kind = models.CharField(max_length=32, choices=Kind.choices)
    state = models.CharField(max_length=16, choices=State.choices, default=State.RUNNING)
    # the instance-list query string the selection was made with (for people; the items are the truth)
    filter_query = models.TextField(blank=True)
    params = models.JSONField(default=dict, blank=True)
    # the processes of its items (frozen at creation): lets the batch list hide a batch from a
    # user without access to one of them without reading the items
    process_ids = models.JSONField(default=list, blank=True)
    reason = models.TextField(blank=True)
    created_by = models.CharField(max_length=150)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField(auto_now=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    total = models.PositiveIntegerField(default=0)
    succeeded = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)
    skipped = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["created_at"], name="batch_created")]

    def __str__(self) -> str:
        return f"batch {self.kind} {self.key} ({self.state})"

    @property
    def done(self) -> int:
        return self.succeeded + self.failed + self.skipped

    @property
    def pending(self) -> int:
        return max(self.total - self.done, 0)

    @property
    def percent(self) -> int:
        return 100 if not self.total else int(100 * self.done / self.total)

    @property
    def is_finished(self) -> bool:
        return self.state in (self.State.CANCELLED, self.State.COMPLETED)


class BatchItem(models.Model):
    """One selected instance of a batch and what happened to it."""

    class State(models.TextChoices):
        PENDING = "pending"
        SUCCEEDED = "succeeded"
        FAILED = "failed"
        SKIPPED = "skipped"

    id = models.BigAutoField(primary_key=True)
    batch = models.ForeignKey(BatchOperation, on_delete=models.CASCADE, related_name="items")
    instance_key = models.UUIDField()
    state = models.CharField(max_length=16, choices=State.choices, default=State.PENDING)
    message = models.TextField(blank=True)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["batch", "instance_key"], name="uniq_batch_instance")]
        indexes = [models.Index(fields=["batch", "state", "id"], name="batchitem_state")]

    def __str__(self) -> str:
        return f"{self.instance_key} ({self.state})"


class SavedView(models.Model):
    """A named instance-list query string, kept for its owner and optionally shared with a group."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(max_length=100)
    query = models.TextField(blank=True, help_text="the instance list's query string, without '?'")
    shared_with_group = models.ForeignKey(Group, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "id"]
        constraints = [models.UniqueConstraint(fields=["owner", "name"], name="uniq_saved_view_name")]

    def __str__(self) -> str:
        return self.name
