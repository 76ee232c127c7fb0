from __future__ import annotations

import re

from django.db import models

from ..keys import new_key
from .instances import ProcessInstance
from .work import Job

_NUMBERS = re.compile(r"\b\d+(\.\d+)?\b")
_HEX = re.compile(r"\b[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}\b", re.I)
_QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"")
# a word of letters and digits, possibly joined by - _ . (ORD-4523, BULK-12, a1b2c3d4, 0x1f)
_WORD = re.compile(r"(?<![A-Za-z0-9])[A-Za-z0-9]+(?:[-_.][A-Za-z0-9]+)*(?![A-Za-z0-9])")


def _identifier(match: re.Match[str]) -> str:
    """An identifier-like word has both letters and digits; plain words and numbers stay."""
    word = match.group(0)
    if any(c.isdigit() for c in word) and any(c.isalpha() for c in word):
        return "<id>"
    return word


def fingerprint(message: str) -> str:
    """Normalise an error message so the same failure groups together.

    Keys, quoted values, identifier-like words and numbers become placeholders, so
    "card declined for order ORD-4523" and "... BULK-12" are one group. Stored
    fingerprints are not recomputed when this changes: a data migration has to (0017 did
    for the open ones; docs/operations.md).
    """
    text = _HEX.sub("<key>", message or "")
    text = _QUOTED.sub("<str>", text)
    text = _WORD.sub(_identifier, text)
    text = _NUMBERS.sub("<n>", text)
    return text.strip()[:255]


class Incident(models.Model):
    class Type(models.TextChoices):
        # the labels are what people read (Operate's incident tables and "Where it waits")
        JOB_NO_RETRIES = "job_no_retries", "Job failed, no retries left"
        UNHANDLED_ERROR = "unhandled_error", "BPMN error nobody catches"
        EXPRESSION = "expression", "Expression failed"
        CONDITION = "condition", "No outgoing flow's condition is true"
        EXTRACT_VALUE = "extract_value", "Value could not be extracted"
        IO_MAPPING = "io_mapping", "Variable mapping failed"
        CALLED_ELEMENT = "called_element", "Called process could not be started"

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
