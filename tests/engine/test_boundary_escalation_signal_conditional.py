"""Escalation, signal and conditional boundary events (interrupting and non-interrupting)."""

from __future__ import annotations

from orchestration.models import Job, SignalSubscription, UserTask

from .harness import bpmn


def test_non_interrupting_escalation_boundary_runs_beside_the_subprocess(driver):
    driver.deploy(bpmn("boundary_escalation_signal_conditional"))
    driver.start("boundary-escalation")

    assert [j.element_id for j in driver.jobs()] == ["drive", "inform"]
    assert driver.audit_elements("escalation_thrown") == ["report-late"]
    assert driver.audit_elements("boundary_triggered") == ["on-late"]
    assert sorted(driver.active_elements()) == ["deliver", "drive", "inform"]

    for job in driver.jobs():
        driver.complete_job(job.key)
    assert driver.state == "completed"


def test_activity_start_subscribes_its_signal_boundary_events(driver):
    driver.deploy(bpmn("boundary_escalation_signal_conditional"))
    driver.start("boundary-signal")

    assert {(s.element_id, s.detail) for s in driver.signal_subscriptions()} == {
        ("on-ping", "ping"),
        ("on-stop", "stop-all"),
    }


def test_non_interrupting_signal_boundary_fires_on_each_broadcast(driver):
    driver.deploy(bpmn("boundary_escalation_signal_conditional"))
    driver.start("boundary-signal")

    assert driver.broadcast("ping") == 1
    assert driver.broadcast("ping", {"round": 2}) == 1

    assert [j.element_id for j in driver.jobs()] == ["pong", "pong", "work"]
    assert driver.variables() == {"round": 2}
    assert sorted(s.element_id for s in driver.signal_subscriptions()) == ["on-ping", "on-stop"]


def test_interrupting_signal_boundary_cancels_the_activity(driver):
    driver.deploy(bpmn("boundary_escalation_signal_conditional"))
    driver.start("boundary-signal")

    assert driver.broadcast("stop-all") == 1

    assert [j.element_id for j in driver.jobs()] == ["stopped"]
    assert driver.signal_subscriptions() == []
    assert driver.audit_elements("boundary_triggered") == ["on-stop"]


def test_interrupting_signal_boundary_closes_job_and_signal_subscriptions_in_the_database(reloaded):
    reloaded.deploy(bpmn("boundary_escalation_signal_conditional"))
    reloaded.start("boundary-signal")
    (job,) = reloaded.jobs()

    reloaded.broadcast("stop-all")

    assert Job.objects.get(key=job.key).state == "cancelled"
    states = dict(
        SignalSubscription.objects.filter(instance_id=reloaded.instance_key).values_list("element_id", "state")
    )
    assert states == {"on-stop": "closed", "on-ping": "closed"}


def test_conditional_boundary_fires_when_a_variable_change_makes_it_true(driver):
    driver.deploy(bpmn("boundary_escalation_signal_conditional"))
    driver.start("boundary-conditional", {"urgent": False, "amount": 10})
    assert [t.element_id for t in driver.user_tasks()] == ["process-claim"]

    driver.set_variables({"urgent": True})

    assert driver.user_tasks() == []
    assert [j.element_id for j in driver.jobs()] == ["rush"]
    assert driver.audit_elements("boundary_triggered") == ["on-urgent"]


def test_conditional_boundary_already_true_when_the_activity_starts_fires_at_once(driver):
    driver.deploy(bpmn("boundary_escalation_signal_conditional"))
    driver.start("boundary-conditional", {"urgent": True, "amount": 10})

    assert driver.user_tasks() == []
    assert [j.element_id for j in driver.jobs()] == ["rush"]


def test_non_interrupting_conditional_boundary_fires_again_only_after_becoming_false(driver):
    driver.deploy(bpmn("boundary_escalation_signal_conditional"))
    driver.start("boundary-conditional", {"urgent": False, "amount": 10})

    driver.set_variables({"amount": 5000})
    driver.set_variables({"amount": 6000})  # still true: no second trigger
    assert [j.element_id for j in driver.jobs()] == ["review-amount"]

    driver.set_variables({"amount": 1})
    driver.set_variables({"amount": 2000})

    assert [j.element_id for j in driver.jobs()] == ["review-amount", "review-amount"]
    assert [t.element_id for t in driver.user_tasks()] == ["process-claim"]


def test_interrupting_conditional_boundary_cancels_the_user_task_in_the_database(reloaded):
    reloaded.deploy(bpmn("boundary_escalation_signal_conditional"))
    reloaded.start("boundary-conditional", {"urgent": False, "amount": 10})
    (task,) = reloaded.user_tasks()

    reloaded.set_variables({"urgent": True})

    assert UserTask.objects.get(key=task.key).state == "cancelled"
