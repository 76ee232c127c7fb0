"""Event-based gateway: waits on the events after it; the first wins, the others are withdrawn."""

from __future__ import annotations

from orchestration.models import MessageSubscription, SignalSubscription, Timer

from .harness import bpmn


def _start(driver):
    driver.deploy(bpmn("event_based_gateway"))
    driver.start("event-based-gateway", {"orderId": "O-7"})


def test_the_gateway_waits_on_every_event_after_it(driver):
    _start(driver)

    assert driver.active_elements() == ["wait-first"]
    assert [(s.element_id, s.detail) for s in driver.subscriptions()] == [("paid", "payment-received/O-7")]
    assert [t.element_id for t in driver.timers()] == ["timeout"]
    assert [(s.element_id, s.detail) for s in driver.signal_subscriptions()] == [("closed", "shop-closed")]


def test_a_message_wins_and_the_other_events_are_withdrawn(driver):
    _start(driver)

    assert driver.correlate("payment-received", "O-7", {"amount": 12}) is True

    assert [j.element_id for j in driver.jobs()] == ["ship"]
    assert driver.timers() == [] and driver.signal_subscriptions() == [] and driver.subscriptions() == []
    assert driver.variables() == {"orderId": "O-7", "amount": 12}
    assert driver.audit_elements("event_gateway_triggered") == ["wait-first"]
    assert driver.audit_elements("element_completed")[-2:] == ["wait-first", "paid"]


def test_the_timer_wins_when_nothing_arrives(driver):
    _start(driver)

    assert driver.fire_timers() == 1

    assert [j.element_id for j in driver.jobs()] == ["cancel"]
    assert driver.subscriptions() == [] and driver.signal_subscriptions() == []
    assert driver.correlate("payment-received", "O-7") is False


def test_a_signal_wins(driver):
    _start(driver)

    assert driver.broadcast("shop-closed") == 1

    assert [j.element_id for j in driver.jobs()] == ["close"]
    assert driver.timers() == []


def test_the_losing_waits_are_closed_in_the_database(reloaded):
    _start(reloaded)

    reloaded.correlate("payment-received", "O-7")

    key = reloaded.instance_key
    assert Timer.objects.get(instance_id=key, element_id="timeout").state == "cancelled"
    assert SignalSubscription.objects.get(instance_id=key, element_id="closed").state == "closed"
    assert MessageSubscription.objects.get(instance_id=key, element_id="paid").state == "correlated"


def test_a_receive_task_after_the_gateway_wins_with_its_message(driver):
    driver.deploy(bpmn("event_based_gateway_camunda"))
    driver.start("event-based-gateway-camunda")

    assert driver.correlate("answer", variables={"answer": "yes"}) is True

    assert [j.element_id for j in driver.jobs()] == ["process-answer"]
    assert driver.timers() == []
    assert driver.variables() == {"answer": "yes"}
