"""Message boundary events: interrupting and non-interrupting, by correlation key."""

from __future__ import annotations

from orchestration.models import Job, MessageSubscription

from .harness import bpmn


def _start(driver, order_id="A-1"):
    driver.deploy(bpmn("boundary_message"))
    driver.start("boundary-message", {"orderId": order_id})


def test_activity_start_subscribes_its_message_boundary_events_with_their_correlation_keys(driver):
    _start(driver)

    subs = {s.element_id: s.detail for s in driver.subscriptions()}
    assert subs == {"address-change": "address-changed/A-1", "cancel-request": "order-cancelled/A-1"}


def test_interrupting_message_cancels_the_activity_and_continues_from_the_boundary_event(driver):
    _start(driver)

    assert driver.correlate("order-cancelled", "A-1", {"reason": "changed mind"}) is True

    assert [j.element_id for j in driver.jobs()] == ["refund"]
    assert driver.subscriptions() == []
    assert driver.variables() == {"orderId": "A-1", "reason": "changed mind"}
    assert driver.audit_elements("boundary_triggered") == ["cancel-request"]


def test_a_message_with_another_correlation_key_does_not_trigger_the_boundary_event(driver):
    _start(driver)

    assert driver.correlate("order-cancelled", "B-2") is False

    assert [j.element_id for j in driver.jobs()] == ["ship"]


def test_non_interrupting_message_runs_beside_the_activity_and_can_arrive_again(driver):
    _start(driver)

    assert driver.correlate("address-changed", "A-1", {"street": "Elm"}) is True
    assert driver.correlate("address-changed", "A-1", {"street": "Oak"}) is True

    assert [j.element_id for j in driver.jobs()] == ["ship", "update-address", "update-address"]
    assert sorted(s.element_id for s in driver.subscriptions()) == ["address-change", "cancel-request"]
    assert driver.variables()["street"] == "Oak"


def test_completing_the_activity_closes_its_boundary_subscriptions(driver):
    _start(driver)
    (job,) = driver.jobs()

    driver.complete_job(job.key)

    assert driver.subscriptions() == []
    assert driver.state == "completed"
    assert driver.correlate("order-cancelled", "A-1") is False


def test_interrupting_message_cancels_the_job_and_closes_the_other_subscription_in_the_database(reloaded):
    _start(reloaded)
    (job,) = reloaded.jobs()

    reloaded.correlate("order-cancelled", "A-1")

    assert Job.objects.get(key=job.key).state == "cancelled"
    states = dict(
        MessageSubscription.objects.filter(instance_id=reloaded.instance_key).values_list("element_id", "state")
    )
    assert states == {"cancel-request": "correlated", "address-change": "closed"}
