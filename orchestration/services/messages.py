"""Messages: correlate to waiting subscriptions (or start events), publish with a time-to-live."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.db import transaction

from ..exceptions import AmbiguousCorrelation, InvalidInput, InvalidState, NoSubscription
from ..models import BufferedMessage, MessageSubscription, ProcessDefinition, ProcessInstance
from ._command import Command, actor_name, check_variables, instance_command, now


@dataclass
class Correlation:
    instance_key: uuid.UUID
    element_id: str
    started: bool  # a message start event created the instance


def _matching(name: str, correlation_key: str | None, business_key: str | None, instance_key: str | None, excluded=()):
    subs = MessageSubscription.objects.filter(
        message_name=name, state=MessageSubscription.State.OPEN, instance__isnull=False
    )
    if excluded:
        subs = subs.exclude(instance__bpmn_process_id__in=sorted(excluded))
    if correlation_key:
        subs = subs.filter(correlation_key=correlation_key)
    if business_key:
        subs = subs.filter(instance__business_key=business_key)
    if instance_key:
        subs = subs.filter(instance_id=instance_key)
    return list(subs.order_by("created_at").values_list("key", "instance_id"))


def _start_subscriptions(name: str, excluded=()):
    # only the latest version of each process listens for its message start event
    return [
        s
        for s in MessageSubscription.objects.filter(
            message_name=name, state=MessageSubscription.State.OPEN, instance__isnull=True
        ).select_related("definition")
        if s.definition.bpmn_process_id not in excluded
    ]


def _deliver(sub_key: uuid.UUID, instance_key: uuid.UUID, name: str, variables: dict, actor: Any) -> Correlation | None:
    with instance_command(instance_key, actor=actor) as cmd:
        sub = MessageSubscription.objects.filter(key=sub_key, state=MessageSubscription.State.OPEN).first()
        if sub is None or not cmd.runner.is_waiting(sub.element_instance_key):
            return None  # correlated or closed concurrently
        MessageSubscription.objects.filter(key=sub.key).update(
            state=MessageSubscription.State.CORRELATED, correlated_at=cmd.now
        )
        cmd.runner.audit(
            "message_correlated",
            sub.element_id,
            sub.element_instance_key,
            {"message": name, "variables": sorted(variables)},
        )
        cmd.runner.trigger(sub.element_instance_key, sub.element_id, variables)
    return Correlation(instance_key, sub.element_id, started=False)


def correlate_message(
    name: str,
    *,
    actor: Any,
    correlation_key: str | None = None,
    business_key: str | None = None,
    process_instance_key: str | None = None,
    variables: dict[str, Any] | None = None,
    all: bool = False,
    start_instances: bool = True,
    exclude_process_ids: Collection[str] = (),
    exclude_start_process_ids: Collection[str] = (),
) -> list[Correlation]:
    """Correlate a message now. Raises NoSubscription when nothing waits for it.

    Without `all`, more than one waiting instance is an error (Camunda 7 semantics).
    Instances of ``exclude_process_ids`` and start events of ``exclude_start_process_ids``
    (per-process rules of the actor, ``access.correlation_excluded``) are not matched, as if
    they did not wait.
    """
    if not name:
        raise InvalidInput("a message name is required")
    variables = check_variables(variables)
    matches = _matching(name, correlation_key, business_key, process_instance_key, exclude_process_ids)
    if len(matches) > 1 and not all:
        raise AmbiguousCorrelation(
            f"message '{name}' matches {len(matches)} waiting instances; correlate with a narrower key or correlate all"
        )
    results: list[Correlation] = []
    for sub_key, instance_key in matches:
        try:
            delivered = _deliver(sub_key, instance_key, name, variables, actor)
        except InvalidState:
            # broadcasting (all): a suspended or ended instance must not stop delivery to the others
            if not all:
                raise
            continue
        if delivered:
            results.append(delivered)
    if not results and start_instances and process_instance_key is None:
        from .instances import start_instance

        for sub in _start_subscriptions(name, exclude_start_process_ids):
            instance = start_instance(
                definition=sub.definition,
                start_element_id=sub.element_id,
                variables=variables,
                business_key=business_key or "",
                actor=actor,
            )
            results.append(Correlation(instance.key, sub.element_id, started=True))
            if not all:
                break
    if not results:
        detail = f" with correlation key '{correlation_key}'" if correlation_key else ""
        raise NoSubscription(f"no process instance or start event is waiting for message '{name}'{detail}")
    return results


def publish_message(
    name: str,
    *,
    actor: Any,
    correlation_key: str = "",
    variables: dict[str, Any] | None = None,
    ttl_seconds: float = 0,
    message_id: str = "",
    exclude_process_ids: Collection[str] = (),
    exclude_start_process_ids: Collection[str] = (),
) -> tuple[list[Correlation], BufferedMessage | None]:
    """Publish: correlate to every waiting instance; if none waits and ttl > 0, keep it until ttl.
    The exclusions are correlate_message's (a buffered message is not bound to them: callers
    with exclusions do not buffer)."""
    if ttl_seconds < 0:
        raise InvalidInput("time to live must not be negative")
    variables = check_variables(variables)
    moment = now()
    if message_id and BufferedMessage.objects.filter(name=name, message_id=message_id, expires_at__gt=moment).exists():
        raise InvalidState(f"a message '{name}' with id '{message_id}' was already published and is still buffered")
    try:
        results = correlate_message(
            name,
            actor=actor,
            correlation_key=correlation_key,
            variables=variables,
            all=True,
            exclude_process_ids=exclude_process_ids,
            exclude_start_process_ids=exclude_start_process_ids,
        )
    except NoSubscription:
        results = []
    buffered = None
    if not results and ttl_seconds > 0:
        buffered = BufferedMessage.objects.create(
            name=name,
            correlation_key=correlation_key or "",
            message_id=message_id,
            variables=variables,
            expires_at=moment + timedelta(seconds=ttl_seconds),
            created_at=moment,
        )
    return results, buffered


def correlate_buffered(cmd: Command) -> None:
    """Caller holds the instance lock. Give new subscriptions a buffered message that waits for them."""
    checked = 0
    while cmd.ws.new_subscriptions and checked < 100:
        matched = False
        for spec in list(cmd.ws.new_subscriptions):
            checked += 1
            if not cmd.runner.is_waiting(spec.element_instance_key):
                continue  # its owner ended in this command: the store drops it
            message = (
                BufferedMessage.objects.select_for_update(skip_locked=True)
                .filter(
                    name=spec.message_name,
                    correlation_key=spec.correlation_key,
                    expires_at__gt=cmd.now,
                    correlated_at__isnull=True,
                )
                .order_by("created_at")
                .first()
            )
            if message is None:
                continue
            BufferedMessage.objects.filter(key=message.key).update(
                correlated_at=cmd.now, correlated_instance_key=cmd.ws.instance.key
            )
            cmd.ws.new_subscriptions.remove(spec)
            cmd.runner.audit(
                "message_correlated",
                spec.element_id,
                spec.element_instance_key,
                {
                    "message": spec.message_name,
                    "buffered": str(message.key),
                    "variables": sorted(message.variables or {}),
                },
            )
            cmd.runner.trigger(spec.element_instance_key, spec.element_id, message.variables or {})
            matched = True
            break
        if not matched:
            return


__all__ = [
    "Correlation",
    "correlate_message",
    "publish_message",
    "actor_name",
    "ProcessDefinition",
    "ProcessInstance",
    "transaction",
]
