"""Run a corpus model through the services with generated behaviour, and say how it ended.

Behaviour, in order of preference at each step (the first that applies runs):
jobs (every job type gets a generic handler that completes with no variables,
run the way a worker runs it: claim, handler, complete), user tasks (completed
with no variables), messages and signals the instance's tokens wait for
themselves (catch events, receive tasks, event-based gateways; a receive task
without a message is triggered), timers of those,
and only when nothing else is left, the waits of boundary events and event
subprocesses, each element once. Instances start with no variables: a
condition on a variable nobody sets is an incident, and the run stops at the
first incident. Called children are driven with their parent (same root).

Outcomes: "completed", "cancelled", "incident:<element>: <type>: <message>",
"waits:<kind element>, ..." (stable: nothing left the driver is willing to do),
"refused" (does not deploy here), "loops" (still going after MAX_STEPS).
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from pathlib import Path

from django.utils import timezone

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "corpus"
MAX_STEPS = 150
GENERIC_WORKER = "conformance"


def _generic_handler(job) -> None:
    return None


class Tree:
    """An instance and the children it called (same root key)."""

    def __init__(self, root: uuid.UUID) -> None:
        self.root = root

    def instance_keys(self) -> list[uuid.UUID]:
        from django.db.models import Q

        from orchestration.models import ProcessInstance

        return list(
            ProcessInstance.objects.filter(Q(key=self.root) | Q(root_key=self.root)).values_list("key", flat=True)
        )


def _ensure_handler(job_type: str, registered: dict[str, object]) -> None:
    from orchestration import handlers

    if job_type in registered:
        return
    # remember what was there (a built-in handler) so the caller can put it back
    registered[job_type] = (handlers.get_handler(job_type), handlers.is_local(job_type))
    handlers.handler(job_type)(_generic_handler)


def restore_handlers(registered: dict[str, object]) -> None:
    from orchestration import handlers

    for job_type, (previous, local) in registered.items():
        handlers.unregister(job_type)
        if previous is not None:
            handlers.handler(job_type, local=local)(previous)


def _step(tree: Tree, fired_once: set[tuple[str, str]], registered: dict[str, object]) -> bool:
    """Do one thing the instance tree waits for; False when there is nothing (left) to do."""
    from orchestration import services
    from orchestration.engine.behaviors.call_activity import CALL_ACTIVITY_JOB
    from orchestration.models import ElementInstance, Job, MessageSubscription, SignalSubscription, Timer, UserTask
    from orchestration.services import deployments
    from orchestration.tasks import execute_job

    deployments._cache.clear()  # every step reloads the model, as after a restart
    keys = tree.instance_keys()
    job = Job.objects.filter(instance_id__in=keys, state=Job.State.ACTIVATABLE).order_by("created_at").first()
    if job is not None:
        if job.type != CALL_ACTIVITY_JOB:
            _ensure_handler(job.type, registered)
        execute_job(job.key, worker=GENERIC_WORKER)
        return True
    task = UserTask.objects.filter(instance_id__in=keys, state=UserTask.State.CREATED).order_by("created_at").first()
    if task is not None:
        services.complete_user_task(task.key, actor=GENERIC_WORKER)
        return True
    owners = {
        e.key: e for e in ElementInstance.objects.filter(instance_id__in=keys, state=ElementInstance.State.ACTIVE)
    }

    def own(row) -> bool:
        """A wait of the token itself (a catch event, a receive task, an event-based gateway)."""
        owner = owners.get(row.element_instance_key)
        return owner is not None and (owner.element_id == row.element_id or owner.element_type == "eventBasedGateway")

    def once(row) -> bool:
        """A boundary or event subprocess wait: fired at most once per element."""
        marker = (str(row.instance_id), row.element_id)
        if marker in fired_once:
            return False
        fired_once.add(marker)
        return True

    subscriptions = list(
        MessageSubscription.objects.filter(instance_id__in=keys, state=MessageSubscription.State.OPEN).order_by(
            "created_at"
        )
    )
    signals = list(
        SignalSubscription.objects.filter(instance_id__in=keys, state=SignalSubscription.State.OPEN).order_by(
            "created_at"
        )
    )
    timers = list(Timer.objects.filter(instance_id__in=keys, state=Timer.State.SCHEDULED).order_by("due_at"))
    for e in owners.values():
        if e.element_type == "receiveTask" and not any(
            own(sub) and sub.element_instance_key == e.key for sub in subscriptions
        ):
            # a receive task without a message waits to be triggered (Camunda 7 "signal execution")
            services.trigger_element_instance(e.instance_id, e.key, actor=GENERIC_WORKER)
            return True
    for wanted in (own, once):
        for sub in subscriptions:
            if wanted(sub):
                services.correlate_message(
                    sub.message_name,
                    correlation_key=sub.correlation_key or None,
                    process_instance_key=str(sub.instance_id),
                    actor=GENERIC_WORKER,
                )
                return True
        for sub in signals:
            if wanted(sub):
                services.broadcast_signal(sub.signal_name, actor=GENERIC_WORKER)
                return True
        for timer in timers:
            if wanted(timer):
                _fire(timer)
                return True
    return False


def _fire(timer) -> None:
    """As the beat does: the timer is due, claim what is due, fire what was claimed."""
    from orchestration import services
    from orchestration.models import Timer

    Timer.objects.filter(key=timer.key).update(due_at=timezone.now() - timedelta(seconds=1))
    for key in services.claim_due_timers():
        services.fire_timer(key)


def _describe(tree: Tree) -> str:
    from orchestration.models import (
        ElementInstance,
        Incident,
        MessageSubscription,
        ProcessInstance,
        SignalSubscription,
        Timer,
        UserTask,
    )

    root = ProcessInstance.objects.get(key=tree.root)
    keys = tree.instance_keys()
    incident = Incident.objects.filter(instance_id__in=keys, state=Incident.State.OPEN).order_by("created_at").first()
    if incident is not None:
        return f"incident:{incident.element_id}: {incident.type}: {incident.message[:160]}"
    if root.state != ProcessInstance.State.ACTIVE:
        return root.state
    waits = set()
    for kind, model, open_state in (
        ("message", MessageSubscription, MessageSubscription.State.OPEN),
        ("signal", SignalSubscription, SignalSubscription.State.OPEN),
        ("timer", Timer, Timer.State.SCHEDULED),
        ("user task", UserTask, UserTask.State.CREATED),
    ):
        for element_id in model.objects.filter(instance_id__in=keys, state=open_state).values_list(
            "element_id", flat=True
        ):
            waits.add(f"{kind} {element_id}")
    if not waits:
        # nothing the driver could deliver: name the tokens that wait (a conditional event, a join)
        for element_type, element_id in ElementInstance.objects.filter(
            instance_id__in=keys, state=ElementInstance.State.ACTIVE
        ).values_list("element_type", "element_id"):
            waits.add(f"{element_type} {element_id}")
    return "waits:" + ", ".join(sorted(waits))


def _start_event(process) -> str | None:
    """The none start event, else the first start event at process level (message, timer, signal)."""
    if process.none_start_event(None) is not None:
        return None
    starts = process.start_events(None)
    return starts[0].id


def run_file(relative_path: str) -> str:
    """Deploy the file, start each executable process, drive each, describe each outcome."""
    from orchestration import services
    from orchestration.models import Incident, MessageSubscription, SignalSubscription, Timer
    from orchestration.services.deployments import process_for, validate_for_deploy

    xml = (CORPUS / relative_path).read_bytes()
    _, problems = validate_for_deploy(xml)
    if problems:
        return "refused"
    result = services.deploy(xml, actor=GENERIC_WORKER, resource_name=Path(relative_path).name)
    # start triggers (timer dates long past, signal starts) would start instances of their own
    Timer.objects.filter(instance__isnull=True).update(state=Timer.State.CANCELLED)
    SignalSubscription.objects.filter(instance__isnull=True).update(state=SignalSubscription.State.CLOSED)
    MessageSubscription.objects.filter(instance__isnull=True).update(state=MessageSubscription.State.CLOSED)
    outcomes = []
    registered: dict[str, object] = {}
    try:
        for definition in result.definitions:
            process = process_for(definition)
            instance = services.start_instance(
                definition=definition, start_element_id=_start_event(process), actor=GENERIC_WORKER
            )
            tree = Tree(instance.key)
            fired_once: set[tuple[str, str]] = set()
            for _ in range(MAX_STEPS):
                if Incident.objects.filter(instance_id__in=tree.instance_keys(), state=Incident.State.OPEN).exists():
                    break
                if not _step(tree, fired_once, registered):
                    break
            else:
                outcomes.append((definition.bpmn_process_id, "loops"))
                continue
            outcomes.append((definition.bpmn_process_id, _describe(tree)))
    finally:
        restore_handlers(registered)
    if len(outcomes) == 1:
        return outcomes[0][1]
    return " | ".join(f"{process_id} {outcome}" for process_id, outcome in outcomes)
