"""Migration plans: generated for same ids, editable, validated per instance, run per instance in its lock."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from orchestration import services
from orchestration.exceptions import InvalidInput
from orchestration.models import (
    AuditEvent,
    ElementInstance,
    Job,
    MessageSubscription,
    ProcessInstance,
    SignalSubscription,
    Timer,
    UserTask,
)
from orchestration.services.migration import MigrationRefused

FIXTURES = Path(__file__).resolve().parent / "fixtures"


def deploy(name: str):
    (definition,) = services.deploy((FIXTURES / f"{name}.bpmn").read_text(), actor="admin").definitions
    return definition


@pytest.fixture
def versions(db):
    v1 = deploy("migration_v1")
    v2 = deploy("migration_v2")
    return v1, v2


def start(definition, order="ORD-1"):
    return services.start_instance(definition=definition, variables={"orderId": order}, actor="test")


def active(instance) -> list[str]:
    return sorted(
        ElementInstance.objects.filter(instance_id=instance.key, state="active").values_list("element_id", flat=True)
    )


def test_generated_plan_maps_every_element_that_keeps_its_id_and_kind(versions):
    v1, v2 = versions

    plan = services.generate_plan(v1, v2)

    mapping = plan.mapping
    assert (plan.source_definition_key, plan.target_definition_key) == (v1.key, v2.key)
    assert mapping["charge"] == "charge" and mapping["wait"] == "wait" and mapping["payment"] == "payment"
    assert mapping["join"] == "join"
    assert "review" not in mapping  # renamed to 'approve' in v2


def test_generated_plan_leaves_out_elements_whose_kind_changed(db):
    v1 = deploy("migration_v1")
    v3 = deploy("migration_v3_incompatible")

    plan = services.generate_plan(v1, v3)

    assert "charge" not in plan.mapping  # a job task became a user task
    assert plan.mapping["wait"] == "wait"


def test_an_explicit_instruction_maps_a_renamed_element(versions):
    v1, v2 = versions

    plan = services.generate_plan(v1, v2, instructions={"review": "approve"})

    instance = start(v1)
    assert plan.mapping["review"] == "approve"
    assert services.validate_plan(plan, [instance.key]) == {instance.key: []}


def test_explicit_instructions_with_unknown_ids_are_refused(versions):
    v1, v2 = versions

    with pytest.raises(InvalidInput, match="'nope' is not an element of shipment v2"):
        services.generate_plan(v1, v2, instructions=[("review", "nope")])


def test_validation_reports_unmappable_active_elements_per_instance_with_reasons(versions):
    v1, v2 = versions
    fine = start(v1, "ORD-1")
    renamed_missing = start(v1, "ORD-2")

    report = services.validate_plan(services.generate_plan(v1, v2), [fine.key, renamed_missing.key])

    # without the review -> approve instruction both instances have an unmapped user task
    assert report[fine.key] == report[renamed_missing.key]
    (problem,) = report[fine.key]
    assert "'review' has no mapping instruction" in problem and "no 'review'" in problem


def test_validation_explains_kind_changes_scope_changes_missing_targets_and_waiting_joins(db):
    v1 = deploy("migration_v1")
    v3 = deploy("migration_v3_incompatible")
    waiting = start(v1, "ORD-1")
    (job,) = Job.objects.filter(instance=waiting)
    services.complete_job(job.key, actor="worker")  # the join now waits with a token from f6

    plan = services.generate_plan(v1, v3, instructions={"charge": "charge"})
    problems = services.validate_plan(plan, [waiting.key])[waiting.key]

    text = "\n".join(problems)
    assert "'charge'" not in text  # charge completed: no longer active
    assert "'review' maps to 'review' inside 'sub', but its scope maps to the process" in text
    assert "'payment' has no mapping instruction (the target version has no 'payment')" in text
    assert "waiting join 'join' has tokens from flows the target version does not lead into 'join': f6" in text

    fresh = start(v1, "ORD-2")
    problems = services.validate_plan(plan, [fresh.key])[fresh.key]
    assert any("'charge' is a job task but its target 'charge' is a user task" in p for p in problems)


def test_validation_reports_instances_that_ended_or_run_another_version(versions):
    v1, v2 = versions
    ended = start(v1)
    services.cancel_instance(ended.key, actor="test")
    other = start(v2)
    plan = services.generate_plan(v1, v2, instructions={"review": "approve"})

    report = services.validate_plan(plan, [ended.key, other.key])

    assert report[ended.key] == ["instance is cancelled, not active"]
    assert "not on the plan's source" in report[other.key][0]


def test_nothing_migrates_while_one_selected_instance_is_invalid(versions):
    v1, v2 = versions
    good = start(v1, "ORD-1")
    bad = start(v1, "ORD-2")
    services.cancel_instance(bad.key, actor="test")
    plan = services.generate_plan(v1, v2, instructions={"review": "approve"})

    with pytest.raises(MigrationRefused) as refused:
        services.migrate_instances(plan, [good.key, bad.key], actor="operator")

    assert list(refused.value.report) == [bad.key]
    assert ProcessInstance.objects.get(key=good.key).definition_id == v1.key
    assert active(good) == ["charge", "payment", "review", "wait"]
    assert not AuditEvent.objects.filter(type="instance_migrated").exists()


def test_skip_invalid_migrates_the_valid_instances_and_reports_the_others(versions):
    v1, v2 = versions
    good = start(v1, "ORD-1")
    bad = start(v1, "ORD-2")
    services.cancel_instance(bad.key, actor="test")
    plan = services.generate_plan(v1, v2, instructions={"review": "approve"})

    result = services.migrate_instances(
        plan, ProcessInstance.objects.filter(definition=v1), actor="operator", skip_invalid=True
    )

    assert result.migrated == [good.key]
    assert result.skipped == {bad.key: ["instance is cancelled, not active"]}
    assert ProcessInstance.objects.get(key=good.key).definition_id == v2.key
    assert ProcessInstance.objects.get(key=bad.key).definition_id == v1.key


def test_waits_follow_their_elements_and_the_instance_finishes_on_the_new_version(versions):
    v1, v2 = versions
    instance = start(v1, "ORD-7")
    charge_job = Job.objects.get(instance=instance, element_id="charge")
    services.complete_job(charge_job.key, actor="worker")  # the join holds a token from f6
    review = UserTask.objects.get(instance=instance)
    timer = Timer.objects.get(instance=instance)
    subscription = MessageSubscription.objects.get(instance=instance, state="open")
    plan = services.generate_plan(v1, v2, instructions={"review": "approve"})

    migrated = services.migrate_instance(plan, instance.key, actor="operator")

    assert (migrated.definition_id, migrated.bpmn_process_id) == (v2.key, "shipment")
    assert active(instance) == ["approve", "join", "payment", "wait"]
    review.refresh_from_db()
    timer.refresh_from_db()
    subscription.refresh_from_db()
    assert (review.element_id, review.state, review.name) == ("approve", "created", "Review order")
    assert (timer.element_id, timer.definition_id, timer.state) == ("wait", v2.key, "scheduled")
    assert (subscription.element_id, subscription.definition_id) == ("payment", v2.key)
    assert ElementInstance.objects.get(key=review.element_instance_key).element_id == "approve"

    services.complete_user_task(review.key, actor="approver")
    Timer.objects.filter(key=timer.key).update(due_at=timezone.now() - timedelta(seconds=1))
    assert [services.fire_timer(k) for k in services.claim_due_timers()] == [True]
    services.correlate_message("paid", correlation_key="ORD-7", actor="shop")
    ship = Job.objects.get(instance=instance, state="activatable")
    assert (ship.element_id, ship.type, ship.definition_id) == ("ship", "ship", v2.key)
    services.complete_job(ship.key, actor="worker")

    assert ProcessInstance.objects.get(key=instance.key).state == "completed"


def test_a_migrated_job_keeps_its_type_and_lock_and_follows_the_new_element_id(db):
    v1 = deploy("migration_v1")
    v2 = deploy("migration_v2")
    instance = start(v1)
    services.activate_jobs("charge", worker="w1")
    plan = services.generate_plan(v1, v2, instructions={"review": "approve"})

    services.migrate_instance(plan, instance.key, actor="operator")

    job = Job.objects.get(instance=instance, element_id="charge")
    assert (job.type, job.state, job.lock_owner, job.definition_id) == ("charge", "locked", "w1", v2.key)
    services.complete_job(job.key, actor="w1", worker="w1")
    assert "charge" not in active(instance)


def test_signal_subscriptions_of_migrated_elements_follow(versions):
    v1, v2 = versions
    instance = start(v1)
    waiting = ElementInstance.objects.get(instance=instance, element_id="review", state="active")
    signal = SignalSubscription.objects.create(
        definition=v1,
        instance=instance,
        element_instance_key=waiting.key,
        element_id="review",
        signal_name="recall",
        created_at=timezone.now(),
    )
    plan = services.generate_plan(v1, v2, instructions={"review": "approve"})

    services.migrate_instance(plan, instance.key, actor="operator")

    signal.refresh_from_db()
    assert (signal.element_id, signal.definition_id) == ("approve", v2.key)


def test_every_migration_is_audited_with_the_plan_and_the_actor(versions):
    v1, v2 = versions
    instance = start(v1)
    plan = services.generate_plan(v1, v2, instructions={"review": "approve"})

    services.migrate_instances(plan, [instance.key], actor="olivia")

    event = AuditEvent.objects.get(instance_key=instance.key, type="instance_migrated")
    assert event.actor == "olivia"
    assert event.data["source_definition"] == str(v1.key) and event.data["target_definition"] == str(v2.key)
    assert ["review", "approve"] in event.data["instructions"]
    assert (event.data["source_version"], event.data["target_version"]) == (1, 2)
    assert sorted(old for _, old, _ in event.data["elements"]) == ["charge", "payment", "review", "wait"]


def test_a_suspended_instance_can_be_migrated_and_stays_suspended(versions):
    v1, v2 = versions
    instance = start(v1)
    services.suspend_instance(instance.key, actor="operator")
    plan = services.generate_plan(v1, v2, instructions={"review": "approve"})

    migrated = services.migrate_instance(plan, instance.key, actor="operator")

    assert migrated.definition_id == v2.key and migrated.suspended


def test_a_boundary_timer_follows_its_renamed_boundary_event_and_still_fires(db):
    v1 = deploy("migration_boundary_v1")
    v2 = deploy("migration_boundary_v2")
    instance = services.start_instance(definition=v1, actor="test")
    timer = Timer.objects.get(instance=instance)
    assert timer.element_id == "too-late"

    unmapped = services.validate_plan(services.generate_plan(v1, v2), [instance.key])[instance.key]
    assert unmapped == ["open timer of 'too-late' (on 'review') has no mapping instruction"]

    plan = services.generate_plan(v1, v2, instructions={"too-late": "overdue"})
    services.migrate_instance(plan, instance.key, actor="operator")

    timer.refresh_from_db()
    assert (timer.element_id, timer.definition_id) == ("overdue", v2.key)
    Timer.objects.filter(key=timer.key).update(due_at=timezone.now() - timedelta(seconds=1))
    assert [services.fire_timer(k) for k in services.claim_due_timers()] == [True]
    assert active(instance) == ["escalate"]


def test_a_multi_instance_activity_migrates_with_its_body_and_inner_instances(db):
    v1 = deploy("migration_multi_instance_v1")
    v2 = deploy("migration_multi_instance_v2")
    instance = services.start_instance(definition=v1, variables={"recipients": ["ann", "bob"]}, actor="test")
    types = sorted(
        ElementInstance.objects.filter(instance=instance, state="active").values_list("element_type", flat=True)
    )
    plan = services.generate_plan(v1, v2)

    assert services.validate_plan(plan, [instance.key]) == {instance.key: []}
    services.migrate_instance(plan, instance.key, actor="operator")

    after = sorted(
        ElementInstance.objects.filter(instance=instance, state="active").values_list("element_type", flat=True)
    )
    assert after == types  # the body keeps its engine-made type
    for job in Job.objects.filter(instance=instance, state="activatable"):
        services.complete_job(job.key, actor="worker")
    (audit_job,) = Job.objects.filter(instance=instance, state="activatable")
    assert audit_job.element_id == "audit"
    services.complete_job(audit_job.key, actor="worker")
    assert ProcessInstance.objects.get(key=instance.key).state == "completed"
