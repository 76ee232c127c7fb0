"""Receive task: waits for a message by name and correlation key (a FEEL expression)."""

from __future__ import annotations

import pytest

from orchestration import services
from orchestration.exceptions import NoSubscription
from orchestration.models import MessageSubscription

from .harness import bpmn


def test_receive_task_subscribes_with_the_correlation_key_from_its_expression(driver):
    driver.deploy(bpmn("receive_task"))
    driver.start("receive-task", {"orderId": "ORD-42"})

    (sub,) = driver.subscriptions()
    assert (sub.element_id, sub.detail) == ("wait-payment", "payment-received/ORD-42")
    assert driver.active_elements() == ["wait-payment"]


def test_receive_task_continues_when_its_message_is_correlated_by_key(driver):
    driver.deploy(bpmn("receive_task"))
    driver.start("receive-task", {"orderId": "ORD-42"})

    assert driver.correlate("payment-received", "ORD-42", {"paidAmount": 99}) is True

    assert driver.subscriptions() == []
    assert [j.element_id for j in driver.jobs()] == ["ship"]
    assert driver.variables() == {"orderId": "ORD-42", "paidAmount": 99}


def test_a_message_with_another_correlation_key_does_not_reach_the_receive_task(driver):
    driver.deploy(bpmn("receive_task"))
    driver.start("receive-task", {"orderId": "ORD-42"})

    assert driver.correlate("payment-received", "ORD-43") is False

    assert [s.element_id for s in driver.subscriptions()] == ["wait-payment"]
    assert driver.jobs() == []


def test_a_receive_task_whose_correlation_key_is_null_raises_an_incident(driver):
    driver.deploy(bpmn("receive_task"))
    driver.start("receive-task")

    ((element_id, type, message),) = driver.incident_info()
    assert (element_id, type) == ("wait-payment", "extract_value")
    assert "evaluated to null" in message
    assert driver.subscriptions() == []


def test_correlating_with_no_waiting_subscription_raises_no_subscription(reloaded):
    reloaded.deploy(bpmn("receive_task"))
    reloaded.start("receive-task", {"orderId": "ORD-42"})

    with pytest.raises(
        NoSubscription,
        match="no process instance or start event is waiting for message 'payment-received' with correlation key 'ORD-1'",
    ):
        services.correlate_message("payment-received", correlation_key="ORD-1", actor="test")

    assert MessageSubscription.objects.get().state == "open"
