from __future__ import annotations

from django.db import models

from ..keys import new_key
from .instances import ProcessInstance


class UserTask(models.Model):
    class State(models.TextChoices):
        CREATED = "created"
        COMPLETED = "completed"
        CANCELLED = "cancelled"

    key = models.UUIDField(primary_key=True, default=new_key, editable=False)
    instance = models.ForeignKey(ProcessInstance, on_delete=models.CASCADE, related_name="user_tasks")
    bpmn_process_id = models.CharField(max_length=255)
    business_key = models.CharField(max_length=255, blank=True)
    element_instance_key = models.UUIDField(db_index=True)
    element_id = models.CharField(max_length=255)
    name = models.CharField(max_length=255, blank=True)
    assignee = models.CharField(max_length=150, blank=True, db_index=True)
    candidate_users = models.JSONField(default=list, blank=True)
    candidate_groups = models.JSONField(default=list, blank=True)
    due_date = models.DateTimeField(null=True, blank=True)
    follow_up_date = models.DateTimeField(null=True, blank=True)
    priority = models.IntegerField(default=50)
    form_key = models.CharField(max_length=255, blank=True)
    form = models.JSONField(null=True, blank=True)
    state = models.CharField(max_length=16, choices=State.choices, default=State.CREATED)
    created_at = models.DateTimeField()
    completed_at = models.DateTimeField(null=True, blank=True)
    completed_by = models.CharField(max_length=150, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["state", "assignee"], name="usertask_state_assignee")]

    def __str__(self) -> str:
        return f"{self.name or self.element_id} ({self.state})"
