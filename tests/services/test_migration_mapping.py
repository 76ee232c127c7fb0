"""Hand-edited migration mappings (checked row by row), the eligibility report (grouped by
signature in SQL, validated once per signature) and canary batches (create_batch's limit)."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from orchestration import services
from orchestration.exceptions import InvalidInput
from orchestration.models import BatchItem, ElementInstance, ProcessInstance
from orchestration.services import batches
from orchestration.services.migration_eligibility import eligibility_report
from orchestration.services.migration_mapping import (
    MappingRefused,
    compatible_targets,
    mappable_elements,
    plan_from_mapping,
)

FIXTURES = Path(__file__).resolve().parent / "fixtures"


def deploy(name: str):
    (definition,) = services.deploy((FIXTURES / f"{name}.bpmn").read_text(), actor="admin").definitions
    return definition


@pytest.fixture
def versions(db):
    return deploy("migration_page_v1"), deploy("migration_page_v2")


def start(v1, business_key: str = "", path: str = "a") -> ProcessInstance:
    return services.start_instance(definition=v1, business_key=business_key, variables={"path": path}, actor="test")


def active(instance) -> list[str]:
    return sorted(
        ElementInstance.objects.filter(instance_id=instance.key, state="active").values_list("element_id", flat=True)
    )


def run_to_end(batch_key) -> None:
    for _ in range(50):
        if batches.run_batch_chunk(batch_key, size=50, dispatch=False).remaining == 0:
            return


# -- the mapping -------------------------------------------------------------------


def test_rows_are_the_elements_that_can_hold_a_token_and_choices_keep_the_kind(versions):
    v1, v2 = versions
    source, target = services.process_for(v1), services.process_for(v2)

    assert [e.id for e in mappable_elements(source)] == ["route", "Task_A", "Task_C"]
    assert [e.id for e in compatible_targets(source.elements["Task_A"], target)] == ["Task_A", "Task_B"]
    assert [e.id for e in compatible_targets(source.elements["route"], target)] == ["route"]


def test_an_edited_mapping_is_taken_exactly_as_given(versions):
    v1, v2 = versions

    plan = plan_from_mapping(v1, v2, {"Task_A": "Task_B", "Task_C": "Task_A"})

    # no automatic row is added: 'route' left out stays unmapped
    assert plan.instructions == (("Task_A", "Task_B"), ("Task_C", "Task_A"))
    assert (plan.source_definition_key, plan.target_definition_key) == (v1.key, v2.key)


def test_every_bad_row_is_refused_with_its_own_reason(versions):
    v1, v2 = versions

    with pytest.raises(MappingRefused) as refused:
        plan_from_mapping(
            v1,
            v2,
            [["Task_A", "Review"], ["Task_C", "Nope"], ["Ghost", "Task_A"], ["end_a", "end"], ["route", "route"]],
        )

    errors = refused.value.errors
    assert set(errors) == {"Task_A", "Task_C", "Ghost", "end_a"}
    assert errors["Task_A"].startswith("'Task_A' is a job task but 'Review' is a user task")
    assert errors["Task_C"] == "'Nope' is not an element of v2"
    assert errors["Ghost"] == "'Ghost' is not an element of v1"
    assert "never holds a token" in errors["end_a"]
    assert refused.value.code == "invalid_input"


def test_a_mapping_row_must_be_a_pair_of_ids(versions):
    v1, v2 = versions
    with pytest.raises(InvalidInput, match="pair of element ids"):
        plan_from_mapping(v1, v2, [["Task_A"]])
    with pytest.raises(MappingRefused, match="mapped twice"):
        plan_from_mapping(v1, v2, [["Task_A", "Task_A"], ["Task_A", "Task_B"]])


# -- eligibility -------------------------------------------------------------------


def test_eligibility_groups_instances_by_reason_with_exact_counts_and_samples(versions):
    v1, v2 = versions
    at_a = [start(v1, f"A-{n}") for n in range(7)]
    at_c = [start(v1, f"C-{n}", path="c") for n in range(3)]
    services.cancel_instance(at_a[0].key, actor="test", reason="gone")  # not active: not selected
    start(v2, "on-v2")  # not on the source version: not selected

    report = eligibility_report(services.generate_plan(v1, v2), ProcessInstance.objects.all(), sample_size=2)

    assert (report.total, report.eligible.count, report.blocked_count, report.signatures) == (9, 6, 3, 2)
    assert [bk for _, bk in report.eligible.sample] == ["A-1", "A-2"]  # oldest first
    (group,) = report.blocked
    assert group.count == 3 and "'Task_C' has no mapping instruction" in group.problems[0]
    assert {key for key, _ in group.sample} <= {i.key for i in at_c}


def test_an_edited_row_moves_a_group_from_blocked_to_eligible(versions):
    v1, v2 = versions
    start(v1, "A-1")
    start(v1, "C-1", path="c")

    plan = plan_from_mapping(v1, v2, {"Task_A": "Task_B"})  # route and Task_C left unmapped
    report = eligibility_report(plan, ProcessInstance.objects.all())

    assert (report.eligible.count, report.blocked_count) == (1, 1)
    assert report.blocked[0].problems == (
        "active element 'Task_C' has no mapping instruction (the target version has no 'Task_C')",
    )


def test_eligibility_validates_each_signature_once_whatever_the_number_of_instances(versions):
    v1, v2 = versions
    plan = services.generate_plan(v1, v2)

    def queries_for(n: int) -> int:
        for i in range(n):
            start(v1, path="c" if i % 4 == 0 else "a")
        with CaptureQueriesContext(connection) as captured:
            report = eligibility_report(plan, ProcessInstance.objects.all())
        assert report.signatures == 2
        return len(captured)

    few = queries_for(8)
    many = queries_for(200)
    assert many == few  # one grouped query, one sample query per signature, one snapshot of representatives


# -- batches: instructions and canary ----------------------------------------------


def test_a_batch_carries_the_edited_mapping_and_migrates_with_it(versions):
    v1, v2 = versions
    instances = [start(v1, f"A-{n}") for n in range(3)]
    params = {
        "target_definition": str(v2.key),
        "source_definition": str(v1.key),
        "instructions": [["Task_A", "Task_B"]],
    }

    batch = batches.create_batch("migrate", {"process": "claims", "version": "1"}, actor="ops", params=params)
    run_to_end(batch.key)

    assert batch.params["instructions"] == [["Task_A", "Task_B"]]
    assert all(active(i) == ["Task_B"] for i in instances)
    assert set(batch.items.values_list("state", flat=True)) == {BatchItem.State.SUCCEEDED}


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"instructions": [["Task_A", "Review"]]}, "need the source definition"),
        ({"source_definition": "v1", "instructions": [["Task_A", "Review"]]}, "is a job task but 'Review'"),
        ({"source_definition": "v1", "instructions": "Task_A=Task_B"}, "list of"),
    ],
)
def test_a_batch_refuses_bad_instructions_before_selecting_anything(versions, params, message):
    v1, v2 = versions
    start(v1)
    if params.get("source_definition") == "v1":
        params = {**params, "source_definition": str(v1.key)}

    with pytest.raises(InvalidInput, match=message):
        batches.create_batch("migrate", {}, actor="ops", params={"target_definition": str(v2.key), **params})

    assert not BatchItem.objects.exists()


def test_a_canary_batch_takes_exactly_the_first_n_instances(versions):
    v1, v2 = versions
    instances = [start(v1, f"A-{n}") for n in range(6)]

    canary = batches.create_batch(
        "migrate", {"process": "claims"}, actor="ops", params={"target_definition": str(v2.key)}, limit=4
    )

    assert (canary.total, canary.params["limit"]) == (4, 4)
    assert list(canary.items.order_by("id").values_list("instance_key", flat=True)) == [i.key for i in instances[:4]]
    run_to_end(canary.key)
    rest = batches.create_batch(
        "migrate", {"process": "claims", "version": "1"}, actor="ops", params={"target_definition": str(v2.key)}
    )
    assert set(rest.items.values_list("instance_key", flat=True)) == {i.key for i in instances[4:]}


@pytest.mark.parametrize("limit", [0, -1, True, "3"])
def test_a_batch_limit_is_a_positive_whole_number(versions, limit):
    v1, v2 = versions
    start(v1)
    with pytest.raises(InvalidInput, match="limit"):
        batches.create_batch(
            "migrate", {}, actor="ops", params={"target_definition": str(v2.key)}, limit=limit, dispatch=False
        )
