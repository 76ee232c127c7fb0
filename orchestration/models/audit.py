from __future__ import annotations

from django.db import models


class AppendOnlyError(RuntimeError):
    pass


class AuditEventQuerySet(models.QuerySet):
    def update(self, **kwargs):  # noqa: ANN001
        raise AppendOnlyError("audit events are append-only")

    def delete(self):
        raise AppendOnlyError("audit events are append-only")


class AuditEvent(models.Model):
    """One transition or operator action. Append-only: never updated or deleted."""

    id = models.BigAutoField(primary_key=True)
    instance_key = models.UUIDField(null=True, blank=True, db_index=True)
    type = models.CharField(max_length=64)
    element_id = models.CharField(max_length=255, blank=True)
    element_instance_key = models.UUIDField(null=True, blank=True)
    actor = models.CharField(max_length=150, blank=True)
    data = models.JSONField(default=dict, blank=True)
    # read by instance (indexed instance_key) in id order; a time index would only slow the
    # ~20 inserts every instance step writes
    created_at = models.DateTimeField()

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.created_at:%H:%M:%S} {self.type} {self.element_id}"

    def save(self, *args, **kwargs):
        if self.pk is not None and not self._state.adding:
            raise AppendOnlyError("audit events are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("audit events are append-only")
