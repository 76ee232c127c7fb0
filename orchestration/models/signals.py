from __future__ import annotations

from django.db import models

from ..keys import new_key
from .definitions import ProcessDefinition
from .instances import ProcessInstance


class SignalSubscription(models.Model):
    """An open wait for a broadcast signal by name.

    Signal start events subscribe with a definition and no instance; catch events,
    boundary events, event-based gateways and event subprocess starts subscribe
    with the element instance that owns the wait (the instance key for the
    process scope) and the id of the element the signal triggers.
    """

    class State(models.TextChoices):
        OPEN = "open"
        CLOSED = "closed"

    key = models.UUIDField(primary_key=True, default=new_key, editable=False)
    definition = models.ForeignKey(ProcessDefinition, on_delete=models.PROTECT, related_name="+")
    instance = models.ForeignKey(
        ProcessInstance, null=True, blank=True, on_delete=models.CASCADE, related_name="signal_subscriptions"
    )
    element_instance_key = models.UUIDField(null=True, blank=True)
    element_id = models.CharField(max_length=255)
    signal_name = models.CharField(max_length=255)
    state = models.CharField(max_length=16, choices=State.choices, default=State.OPEN)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["created_at"]
        indexes = [
            models.Index(fields=["signal_name", "state"], name="signal_match"),
            models.Index(fields=["element_instance_key"], name="signal_element_instance"),
        ]

    def __str__(self) -> str:
        return f"signal subscription {self.signal_name}"
