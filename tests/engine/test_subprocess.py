"""Embedded subprocess: its own variable scope, outputs, parallel tokens inside, cancellation."""

from __future__ import annotations

from orchestration.models import Job, Timer, UserTask

from .harness import bpmn


def test_subprocess_input_mappings_make_scope_variables_visible_inside(driver):
    driver.deploy(bpmn("subprocess_local_variables"))
    driver.start("subprocess-locals", {"customer": {"name": "Ada"}})

    assert driver.local_variables("sub") == {"who": "Ada", "greeting": ""}
    assert driver.variables() == {"customer": {"name": "Ada"}}
    assert sorted(driver.active_elements()) == ["greet", "sub"]


def test_a_variable_of_the_subprocess_scope_is_updated_there_and_vanishes_after_its_output(driver):
    driver.deploy(bpmn("subprocess_local_variables"))
    driver.start("subprocess-locals", {"customer": {"name": "Ada"}})

    driver.complete_job(driver.jobs()[0].key, {"greeting": "Hello Ada"})

    assert driver.local_scope_count() == 0
    assert driver.variables() == {"customer": {"name": "Ada"}, "message": "Hello Ada"}
    assert [j.element_id for j in driver.jobs()] == ["after"]


def test_a_new_job_variable_inside_a_subprocess_propagates_to_the_process_scope(driver):
    driver.deploy(bpmn("subprocess_local_variables"))
    driver.start("subprocess-locals", {"customer": {"name": "Ada"}})

    driver.complete_job(driver.jobs()[0].key, {"greeting": "Hi", "mood": "good"})

    assert driver.variables() == {"customer": {"name": "Ada"}, "message": "Hi", "mood": "good"}


def test_a_subprocess_completes_only_when_every_token_inside_has_ended(driver):
    driver.deploy(bpmn("subprocess_parallel"))
    driver.start("subprocess-parallel")
    assert [j.element_id for j in driver.jobs()] == ["pack"]
    assert [t.element_id for t in driver.user_tasks()] == ["label"]
    assert [t.element_id for t in driver.timers()] == ["wait-courier"]

    driver.complete_job(driver.jobs()[0].key)
    driver.complete_user_task(driver.user_tasks()[0].key)
    assert "sub" in driver.active_elements()
    assert driver.jobs() == []

    driver.fire_timers()

    assert driver.active_elements() == ["after"]
    assert driver.audit_elements("gateway_joined") == ["join"]


def test_cancelling_the_instance_terminates_the_subprocess_and_its_children(driver):
    driver.deploy(bpmn("subprocess_parallel"))
    driver.start("subprocess-parallel")

    driver.cancel()

    assert driver.state == "cancelled"
    assert driver.active_elements() == []
    assert sorted(driver.audit_elements("element_terminated")) == ["label", "pack", "sub", "wait-courier"]
    # children end before their scope
    assert driver.audit_elements("element_terminated")[-1] == "sub"
    assert driver.jobs() == [] and driver.user_tasks() == [] and driver.timers() == []


def test_cancelling_closes_the_waits_inside_the_subprocess(reloaded):
    reloaded.deploy(bpmn("subprocess_parallel"))
    reloaded.start("subprocess-parallel")

    reloaded.cancel()

    assert list(Job.objects.values_list("state", flat=True)) == ["cancelled"]
    assert list(UserTask.objects.values_list("state", flat=True)) == ["cancelled"]
    assert list(Timer.objects.values_list("state", flat=True)) == ["cancelled"]
