from __future__ import annotations

from django.db import models

from ..keys import new_key
from .definitions import ProcessDefinition
from .instances import ProcessInstance


class MessageSubscription(models.Model):
    """An open wait for a message by name and correlation key.

    Message start events subscribe with a definition and no instance.
    """

    class State(models.TextChoices):
        OPEN = "open"
        CORRELATED = "correlated"
        CLOSED = "closed"

    key = models.UUIDField(primary_key=True, default=new_key, editable=False)
    definition = models.ForeignKey(ProcessDefinition, on_delete=models.PROTECT, related_name="+")
    instance = models.ForeignKey(
        ProcessInstance, null=True, blank=True, on_delete=models.CASCADE, related_name="subscriptions"
    )
    element_instance_key = models.UUIDField(null=True, blank=True)
    element_id = models.CharField(max_length=255)
    message_name = models.CharField(max_length=255)
    correlation_key = models.CharField(max_length=255, blank=True)
    state = models.CharField(max_length=16, choices=State.choices, default=State.OPEN)
    created_at = models.DateTimeField()
    correlated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at"]
        indexes = [
            models.Index(fields=["message_name", "correlation_key", "state"], name="sub_match"),
            models.Index(fields=["element_instance_key"], name="sub_element_instance"),
        ]

    def __str__(self) -> str:
        return f"subscription {self.message_name}[{self.correlation_key}]"


class BufferedMessage(models.Model):
    """A published message kept until its time-to-live for a subscription that opens later."""

    key = models.UUIDField(primary_key=True, default=new_key, editable=False)
    name = models.CharField(max_length=255)
    correlation_key = models.CharField(max_length=255, blank=True)
    message_id = models.CharField(max_length=255, blank=True)
    variables = models.JSONField(default=dict, blank=True)
    expires_at = models.DateTimeField()
    created_at = models.DateTimeField()
    correlated_at = models.DateTimeField(null=True, blank=True)
    correlated_instance_key = models.UUIDField(null=True, blank=True)

    class Meta:
        ordering = ["created_at"]
        indexes = [models.Index(fields=["name", "correlation_key", "expires_at"], name="msg_match")]

    def __str__(self) -> str:
        return f"message {self.name}[{self.correlation_key}]"
