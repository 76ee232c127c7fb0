"""Bad variables and identifiers are refused before anything changes."""

from __future__ import annotations

from datetime import datetime

import pytest

from orchestration import services
from orchestration.exceptions import InvalidInput, NotFound, VariablesTooLarge
from orchestration.models import AuditEvent, Job, ProcessInstance, Variable

XML = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" id="d" targetNamespace="t">
  <bpmn:process id="variables-input" isExecutable="true">
    <bpmn:startEvent id="start" />
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="work" />
    <bpmn:serviceTask id="work"><bpmn:extensionElements><zeebe:taskDefinition type="work" /></bpmn:extensionElements></bpmn:serviceTask>
    <bpmn:sequenceFlow id="f2" sourceRef="work" targetRef="end" />
    <bpmn:endEvent id="end" />
  </bpmn:process>
</bpmn:definitions>
"""


@pytest.fixture
def small_limit(settings):
    settings.ORCHESTRATION = {**getattr(settings, "ORCHESTRATION", {}), "MAX_VARIABLE_BYTES": 100}


@pytest.fixture
def waiting(db):
    """A running instance waiting at its job, with one variable."""
    services.deploy(XML, actor="admin")
    instance = services.start_instance("variables-input", variables={"a": 1}, actor="test")
    job = Job.objects.get(instance=instance)
    return instance, job


def snapshot(instance):
    instance.refresh_from_db()
    return (
        instance.state,
        dict(Variable.objects.filter(instance=instance).values_list("name", "value")),
        list(Job.objects.filter(instance=instance).values_list("state", flat=True)),
        AuditEvent.objects.filter(instance_key=instance.key).count(),
    )


def test_starting_with_oversized_variables_is_refused_and_creates_no_instance(db, small_limit):
    services.deploy(XML, actor="admin")

    with pytest.raises(VariablesTooLarge, match="the limit is 100 bytes"):
        services.start_instance("variables-input", variables={"blob": "x" * 200}, actor="test")

    assert ProcessInstance.objects.count() == 0


def test_completing_a_job_with_oversized_variables_changes_nothing(waiting, small_limit):
    instance, job = waiting
    before = snapshot(instance)

    with pytest.raises(VariablesTooLarge):
        services.complete_job(job.key, {"blob": "x" * 200}, actor="test")

    assert snapshot(instance) == before


def test_setting_oversized_variables_changes_nothing(waiting, small_limit):
    instance, _ = waiting
    before = snapshot(instance)

    with pytest.raises(VariablesTooLarge):
        services.set_variables(instance.key, {"blob": "x" * 200}, actor="test")

    assert snapshot(instance) == before


@pytest.mark.parametrize("variables", [["a", 1], "a=1", 42])
def test_variables_that_are_not_an_object_are_refused(waiting, variables):
    instance, job = waiting
    before = snapshot(instance)

    with pytest.raises(InvalidInput, match="must be a JSON object"):
        services.complete_job(job.key, variables, actor="test")

    assert snapshot(instance) == before


@pytest.mark.parametrize(
    "value",
    [datetime(2024, 1, 1), {1, 2}, object(), b"bytes", float("nan"), float("inf")],
    ids=["datetime", "set", "object", "bytes", "nan", "infinity"],
)
def test_variables_that_are_not_json_values_are_refused(waiting, value):
    instance, job = waiting
    before = snapshot(instance)

    with pytest.raises(InvalidInput, match="must be JSON values"):
        services.complete_job(job.key, {"bad": value}, actor="test")

    assert snapshot(instance) == before


@pytest.mark.parametrize("name", ["", "x" * 256], ids=["empty", "too-long"])
def test_variable_names_must_be_non_empty_and_short(waiting, name):
    instance, _ = waiting

    with pytest.raises(InvalidInput, match="variable name"):
        services.set_variables(instance.key, {name: 1}, actor="test")


def test_starting_with_a_business_key_over_255_characters_is_refused(db):
    services.deploy(XML, actor="admin")

    with pytest.raises(InvalidInput, match="business key must be at most 255 characters"):
        services.start_instance("variables-input", business_key="K" * 256, actor="test")

    assert ProcessInstance.objects.count() == 0


def test_a_business_key_of_exactly_255_characters_is_accepted(db):
    services.deploy(XML, actor="admin")

    instance = services.start_instance("variables-input", business_key="K" * 255, actor="test")

    assert len(instance.business_key) == 255


def test_starting_an_unknown_process_is_not_found(db):
    with pytest.raises(NotFound, match="no process definition with id 'nope' is deployed"):
        services.start_instance("nope", actor="test")


@pytest.mark.parametrize("key", ["not-a-key", "00000000-0000-0000-0000-000000000000"])
def test_completing_an_unknown_job_is_not_found(db, key):
    with pytest.raises(NotFound):
        services.complete_job(key, {}, actor="test")


def test_cancelling_an_unknown_instance_is_not_found(db):
    with pytest.raises(NotFound):
        services.cancel_instance("not-a-key", actor="test")


def test_complete_job_of_a_straight_through_process_stays_within_its_query_budget(
    waiting, django_assert_max_num_queries
):
    _, job = waiting

    # measured 16 (savepoint pair, job, lock, definition, load elements + variables, job again,
    # job/instance updates, element insert + update, variable upsert, close waits, audit insert)
    with django_assert_max_num_queries(18):
        services.complete_job(job.key, {"done": True}, actor="test")


def test_completing_a_user_task_with_a_malformed_key_is_not_found(db):
    with pytest.raises(NotFound):
        services.complete_user_task("not-a-key", actor="test")
