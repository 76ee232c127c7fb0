from __future__ import annotations

from django.conf import settings
from django.db import models

from ..keys import new_key


class Deployment(models.Model):
    """One upload: a BPMN resource (the XML as sent) and who deployed it."""

    key = models.UUIDField(primary_key=True, default=new_key, editable=False)
    name = models.CharField(max_length=255, blank=True)
    resource_name = models.CharField(max_length=255)
    xml = models.TextField()
    xml_hash = models.CharField(max_length=64, db_index=True)
    source = models.CharField(max_length=255, blank=True)
    deployed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.resource_name} ({self.key})"


class ProcessDefinition(models.Model):
    """An immutable version of one executable process of a deployment."""

    key = models.UUIDField(primary_key=True, default=new_key, editable=False)
    bpmn_process_id = models.CharField(max_length=255)
    version = models.PositiveIntegerField()
    name = models.CharField(max_length=255, blank=True)
    version_tag = models.CharField(max_length=255, blank=True)
    deployment = models.ForeignKey(Deployment, on_delete=models.PROTECT, related_name="definitions")
    flavour = models.CharField(max_length=16, default="bpmn")
    startable_in_tasklist = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["bpmn_process_id", "-version"]
        constraints = [models.UniqueConstraint(fields=["bpmn_process_id", "version"], name="uniq_process_version")]

    def __str__(self) -> str:
        return f"{self.bpmn_process_id} v{self.version}"

    @property
    def camunda_id(self) -> str:
        """Camunda 7 shaped definition id: key:version:id."""
        return f"{self.bpmn_process_id}:{self.version}:{self.key}"
