"""Tasklist and access control: comments, saved filters, delegations, per-process
permissions and masked variables.

The permission rows narrow (or widen) what a role grants, per process id; the
rules live in ``orchestration.access`` and nowhere else.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import Group
from django.db import models

from ..keys import new_key
from .user_tasks import UserTask


class TaskComment(models.Model):
    """A note on a user task. Append-only like the audit log (no edit, no delete in the UI)."""

    key = models.UUIDField(primary_key=True, default=new_key, editable=False)
    task = models.ForeignKey(UserTask, on_delete=models.CASCADE, related_name="comments")
    author = models.CharField(max_length=150)
    text = models.TextField(max_length=4000)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["created_at", "key"]

    def __str__(self) -> str:
        return f"{self.author}: {self.text[:40]}"


class TaskDelegation(models.Model):
    """A task its owner handed to someone else and gets back when the delegate returns it
    (Camunda 7 delegation). One open delegation per task at most."""

    key = models.UUIDField(primary_key=True, default=new_key, editable=False)
    task = models.ForeignKey(UserTask, on_delete=models.CASCADE, related_name="delegations")
    owner = models.CharField(max_length=150)
    delegate = models.CharField(max_length=150)
    created_at = models.DateTimeField()
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["task"], condition=models.Q(resolved_at__isnull=True), name="one_open_delegation_per_task"
            )
        ]

    def __str__(self) -> str:
        return f"{self.owner} -> {self.delegate}"


class SavedTaskFilter(models.Model):
    """An inbox filter stored on the server: its owner's, and shared with one group if set."""

    key = models.UUIDField(primary_key=True, default=new_key, editable=False)
    name = models.CharField(max_length=100)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="task_filters")
    shared_with = models.ForeignKey(
        Group, null=True, blank=True, on_delete=models.SET_NULL, related_name="task_filters"
    )
    # the inbox query string values (view, process, business_key, ...), as a dict of str
    criteria = models.JSONField(default=dict, blank=True)
    # business variables shown as extra columns, in order
    columns = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "key"]

    def __str__(self) -> str:
        return self.name


class ProcessPermission(models.Model):
    """Narrow or widen a capability for one group on one process id.

    ``allow=False`` takes the capability away from the group's members on that process
    even when their role grants it (operators of "payments" may not repair "kyc"); a deny
    wins over an allow. ``allow=True`` grants it on that process to a group without the role.
    """

    class Capability(models.TextChoices):
        VIEW = "view", "view (Operate read)"
        REPAIR = "repair", "repair (retry, cancel, modify, migrate, edit variables)"
        WORK_TASKS = "work_tasks", "work on tasks (Tasklist)"
        START = "start", "start (Tasklist, APIs, message start events)"
        DEPLOY = "deploy", "deploy versions"
        WORK_JOBS = "work_jobs", "work on jobs (activate, complete; API workers)"

    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="process_permissions")
    bpmn_process_id = models.CharField(max_length=255)
    capability = models.CharField(max_length=32, choices=Capability.choices)
    allow = models.BooleanField(default=False)

    class Meta:
        ordering = ["bpmn_process_id", "capability", "group"]
        constraints = [
            models.UniqueConstraint(fields=["group", "bpmn_process_id", "capability"], name="uniq_process_permission")
        ]

    def __str__(self) -> str:
        verb = "allow" if self.allow else "deny"
        return f"{verb} {self.capability} on {self.bpmn_process_id} for {self.group}"


class MaskedVariable(models.Model):
    """A sensitive variable of a process (a card number, say), shown masked to everyone
    except admins and the groups listed in ``visible_to``. An empty process id means
    every process."""

    bpmn_process_id = models.CharField(max_length=255, blank=True)
    name = models.CharField(max_length=255)
    visible_to = models.ManyToManyField(Group, blank=True, related_name="+")

    class Meta:
        ordering = ["bpmn_process_id", "name"]
        constraints = [models.UniqueConstraint(fields=["bpmn_process_id", "name"], name="uniq_masked_variable")]

    def __str__(self) -> str:
        return f"{self.bpmn_process_id or '*'}.{self.name}"
