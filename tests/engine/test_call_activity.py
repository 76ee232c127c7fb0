"""Call activities: child instances linked to parent and root, bindings, variables in and out,
completion through the outbox job, cancellation, incidents and errors across the boundary.

Reloaded only: the child is a new ProcessInstance row started by the services, and the
parent hears from it through an internal job (`deliver_outbox` runs it, as Celery would).
"""

from __future__ import annotations

import pytest

from orchestration import selectors, services
from orchestration.models import Incident, Job, ProcessInstance, Variable

from .harness import bpmn


def _child_xml(tag: str = "v1", job_type: str = "child-work") -> str:
    return (
        bpmn("call_activity_child")
        .replace('value="TAG"', f'value="{tag}"')
        .replace('type="child-work"', f'type="{job_type}"')
    )


def _children(parent_key) -> list[ProcessInstance]:
    return list(ProcessInstance.objects.filter(parent_id=parent_key).order_by("started_at", "key"))


def _child_variables(child) -> dict:
    return dict(Variable.objects.filter(instance=child, scope_key=child.key).values_list("name", "value"))


def _open_job(instance, job_type=None) -> Job:
    jobs = Job.objects.filter(instance=instance, state="activatable")
    if job_type:
        jobs = jobs.filter(type=job_type)
    (job,) = jobs
    return job


def test_call_activity_starts_a_child_linked_to_its_parent_and_root(reloaded):
    reloaded.deploy(_child_xml())
    reloaded.deploy(bpmn("call_activity_zeebe"))
    reloaded.start("call-parent", {"childId": "call-child", "order": {"total": 5}})

    (child,) = _children(reloaded.instance_key)
    call = reloaded._instance.element_instances.get(element_id="call")
    assert child.bpmn_process_id == "call-child"
    assert child.parent_element_instance_key == call.key
    assert child.root_key == reloaded.instance_key
    assert child.state == "active"
    assert reloaded.active_elements() == ["call"]


def test_zeebe_call_activity_passes_all_variables_and_input_mappings_to_the_child(reloaded):
    reloaded.deploy(_child_xml())
    reloaded.deploy(bpmn("call_activity_zeebe"))
    reloaded.start("call-parent", {"childId": "call-child", "order": {"total": 5}})

    (child,) = _children(reloaded.instance_key)
    assert _child_variables(child) == {"childId": "call-child", "order": {"total": 5}, "amount": 5}


def test_child_completion_completes_the_call_activity_with_all_child_variables(reloaded):
    reloaded.deploy(_child_xml())
    reloaded.deploy(bpmn("call_activity_zeebe"))
    reloaded.start("call-parent", {"childId": "call-child", "order": {"total": 5}})
    (child,) = _children(reloaded.instance_key)

    services.complete_job(_open_job(child).key, {"result": "shipped"}, actor="test")
    child.refresh_from_db()
    assert child.state == "completed"
    assert reloaded.active_elements() == ["call"]  # the parent hears it through its outbox job

    assert reloaded.deliver_outbox() == 1

    assert [j.element_id for j in reloaded.jobs()] == ["after"]
    assert reloaded.variables()["result"] == "shipped"
    # "amount" came back too, into the call activity's local input variable, which ended with it
    assert "amount" not in reloaded.variables()


def test_delivering_the_outbox_job_twice_is_harmless(reloaded):
    from orchestration.tasks import execute_job

    reloaded.deploy(_child_xml())
    reloaded.deploy(bpmn("call_activity_zeebe"))
    reloaded.start("call-parent", {"childId": "call-child", "order": {"total": 5}})
    (child,) = _children(reloaded.instance_key)
    services.complete_job(_open_job(child).key, {}, actor="test")
    outbox = Job.objects.get(type="__call_activity__")

    reloaded.deliver_outbox()
    assert execute_job(outbox.key, worker="test") == []

    assert [j.element_id for j in reloaded.jobs()] == ["after"]


def test_zeebe_without_propagation_passes_only_mapped_variables_both_ways(reloaded):
    reloaded.deploy(_child_xml())
    reloaded.deploy(bpmn("call_activity_zeebe_isolated"))
    reloaded.start("call-isolated", {"order": {"total": 7}, "secret": "x"})
    (child,) = _children(reloaded.instance_key)
    assert _child_variables(child) == {"amount": 7}

    services.complete_job(_open_job(child).key, {"result": 42, "noise": 1}, actor="test")
    reloaded.deliver_outbox()

    assert reloaded.state == "completed"
    assert reloaded.variables() == {"order": {"total": 7}, "secret": "x", "childResult": 42}


def test_camunda_in_and_out_mappings_and_business_key(reloaded):
    reloaded.deploy(_child_xml())
    reloaded.deploy(bpmn("call_activity_camunda"))
    reloaded.start(
        "call-parent-camunda", {"customer": "ACME", "order": {"total": 4}, "secret": 1}, business_key="ORD-7"
    )
    (child,) = _children(reloaded.instance_key)

    assert child.business_key == "ORD-7"
    assert _child_variables(child) == {"client": "ACME", "doubled": 8}

    services.complete_job(_open_job(child).key, {"result": "ok", "noise": 1}, actor="test")
    reloaded.deliver_outbox()

    assert reloaded.state == "completed"
    assert reloaded.variables() == {"customer": "ACME", "order": {"total": 4}, "secret": 1, "childResult": "ok"}


def test_camunda_variables_all_and_version_binding(reloaded):
    reloaded.deploy(_child_xml("v1"))
    reloaded.deploy(_child_xml("v2", job_type="child-work-v2"))
    reloaded.deploy(bpmn("call_activity_camunda_all"))
    reloaded.start("call-all-camunda", {"a": 1})
    (child,) = _children(reloaded.instance_key)

    assert child.definition.version == 1
    assert _child_variables(child) == {"a": 1}
    services.complete_job(_open_job(child, "child-work").key, {"b": 2}, actor="test")
    reloaded.deliver_outbox()
    assert reloaded.variables() == {"a": 1, "b": 2}


def test_latest_binding_calls_the_newest_version(reloaded):
    reloaded.deploy(_child_xml("v1"))
    reloaded.deploy(_child_xml("v2", job_type="child-work-v2"))
    reloaded.deploy(bpmn("call_activity_zeebe"))
    reloaded.start("call-parent", {"childId": "call-child", "order": {"total": 1}})

    (child,) = _children(reloaded.instance_key)
    assert child.definition.version == 2


def test_version_tag_binding_calls_the_tagged_version(reloaded):
    reloaded.deploy(_child_xml("v1"))
    reloaded.deploy(_child_xml("v2", job_type="child-work-v2"))
    reloaded.deploy(bpmn("call_activity_version_tag"))
    reloaded.start("call-tagged")

    (child,) = _children(reloaded.instance_key)
    assert (child.definition.version, child.definition.version_tag) == (1, "v1")


def test_deployment_binding_calls_the_version_deployed_with_the_parent(reloaded):
    reloaded.deploy(bpmn("call_activity_deployment"))
    reloaded.deploy(_child_xml("later"))  # a newer call-child version, in another deployment
    reloaded.start("call-same-deployment")

    (child,) = _children(reloaded.instance_key)
    assert child.definition.version == 1
    assert _open_job(child).type == "bundled-child-work"


def test_calling_a_process_that_is_not_deployed_raises_an_incident_that_a_retry_fixes(reloaded):
    reloaded.deploy(bpmn("call_activity_zeebe"))
    reloaded.start("call-parent", {"childId": "missing", "order": {"total": 1}})

    ((element_id, kind, message),) = reloaded.incident_info()
    assert (element_id, kind) == ("call", "called_element")
    assert "process 'missing'" in message
    assert _children(reloaded.instance_key) == []

    reloaded.deploy(_child_xml())
    reloaded.resolve_incident(reloaded.incidents()[0].key, {"childId": "call-child"})

    assert len(_children(reloaded.instance_key)) == 1
    assert reloaded.incidents() == []


def test_cancelling_the_parent_cancels_the_child_tree(reloaded):
    reloaded.deploy(_child_xml())
    reloaded.deploy(bpmn("call_activity_zeebe"))
    reloaded.start("call-parent", {"childId": "call-child", "order": {"total": 1}})
    (child,) = _children(reloaded.instance_key)

    reloaded.cancel()

    child.refresh_from_db()
    assert child.state == "cancelled"
    assert Job.objects.get(instance=child).state == "cancelled"


def test_a_child_instance_cannot_be_cancelled_on_its_own(reloaded):
    from orchestration.exceptions import InvalidState

    reloaded.deploy(_child_xml())
    reloaded.deploy(bpmn("call_activity_zeebe"))
    reloaded.start("call-parent", {"childId": "call-child", "order": {"total": 1}})
    (child,) = _children(reloaded.instance_key)

    with pytest.raises(InvalidState, match="called by"):
        services.cancel_instance(child.key, actor="test")


def test_an_incident_in_the_child_is_visible_from_the_parent(reloaded):
    reloaded.deploy(_child_xml())
    reloaded.deploy(bpmn("call_activity_zeebe"))
    reloaded.start("call-parent", {"childId": "call-child", "order": {"total": 1}})
    (child,) = _children(reloaded.instance_key)

    services.fail_job(_open_job(child).key, retries=0, error_message="boom", actor="test")

    parent = reloaded._instance
    assert Incident.objects.filter(instance=child, state="open").count() == 1
    assert selectors.count_open_incidents_in_tree(parent) == 1
    detail = selectors.get_instance_detail(parent)
    (waiting,) = detail.waiting
    assert any("1 open incident" in w for w in waiting.waits_for)


def test_an_error_thrown_in_the_child_is_caught_by_a_boundary_on_the_call_activity(reloaded):
    reloaded.deploy(bpmn("call_activity_error"))
    reloaded.start("call-error-parent")
    (child,) = _children(reloaded.instance_key)

    services.complete_job(_open_job(child).key, {"ok": False}, actor="test")
    child.refresh_from_db()
    assert child.state == "active"  # the error end event waits for the parent's verdict
    reloaded.deliver_outbox()

    child.refresh_from_db()
    assert child.state == "cancelled"
    assert [j.element_id for j in reloaded.jobs()] == ["handle"]
    assert reloaded.audit_elements("element_terminated") == ["call"]


def test_an_error_nobody_catches_becomes_an_incident_on_the_call_activity(reloaded):
    xml = bpmn("call_activity_error").replace(
        '<bpmn:errorEventDefinition errorRef="err" />\n    </bpmn:boundaryEvent>',
        '<bpmn:errorEventDefinition errorRef="other" />\n    </bpmn:boundaryEvent>',
    )
    xml = xml.replace(
        '<bpmn:error id="err" errorCode="REJECTED" />',
        '<bpmn:error id="err" errorCode="REJECTED" /><bpmn:error id="other" errorCode="OTHER" />',
    )
    reloaded.deploy(xml)
    reloaded.start("call-error-parent")
    (child,) = _children(reloaded.instance_key)

    services.complete_job(_open_job(child).key, {"ok": False}, actor="test")
    reloaded.deliver_outbox()

    ((element_id, kind, message),) = reloaded.incident_info()
    assert (element_id, kind) == ("call", "unhandled_error")
    assert "REJECTED" in message


def test_multi_instance_call_activity_starts_a_child_per_item_and_collects_their_results(reloaded):
    reloaded.deploy(_child_xml())
    reloaded.deploy(bpmn("call_activity_multi_instance"))
    reloaded.start("call-each", {"items": ["a", "b"]})

    children = _children(reloaded.instance_key)
    assert sorted(_child_variables(c)["item"] for c in children) == ["a", "b"]
    for child in reversed(children):
        item = _child_variables(child)["item"]
        services.complete_job(_open_job(child).key, {"result": item.upper()}, actor="test")
    reloaded.deliver_outbox()

    assert reloaded.state == "completed"
    assert reloaded.variables()["results"] == ["A", "B"]
