"""Intermediate message catch event: subscribe, correlate, publish with TTL, ambiguity, duplicates."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from orchestration import services
from orchestration.exceptions import AmbiguousCorrelation, InvalidState
from orchestration.models import BufferedMessage, MessageSubscription

from .harness import ReloadedDriver, bpmn


def test_message_catch_event_subscribes_with_a_computed_correlation_key(driver):
    driver.deploy(bpmn("message_catch_event"))
    driver.start("message-catch", {"contractNumber": 17})

    (sub,) = driver.subscriptions()
    assert (sub.element_id, sub.detail) == ("wait-signature", "contract-signed/C-17")


def test_message_catch_event_continues_when_correlated_by_key(driver):
    driver.deploy(bpmn("message_catch_event"))
    driver.start("message-catch", {"contractNumber": 17})

    assert driver.correlate("contract-signed", "C-17", {"signedBy": "Ada"}) is True

    assert [j.element_id for j in driver.jobs()] == ["activate"]
    assert driver.variables() == {"contractNumber": 17, "signedBy": "Ada"}
    assert "message_subscribed" in driver.audit_types()


def test_correlation_with_no_subscription_correlates_nothing(driver):
    driver.deploy(bpmn("message_catch_event"))
    driver.start("message-catch", {"contractNumber": 17})

    assert driver.correlate("contract-signed", "C-18") is False
    assert driver.correlate("contract-cancelled", "C-17") is False

    assert driver.jobs() == []


def test_a_message_published_with_a_ttl_before_the_instance_subscribes_is_correlated_on_subscribe(reloaded):
    reloaded.deploy(bpmn("message_catch_event"))
    results, buffered = services.publish_message(
        "contract-signed", correlation_key="C-5", variables={"signedBy": "Bo"}, ttl_seconds=60, actor="test"
    )
    assert results == []
    assert buffered is not None

    reloaded.start("message-catch", {"contractNumber": 5})

    assert reloaded.subscriptions() == []
    assert [j.element_id for j in reloaded.jobs()] == ["activate"]
    assert reloaded.variables() == {"contractNumber": 5, "signedBy": "Bo"}
    buffered.refresh_from_db()
    assert buffered.correlated_instance_key == reloaded.instance_key
    assert not MessageSubscription.objects.filter(state="open").exists()


def test_a_buffered_message_is_correlated_only_once(reloaded):
    reloaded.deploy(bpmn("message_catch_event"))
    services.publish_message("contract-signed", correlation_key="C-5", ttl_seconds=60, actor="test")
    reloaded.start("message-catch", {"contractNumber": 5})

    other = ReloadedDriver()
    other.start("message-catch", {"contractNumber": 5})

    assert [s.element_id for s in other.subscriptions()] == ["wait-signature"]
    assert other.jobs() == []


def test_a_message_whose_ttl_expired_is_not_correlated(reloaded):
    reloaded.deploy(bpmn("message_catch_event"))
    _, buffered = services.publish_message("contract-signed", correlation_key="C-5", ttl_seconds=60, actor="test")
    BufferedMessage.objects.filter(key=buffered.key).update(expires_at=timezone.now() - timedelta(seconds=1))

    reloaded.start("message-catch", {"contractNumber": 5})

    assert [s.element_id for s in reloaded.subscriptions()] == ["wait-signature"]
    assert reloaded.jobs() == []


def test_publishing_a_duplicate_message_id_while_buffered_is_refused(reloaded):
    reloaded.deploy(bpmn("message_catch_event"))
    services.publish_message("contract-signed", correlation_key="C-5", ttl_seconds=60, message_id="msg-1", actor="test")

    with pytest.raises(InvalidState, match="with id 'msg-1' was already published"):
        services.publish_message(
            "contract-signed", correlation_key="C-5", ttl_seconds=60, message_id="msg-1", actor="test"
        )

    assert BufferedMessage.objects.count() == 1


def test_correlating_without_all_when_two_instances_wait_is_ambiguous(reloaded):
    reloaded.deploy(bpmn("message_catch_event"))
    reloaded.start("message-catch", {"contractNumber": 5})
    other = ReloadedDriver()
    other.start("message-catch", {"contractNumber": 5})

    with pytest.raises(AmbiguousCorrelation, match="matches 2 waiting instances"):
        services.correlate_message("contract-signed", correlation_key="C-5", actor="test")

    assert MessageSubscription.objects.filter(state="open").count() == 2


def test_correlating_with_all_reaches_every_waiting_instance(reloaded):
    reloaded.deploy(bpmn("message_catch_event"))
    reloaded.start("message-catch", {"contractNumber": 5})
    other = ReloadedDriver()
    other.start("message-catch", {"contractNumber": 5})

    results = services.correlate_message("contract-signed", correlation_key="C-5", all=True, actor="test")

    assert sorted(r.instance_key for r in results) == sorted([reloaded.instance_key, other.instance_key])
    assert [j.element_id for j in reloaded.jobs()] == ["activate"]
    assert [j.element_id for j in other.jobs()] == ["activate"]
