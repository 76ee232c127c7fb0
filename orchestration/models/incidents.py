from __future__ import annotations

import re

from django.db import models

from ..keys import new_key
from .instances import ProcessInstance
from .work import Job

_NUMBERS = re.compile(r"\b\d+(\.\d+)?\b")
_HEX = re.compile(r"\b[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}\b", re.I)
_QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"")


def fingerprint(message: str) -> str:
    """Normalise an error message so the same failure groups together."""
    text = _HEX.sub("<key>", message or "")
    text = _QUOTED.sub("<str>", text)
    text = _NUMBERS.sub("<n>", text)
    return text.strip()[:255]


class Incident(models.Model):
    class Type(models.TextChoices):
        JOB_NO_RETRIES = "job_no_retries"
        UNHANDLED_ERROR = "unhandled_error"
        EXPRESSION = "expression"
        CONDITION = "condition"
        EXTRACT_VALUE = "extract_value"
        IO_MAPPING = "io_mapping"

    class State(models.TextChoices):
        OPEN = "open"
        RESOLVED = "resolved"

    key = models.UUIDField(primary_key=True, default=new_key, editable=False)
    instance = models.ForeignKey(ProcessInstance, on_delete=models.CASCADE, related_name="incidents")
    bpmn_process_id = models.CharField(max_length=255)
    element_instance_key = models.UUIDField()
    element_id = models.CharField(max_length=255)
    job = models.ForeignKey(Job, null=True, blank=True, on_delete=models.SET_NULL, related_name="incidents")
    type = models.CharField(max_length=32, choices=Type.choices)
    message = models.TextField()
    details = models.TextField(blank=True)
    fingerprint = models.CharField(max_length=255, db_index=True)
    state = models.CharField(max_length=16, choices=State.choices, default=State.OPEN)
    created_at = models.DateTimeField()
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.CharField(max_length=150, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["state", "bpmn_process_id"], name="incident_state_process"),
            # "has an open incident" per listed instance, and open incidents per definition
            models.Index(fields=["instance"], condition=models.Q(state="open"), name="incident_open_instance"),
        ]

    def __str__(self) -> str:
        return f"incident {self.type} at {self.element_id}"

    def save(self, *args, **kwargs):
        if not self.fingerprint:
            self.fingerprint = fingerprint(self.message)
        super().save(*args, **kwargs)
