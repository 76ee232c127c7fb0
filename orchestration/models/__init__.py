"""The engine's tables, one module per aggregate."""

from __future__ import annotations

from .audit import AuditEvent
from .batches import BatchItem, BatchOperation, SavedView  # noqa: F401
from .definitions import Deployment, ProcessDefinition
from .incidents import Incident
from .instances import ElementInstance, ProcessInstance, Variable
from .messages import BufferedMessage, MessageSubscription
from .signals import SignalSubscription
from .tasklist import MaskedVariable, ProcessPermission, SavedTaskFilter, TaskComment, TaskDelegation  # noqa: F401
from .user_tasks import UserTask
from .work import Job, Timer

__all__ = [
    "AuditEvent",
    "BufferedMessage",
    "Deployment",
    "ElementInstance",
    "Incident",
    "Job",
    "MessageSubscription",
    "ProcessDefinition",
    "ProcessInstance",
    "SignalSubscription",
    "Timer",
    "UserTask",
    "Variable",
]
