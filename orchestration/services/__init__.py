"""The only write path: one transactional function per command.

Views, the API, Celery tasks and management commands call these. Each takes
`actor=` (a user, a name, or None for the system), locks the instance row
first, runs the engine, writes state + audit together and hands Celery work
over only after commit.
"""

from __future__ import annotations

from . import call_activities  # noqa: F401  (registers the built-in __call_activity__ job handler)
from .deployment_upload import deploy_resources  # noqa: F401
from .deployments import deploy, process_for
from .external_tasks import complete_external_task, fetch_and_lock, set_job_retries, unlock_job  # noqa: F401
from .incidents import resolve_incident
from .instances import cancel_instance, set_variables, start_instance, trigger_element_instance
from .jobs import activate_jobs, claim_job, complete_job, extend_job_lock, fail_job, throw_job_error
from .messages import correlate_message, publish_message
from .migration import (
    MigrationPlan,
    MigrationRefused,
    generate_plan,
    migrate_instance,
    migrate_instances,
    validate_plan,
)
from .modification import modify_instance
from .signals import broadcast_signal
from .suspension import resume_instance, suspend_instance
from .timers import claim_due_timers, fire_timer
from .user_task_assignment import (  # noqa: F401
    assign_user_task,
    claim_user_task,
    complete_assigned_user_task,
    unclaim_user_task,
)
from .user_tasks import complete_user_task

__all__ = [
    "activate_jobs",
    "broadcast_signal",
    "cancel_instance",
    "claim_due_timers",
    "claim_job",
    "complete_job",
    "complete_user_task",
    "correlate_message",
    "deploy",
    "extend_job_lock",
    "fail_job",
    "fire_timer",
    "generate_plan",
    "migrate_instance",
    "migrate_instances",
    "MigrationPlan",
    "MigrationRefused",
    "modify_instance",
    "process_for",
    "publish_message",
    "resolve_incident",
    "resume_instance",
    "set_variables",
    "start_instance",
    "suspend_instance",
    "throw_job_error",
    "trigger_element_instance",
    "validate_plan",
]
