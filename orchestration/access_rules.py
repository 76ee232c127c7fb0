"""Per-process rules on objects and on what spans processes (split out of ``access``).

``access`` re-exports every public name here, so callers keep writing
``access.check_change(...)``. The rules come from ``access._process_rules`` (one
query per request, shared with the user's groups); a user without rules gets
empty sets, so callers add no filter to their queries.

- One object (APIs and consoles): ``instance_for_change``, ``incident_for_change``,
  ``job_for_change``, ``check_change``, ``check_start``, ``check_selection`` (and
  ``check_processes``, the same on process ids), ``check_batch`` (steering a batch).
- Reads: ``hidden_processes`` (a ``view`` deny: the process does not exist for the user).
- Work that picks its objects itself: ``activation_excluded`` (jobs a worker may not be
  handed), ``correlation_excluded`` (instances and message start events a message may not
  reach), ``check_broadcast`` (a signal reaches every process: refused for a user with a
  deny rule that covers changing or starting one).
"""

from __future__ import annotations

from typing import Any

from .access import MASK, _active, _process_rules, has_capability, masked_names, processes_denied

# capabilities whose deny makes a process off limits for a signal or message sent by the user
CHANGE_CAPABILITIES = ("view", "repair", "work_jobs")


def hidden_processes(user) -> frozenset[str]:
    """Process ids a rule hides from ``user`` (a ``view`` deny); empty for almost everyone,
    so list queries exclude nothing and stay as they are."""
    return processes_denied(user, "view")


def without_hidden_deployments(deployments, user):
    """Deployments without those holding a process a rule hides from ``user``: a deployment's
    XML shows every process in it (no condition for users without rules)."""
    hidden = hidden_processes(user) if user is not None else frozenset()
    return deployments.exclude(definitions__bpmn_process_id__in=hidden) if hidden else deployments


def hides_process(user, process_id: str) -> bool:
    """A rule takes "view" away on this process: its instances, incidents and jobs do not
    exist for this user (404 by key, left out of lists)."""
    return process_id in processes_denied(user, "view")


def _denied_by_rule(user, process_id: str, capability: str) -> bool:
    if not _active(user) or user.is_superuser:
        return False
    return _process_rules(user).get((process_id, capability)) is False


def may_change(user, process_id: str, capabilities: tuple[str, ...] = ("repair",)) -> bool:
    """A write on this process's objects: one of ``capabilities`` on it, and no rule on it
    takes any of them away (an operator denied "repair" on kyc may not set kyc's variables
    through the "work_jobs" an operator also holds)."""
    if not any(has_capability(user, c, process_id) for c in capabilities):
        return False
    return not any(_denied_by_rule(user, process_id, c) for c in capabilities)


def may_start(user, process_id: str) -> bool:
    """Start through the APIs: "work_jobs" on the process, and no rule takes "start" away."""
    if not may_change(user, process_id, ("work_jobs",)):
        return False
    return not _denied_by_rule(user, process_id, "start")


def check_change(user, process_id: str, capabilities: tuple[str, ...] = ("repair",), *, what: str) -> None:
    """NotFound (``what`` not found) when a rule hides the process; PermissionDenied when
    the user may not change it."""
    from .exceptions import NotFound, PermissionDenied

    if hides_process(user, process_id):
        raise NotFound(f"{what} not found")
    if not may_change(user, process_id, capabilities):
        needs = " or ".join(f"'{c}'" for c in capabilities)
        raise PermissionDenied(f"You may not change {what}: you lack {needs} on process '{process_id}' (role or rule).")


def instance_for_change(user, key: Any, capabilities: tuple[str, ...] = ("repair",)) -> Any:
    """The process instance (any state), or NotFound; PermissionDenied if the user may not change it."""
    from .exceptions import NotFound
    from .models import ProcessInstance

    instance = ProcessInstance.objects.select_related("definition").filter(key=key).first()
    if instance is None:
        raise NotFound(f"process instance {key} not found")
    check_change(user, instance.bpmn_process_id, capabilities, what=f"process instance {key}")
    return instance


def incident_for_change(user, key: Any) -> Any:
    """The incident, or NotFound; PermissionDenied unless the user may repair its process."""
    from .exceptions import NotFound
    from .models import Incident

    incident = Incident.objects.filter(key=key).first()
    if incident is None:
        raise NotFound(f"incident {key} not found")
    check_change(user, incident.bpmn_process_id, ("repair",), what=f"incident {key}")
    return incident


def job_for_change(user, key: Any, capabilities: tuple[str, ...] = ("work_jobs",)) -> Any:
    """The job, or NotFound; PermissionDenied unless the user may work on (or repair) its process."""
    from .exceptions import NotFound
    from .models import Job

    job = Job.objects.filter(key=key).first()
    if job is None:
        raise NotFound(f"job {key} not found")
    check_change(user, job.bpmn_process_id, capabilities, what=f"job {key}")
    return job


def check_start(user, process_id: str, *, what: str) -> None:
    """NotFound (``what`` not found) when a rule hides the process; PermissionDenied when a
    rule takes "start" (or "work_jobs") away on it."""
    from .exceptions import NotFound, PermissionDenied

    if hides_process(user, process_id):
        raise NotFound(f"{what} not found")
    if not may_start(user, process_id):
        raise PermissionDenied(f"You may not start process '{process_id}': a rule takes 'start' away from you.")


def check_selection(user, instances: Any, capabilities: tuple[str, ...] = ("repair",)) -> None:
    """Bulk writes: refuse (PermissionDenied) a selection (a ProcessInstance queryset) with
    instances of a process the user may not change; processes a rule hides are not named."""
    check_processes(user, instances.order_by().values_list("bpmn_process_id", flat=True).distinct(), capabilities)


def check_processes(user, process_ids: Any, capabilities: tuple[str, ...] = ("repair",)) -> None:
    """Bulk writes over these process ids: PermissionDenied when the user may not change one
    of them (a hidden one counts, and is not named)."""
    from .exceptions import PermissionDenied

    refused = sorted(p for p in set(process_ids) if hides_process(user, p) or not may_change(user, p, capabilities))
    if not refused:
        return
    named = [p for p in refused if not hides_process(user, p)]
    which = f" of {', '.join(repr(p) for p in named)}" if named else ""
    raise PermissionDenied(
        f"The selection includes instances{which} that you may not change (a per-process rule); "
        "narrow the filter to processes you may change."
    )


def check_batch(user, batch: Any, capabilities: tuple[str, ...] = ("repair",)) -> None:
    """Steer a batch (pause, resume, cancel, retry failed): NotFound when one of its items is an
    instance of a process a rule hides from ``user`` (whoever created it), PermissionDenied when
    the user may not change one of the processes its items touch (for a migration, also the
    process they move into). One query, two for a migration."""
    from .exceptions import NotFound, PermissionDenied
    from .models import ProcessInstance

    keys = batch.items.order_by().values("instance_key")
    process_ids = set(
        ProcessInstance.objects.filter(key__in=keys).order_by().values_list("bpmn_process_id", flat=True).distinct()
    )
    target = (getattr(batch, "params", None) or {}).get("target_definition")
    if target:  # a migrate batch also changes the process its instances move into
        from .models import ProcessDefinition

        process_ids.update(ProcessDefinition.objects.filter(key=target).values_list("bpmn_process_id", flat=True))
    if any(hides_process(user, p) for p in process_ids):
        raise NotFound(f"batch {batch.key} not found")
    refused = sorted(p for p in process_ids if not may_change(user, p, capabilities))
    if refused:
        raise PermissionDenied(
            f"You may not steer batch {batch.key}: it changes instances of "
            f"{', '.join(repr(p) for p in refused)}, which you may not change (a per-process rule)."
        )


def masked_batch_params(user, batch: Any) -> dict[str, Any]:
    """A batch's params as ``user`` may read them: the values of variables it sets (``variables``,
    and each modify instruction's ``variables``) that are masked for the user on any of the
    batch's processes are ``MASK``, as on an instance page."""
    params = dict(batch.params or {})
    hidden: set[str] = set()
    for process_id in batch.process_ids or ():
        hidden |= masked_names(user, process_id)
    if not hidden:
        return params

    def masked(variables: Any) -> Any:
        if not isinstance(variables, dict):
            return variables
        return {name: (MASK if name in hidden else value) for name, value in variables.items()}

    if "variables" in params:
        params["variables"] = masked(params["variables"])
    if isinstance(params.get("instructions"), list):
        params["instructions"] = [
            {**step, "variables": masked(step["variables"])} if isinstance(step, dict) and "variables" in step else step
            for step in params["instructions"]
        ]
    return params


# ---------------------------------------------------------------------------
# Work that picks its objects itself: activation, correlation, broadcast
# ---------------------------------------------------------------------------


def activation_excluded(user) -> frozenset[str]:
    """Process ids whose jobs must not be handed to ``user`` (job activation, fetchAndLock):
    a rule takes "work_jobs" or "view" away on them."""
    return processes_denied(user, "work_jobs") | processes_denied(user, "view")


def correlation_excluded(user, *, start: bool = False) -> frozenset[str]:
    """Process ids a message correlated by ``user`` must not reach, as if nothing of theirs
    waited: a rule takes "view", "repair" or "work_jobs" away on them (and "start", for
    message start events: ``start=True``)."""
    capabilities = (*CHANGE_CAPABILITIES, "start") if start else CHANGE_CAPABILITIES
    excluded: frozenset[str] = frozenset()
    for capability in capabilities:
        excluded |= processes_denied(user, capability)
    return excluded


def check_broadcast(user) -> None:
    """A signal reaches every process that waits for it or starts with it: PermissionDenied
    for a user with any deny rule on changing or starting a process (the broadcast would
    reach it; trimming it silently would make a signal mean different things per sender)."""
    from .exceptions import PermissionDenied

    refused = correlation_excluded(user, start=True)
    if refused:
        raise PermissionDenied(
            "You may not broadcast signals: a per-process rule takes a capability away from you on "
            "some process and a signal reaches every process. Ask an administrator, or use messages."
        )
