"""Escalation throw (intermediate, end) and catch (boundary; event subprocesses are in
test_event_subprocess.py): by code before catch-all; an uncaught escalation is no incident."""

from __future__ import annotations

from orchestration.models import Job

from .harness import bpmn


def test_an_uncaught_escalation_is_no_incident_and_the_process_goes_on(driver):
    driver.deploy(bpmn("escalation"))
    driver.start("escalation-uncaught")

    assert driver.incidents() == []
    assert [j.element_id for j in driver.jobs()] == ["work"]
    assert driver.audit_elements("escalation_thrown") == ["raise"]


def test_an_escalation_end_event_is_caught_by_code_and_interrupts_the_subprocess(driver):
    driver.deploy(bpmn("escalation"))
    driver.start("escalation-boundaries", {"code": "LATE"})

    assert [j.element_id for j in driver.jobs()] == ["handle-late"]
    assert driver.active_elements() == ["handle-late"]
    assert driver.audit_elements("boundary_triggered") == ["on-late"]
    # Camunda 8: the catch event's output mappings may read the escalation code
    assert driver.variables() == {"code": "LATE", "escalated": "LATE"}


def test_another_code_is_caught_by_the_non_interrupting_catch_all_and_the_subprocess_goes_on(driver):
    driver.deploy(bpmn("escalation"))
    driver.start("escalation-boundaries", {"code": "SLOW"})

    assert [j.element_id for j in driver.jobs()] == ["note", "slow"]
    assert driver.audit_elements("boundary_triggered") == ["on-any"]
    slow = [j for j in driver.jobs() if j.element_id == "slow"][0]
    driver.complete_job(slow.key)
    assert [j.element_id for j in driver.jobs()] == ["after", "note"]


def test_an_interrupting_escalation_cancels_the_other_branch_job_in_the_database(reloaded):
    reloaded.deploy(bpmn("escalation"))
    reloaded.start("escalation-boundaries", {"code": "LATE"})

    # the branch's job was created and cancelled in the same command: never written as open
    assert not Job.objects.filter(instance_id=reloaded.instance_key, element_id="slow", state="activatable").exists()
