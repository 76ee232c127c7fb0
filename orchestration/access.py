"""Who may do what: the one place consoles and API ask.

Roles are Django groups created by a migration (0002_roles). Deny by default:
a user with no role sees nothing. Superusers may do everything.
"""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

SUPPORT = "support"
OPERATOR = "operator"
APPROVER = "approver"
ADMIN = "admin"
# external workers and services (Camunda 7 REST clients): fetch and complete jobs, start, correlate
WORKER = "worker"
ROLES = (SUPPORT, OPERATOR, APPROVER, ADMIN, WORKER)

# What each capability requires: any one of these roles.
CAPABILITIES: dict[str, frozenset[str]] = {
    "view": frozenset({SUPPORT, OPERATOR, ADMIN}),
    "repair": frozenset({OPERATOR, ADMIN}),
    "work_tasks": frozenset({APPROVER, ADMIN}),
    "deploy": frozenset({ADMIN}),
    "manage_users": frozenset({ADMIN}),
    "work_jobs": frozenset({OPERATOR, ADMIN, WORKER}),
}


def roles_of(user: AbstractBaseUser | AnonymousUser | None) -> frozenset[str]:
    if user is None or not user.is_authenticated or not user.is_active:
        return frozenset()
    cached = getattr(user, "_orchestration_roles", None)
    if cached is not None:
        return cached
    if user.is_superuser:
        roles = frozenset(ROLES)
    else:
        roles = frozenset(user.groups.filter(name__in=ROLES).values_list("name", flat=True))
    user._orchestration_roles = roles
    return roles


def has_capability(user, capability: str) -> bool:
    required = CAPABILITIES[capability]
    return bool(roles_of(user) & required)


def can_view(user) -> bool:
    return has_capability(user, "view")


def can_repair(user) -> bool:
    return has_capability(user, "repair")


def can_work_tasks(user) -> bool:
    return has_capability(user, "work_tasks")


def can_deploy(user) -> bool:
    return has_capability(user, "deploy")


def can_work_jobs(user) -> bool:
    return has_capability(user, "work_jobs")


def actor_name(user) -> str:
    if user is None or not getattr(user, "is_authenticated", False):
        return "system"
    return user.get_username()
