"""Who may do what: the one place consoles and API ask.

Roles are Django groups created by a migration (0002_roles, 0008_worker_role).
Deny by default: a user with no role sees nothing. Superusers may do everything.

Three layers, each written one condition per line:

1. **Roles** grant capabilities (``CAPABILITIES``): ``can_view(user)``.
2. **Per-process rules** (``ProcessPermission`` rows: group x process id x capability,
   allow or deny) narrow or widen a role on one process:
   ``can_repair(user, process_id="kyc")``. A deny wins over an allow and over the role;
   an allow grants the capability on that process to a group without the role. Without
   ``process_id`` only the role counts, so a list page filters with
   ``processes_denied(user, capability)``.
3. **Objects**: user tasks (``may_see_task``, ``may_claim_task``, ...) and sensitive
   variables (``mask_variables``), declared per process (``MaskedVariable`` rows).

Every answer is cached on the user object for the request (one query per kind; the
rules come with the groups). Per-object checks and the rules on work that spans
processes (hidden processes, job activation, messages, signals) are in
``access_rules`` and re-exported here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

if TYPE_CHECKING:
    from .models import ProcessDefinition, UserTask

SUPPORT = "support"
OPERATOR = "operator"
APPROVER = "approver"
ADMIN = "admin"
# external workers and services (Camunda 7 REST clients): fetch and complete jobs, start, correlate
WORKER = "worker"
ROLES = (SUPPORT, OPERATOR, APPROVER, ADMIN, WORKER)
# Not a role: members of this group who work on tasks are group leads (bulk claim/assign,
# assign and unclaim any task they see, edit due dates). Created by migration 0011.
LEAD = "lead"

# What each capability requires: any one of these roles.
CAPABILITIES: dict[str, frozenset[str]] = {
    "view": frozenset({SUPPORT, OPERATOR, ADMIN}),
    "repair": frozenset({OPERATOR, ADMIN}),
    "work_tasks": frozenset({APPROVER, ADMIN}),
    "start": frozenset({APPROVER, ADMIN}),
    "deploy": frozenset({ADMIN}),
    "manage_users": frozenset({ADMIN}),
    "work_jobs": frozenset({OPERATOR, ADMIN, WORKER}),
}

MASK = "••••••"


def _active(user: Any) -> bool:
    return user is not None and user.is_authenticated and user.is_active


def roles_of(user: AbstractBaseUser | AnonymousUser | None) -> frozenset[str]:
    if not _active(user):
        return frozenset()
    cached = getattr(user, "_orchestration_roles", None)
    if cached is not None:
        return cached
    if user.is_superuser:
        roles = frozenset(ROLES)
    else:
        roles = frozenset(name for name in group_names_of(user) if name in ROLES)
    user._orchestration_roles = roles
    return roles


def group_names_of(user: Any) -> frozenset[str]:
    """Every group the user is in (roles and others), cached for the request."""
    if not _active(user):
        return frozenset()
    cached = getattr(user, "_orchestration_groups", None)
    if cached is None:
        _load_groups_and_rules(user)
        cached = user._orchestration_groups
    return cached


def _load_groups_and_rules(user: Any) -> None:
    """One query for the user's groups and their ProcessPermission rows (a left join: a
    group without rules is one row of NULLs), cached on the user for the request. Pages
    that ask for roles then get the rules for free, so filtering by rule costs no query."""
    groups: set[str] = set()
    rules: dict[tuple[str, str], bool] = {}
    rows = user.groups.values_list(
        "name", "process_permissions__bpmn_process_id", "process_permissions__capability", "process_permissions__allow"
    )
    for name, process_id, capability, allow in rows:
        groups.add(name)
        if process_id is None:
            continue
        key = (process_id, capability)
        rules[key] = rules.get(key, True) and allow
    user._orchestration_groups = frozenset(groups)
    user._orchestration_process_rules = rules


def _process_rules(user: Any) -> dict[tuple[str, str], bool]:
    """(process id, capability) -> allowed, from the user's groups; a deny wins."""
    cached = getattr(user, "_orchestration_process_rules", None)
    if cached is None:
        _load_groups_and_rules(user)
        cached = user._orchestration_process_rules
    return cached


def has_capability(user, capability: str, process_id: str | None = None) -> bool:
    """The role's answer, narrowed or widened on ``process_id`` by ProcessPermission rows."""
    if not _active(user):
        return False
    if user.is_superuser:
        return True
    by_role = bool(roles_of(user) & CAPABILITIES[capability])
    if process_id is None:
        return by_role
    rule = _process_rules(user).get((process_id, capability))
    if rule is None:
        return by_role
    return rule


def processes_denied(user, capability: str) -> frozenset[str]:
    """Process ids on which a rule takes ``capability`` away (for filtering lists)."""
    if not _active(user) or user.is_superuser:
        return frozenset()
    return frozenset(p for (p, c), allowed in _process_rules(user).items() if c == capability and not allowed)


def processes_granted(user, capability: str) -> frozenset[str]:
    """Process ids on which a rule grants ``capability`` (to a user the role may not give it)."""
    if not _active(user):
        return frozenset()
    return frozenset(p for (p, c), allowed in _process_rules(user).items() if c == capability and allowed)


def has_capability_somewhere(user, capability: str) -> bool:
    """The role grants it, or a rule grants it on at least one process (entry to a console)."""
    if has_capability(user, capability):
        return True
    return bool(processes_granted(user, capability))


def can_view(user, process_id: str | None = None) -> bool:
    return has_capability(user, "view", process_id)


def can_repair(user, process_id: str | None = None) -> bool:
    return has_capability(user, "repair", process_id)


def can_work_tasks(user, process_id: str | None = None) -> bool:
    return has_capability(user, "work_tasks", process_id)


def can_deploy(user, process_id: str | None = None) -> bool:
    return has_capability(user, "deploy", process_id)


def can_work_jobs(user, process_id: str | None = None) -> bool:
    return has_capability(user, "work_jobs", process_id)


def can_manage_users(user) -> bool:
    return has_capability(user, "manage_users")


def actor_name(user) -> str:
    if user is None or not getattr(user, "is_authenticated", False):
        return "system"
    return user.get_username()


# ---------------------------------------------------------------------------
# Tasklist: who may see and act on a user task
# ---------------------------------------------------------------------------


def sees_all_tasks(user) -> bool:
    """Admins see every task, whatever its candidates."""
    return ADMIN in roles_of(user)


def is_task_lead(user) -> bool:
    """Admins, and members of the "lead" group who work on tasks: bulk claim/assign,
    reassign and unclaim any task they see, edit due and follow-up dates."""
    if sees_all_tasks(user):
        return True
    if LEAD not in group_names_of(user):
        return False
    return has_capability_somewhere(user, "work_tasks")


def is_candidate(task: UserTask, username: str, group_names: Iterable[str]) -> bool:
    """The assignee, a candidate user, or a member of a candidate group."""
    if task.assignee == username:
        return True
    if username in (task.candidate_users or []):
        return True
    return bool(set(task.candidate_groups or []) & set(group_names))


def may_see_task(user, task: UserTask) -> bool:
    if not can_work_tasks(user, task.bpmn_process_id):
        return False
    if sees_all_tasks(user):
        return True
    return is_candidate(task, user.get_username(), group_names_of(user))


def _is_open(task: UserTask) -> bool:
    return task.state == "created"


def _is_assignee(user, task: UserTask) -> bool:
    return bool(task.assignee) and task.assignee == user.get_username()


def may_claim_task(user, task: UserTask) -> bool:
    if not may_see_task(user, task):
        return False
    if not _is_open(task):
        return False
    return not task.assignee


def may_unclaim_task(user, task: UserTask) -> bool:
    if not may_see_task(user, task):
        return False
    if not _is_open(task):
        return False
    if not task.assignee:
        return False
    return _is_assignee(user, task) or is_task_lead(user)


def may_assign_task(user, task: UserTask) -> bool:
    """Hand the task to another eligible user: its assignee, or a lead."""
    if not may_see_task(user, task):
        return False
    if not _is_open(task):
        return False
    return _is_assignee(user, task) or is_task_lead(user)


def may_delegate_task(user, task: UserTask) -> bool:
    """Only the assignee delegates (and gets the task back when the delegate returns it)."""
    if not may_see_task(user, task):
        return False
    if not _is_open(task):
        return False
    return _is_assignee(user, task)


def may_complete_task(user, task: UserTask) -> bool:
    """Claim first: only the assignee completes."""
    if not may_see_task(user, task):
        return False
    if not _is_open(task):
        return False
    return _is_assignee(user, task)


def may_edit_task_dates(user, task: UserTask) -> bool:
    if not may_see_task(user, task):
        return False
    if not _is_open(task):
        return False
    return _is_assignee(user, task) or is_task_lead(user)


def may_comment_task(user, task: UserTask) -> bool:
    return may_see_task(user, task)


def is_eligible_assignee(task: UserTask, user: Any) -> bool:
    """Who a task may be assigned to: an active user who works on tasks of its process and
    is a candidate (a candidate user or in a candidate group). A task without candidates
    may go to anyone who works on tasks of its process."""
    if not can_work_tasks(user, task.bpmn_process_id):
        return False
    if not task.candidate_users and not task.candidate_groups:
        return True
    if sees_all_tasks(user):
        return True
    return is_candidate(task, user.get_username(), group_names_of(user))


def eligible_assignees(task: UserTask) -> list[Any]:
    """Users the task may be assigned to, by username (a few queries, not one per user)."""
    from django.contrib.auth import get_user_model
    from django.db.models import Q

    users = get_user_model().objects.filter(is_active=True).prefetch_related("groups")
    if task.candidate_users or task.candidate_groups:
        users = users.filter(
            Q(username__in=task.candidate_users or [])
            | Q(groups__name__in=task.candidate_groups or [])
            | Q(groups__name=ADMIN)
            | Q(is_superuser=True)
        )
    else:
        users = users.filter(Q(groups__name__in=tuple(CAPABILITIES["work_tasks"])) | Q(is_superuser=True))
    eligible = []
    for user in users.distinct().order_by("username"):
        user._orchestration_groups = frozenset(g.name for g in user.groups.all())
        if is_eligible_assignee(task, user):
            eligible.append(user)
    return eligible


def can_start(
    user, definition: ProcessDefinition, *, starters: tuple[tuple[str, ...], tuple[str, ...]] = ((), ())
) -> bool:
    """Start from Tasklist: the process is marked startable, the user has the "start"
    capability on it, and matches the model's candidate starters when it declares any
    (``starters`` = (candidateStarterGroups, candidateStarterUsers))."""
    if not definition.startable_in_tasklist:
        return False
    if not has_capability(user, "start", definition.bpmn_process_id):
        return False
    groups, users = starters
    if not groups and not users:
        return True
    if sees_all_tasks(user):
        return True
    if user.get_username() in users:
        return True
    return bool(set(groups) & group_names_of(user))


# ---------------------------------------------------------------------------
# Sensitive variables
# ---------------------------------------------------------------------------


def masked_names(user, bpmn_process_id: str) -> frozenset[str]:
    """Names of the variables of this process the user may not read (cached per process)."""
    if not _active(user):
        return frozenset()
    if user.is_superuser or ADMIN in roles_of(user):
        return frozenset()
    cache: dict[str, frozenset[str]] = getattr(user, "_orchestration_masked", None) or {}
    if bpmn_process_id in cache:
        return cache[bpmn_process_id]
    from .models import MaskedVariable

    groups = group_names_of(user)
    names = set()
    rows = MaskedVariable.objects.filter(bpmn_process_id__in=("", bpmn_process_id)).prefetch_related("visible_to")
    for row in rows:
        if not {g.name for g in row.visible_to.all()} & groups:
            names.add(row.name)
    cache[bpmn_process_id] = frozenset(names)
    user._orchestration_masked = cache
    return cache[bpmn_process_id]


def mask_variables(user, bpmn_process_id: str, variables: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of ``variables`` (name -> value) with the values this user may not read
    replaced by ``MASK``. Use it wherever variables leave the server: pages, exports, API."""
    hidden = masked_names(user, bpmn_process_id)
    return {name: (MASK if name in hidden else value) for name, value in variables.items()}


def mask_audit_data(user, bpmn_process_id: str, data: Any, *, mask: Any = MASK) -> Any:
    """An audit event's ``data`` with the values of masked variables replaced: the
    ``diff`` of ``variables_updated`` ({name: {old, new, created}}) gets ``mask`` for old and
    new and ``"masked": True``; other events list variable names only. Unchanged (the same
    object) when nothing is masked."""
    if not isinstance(data, dict) or not isinstance(data.get("diff"), dict):
        return data
    hidden = masked_names(user, bpmn_process_id)
    if not hidden or not hidden & data["diff"].keys():
        return data
    diff = {
        name: ({**change, "old": mask, "new": mask, "masked": True} if name in hidden else change)
        if isinstance(change, dict)
        else (mask if name in hidden else change)
        for name, change in data["diff"].items()
    }
    return {**data, "diff": diff}


def masked_anywhere(user, name: str) -> bool:
    """Is a variable of this name masked for the user on some process? Then it may not be a
    search condition anywhere: the number of matches would reveal its value."""
    from .models import MaskedVariable

    processes = set(MaskedVariable.objects.filter(name=name).values_list("bpmn_process_id", flat=True))
    return any(name in masked_names(user, process_id) for process_id in processes)


# Per-process rules on objects, activation, correlation and broadcast (re-exported here).
from .access_rules import (  # noqa: E402, F401
    CHANGE_CAPABILITIES,
    activation_excluded,
    check_batch,
    check_broadcast,
    check_change,
    check_processes,
    check_selection,
    check_start,
    correlation_excluded,
    hidden_processes,
    hides_process,
    incident_for_change,
    instance_for_change,
    job_for_change,
    masked_batch_params,
    may_change,
    may_start,
    without_hidden_deployments,
)
