"""Small BPMN builders and polling helpers for the integration tests."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from orchestration.models import AuditEvent, ProcessInstance

_HEAD = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
                  xmlns:zeebe="http://camunda.org/schema/zeebe/1.0"
                  id="defs-{pid}" targetNamespace="http://example.com/itest">
  <bpmn:process id="{pid}" isExecutable="true">
"""
_TAIL = """  </bpmn:process>
</bpmn:definitions>
"""


def service_task(element_id: str, job_type: str, retries: int = 3) -> str:
    return (
        f'    <bpmn:serviceTask id="{element_id}">\n'
        f'      <bpmn:extensionElements><zeebe:taskDefinition type="{job_type}" retries="{retries}" />'
        f"</bpmn:extensionElements>\n"
        f"    </bpmn:serviceTask>\n"
    )


def timer_catch(element_id: str, duration: str) -> str:
    return (
        f'    <bpmn:intermediateCatchEvent id="{element_id}">\n'
        f"      <bpmn:timerEventDefinition><bpmn:timeDuration>{duration}</bpmn:timeDuration></bpmn:timerEventDefinition>\n"
        f"    </bpmn:intermediateCatchEvent>\n"
    )


def flow(source: str, target: str) -> str:
    return f'    <bpmn:sequenceFlow id="f-{source}-{target}" sourceRef="{source}" targetRef="{target}" />\n'


def sequence_process(process_id: str, *nodes: tuple[str, str]) -> str:
    """start -> nodes in order -> end; each node is (element id, XML of the element)."""
    ids = ["start", *(element_id for element_id, _ in nodes), "end"]
    body = (
        '    <bpmn:startEvent id="start" />\n' + "".join(xml for _, xml in nodes) + '    <bpmn:endEvent id="end" />\n'
    )
    body += "".join(flow(a, b) for a, b in zip(ids, ids[1:], strict=False))
    return _HEAD.format(pid=process_id) + body + _TAIL


def fork_join_process(process_id: str, branches: int, branch_type: str, after_type: str) -> str:
    """start -> fork -> `branches` service tasks -> join -> after -> end."""
    body = '    <bpmn:startEvent id="start" />\n    <bpmn:parallelGateway id="fork" />\n'
    body += (
        '    <bpmn:parallelGateway id="join" />\n'
        + service_task("after", after_type)
        + '    <bpmn:endEvent id="end" />\n'
    )
    body += flow("start", "fork") + flow("join", "after") + flow("after", "end")
    for n in range(1, branches + 1):
        task = f"branch{n:02d}"
        body += service_task(task, branch_type) + flow("fork", task) + flow(task, "join")
    return _HEAD.format(pid=process_id) + body + _TAIL


def wait_for(
    predicate: Callable[[], Any], *, timeout: float, what: str, describe: Callable[[], Any] | None = None
) -> Any:
    """Poll until predicate() is truthy (and return it); fail after `timeout` seconds saying what was awaited."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            state = f"\nstate: {describe()}" if describe else ""
            raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}{state}")
        time.sleep(0.1)


def instance_state(key: Any) -> str:
    return ProcessInstance.objects.values_list("state", flat=True).get(key=key)


def wait_until_completed(key: Any, *, timeout: float = 30) -> ProcessInstance:
    wait_for(
        lambda: instance_state(key) == ProcessInstance.State.COMPLETED,
        timeout=timeout,
        what=f"instance {key} to complete",
        describe=lambda: audit_trail(key)[-8:],
    )
    return ProcessInstance.objects.get(key=key)


def audit_trail(key: Any) -> list[tuple[str, str]]:
    return list(AuditEvent.objects.filter(instance_key=key).order_by("id").values_list("type", "element_id"))
