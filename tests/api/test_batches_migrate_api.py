"""Migrate batches over the API with a hand-edited element mapping (params.mappings)."""

from __future__ import annotations

from pathlib import Path

import pytest

from orchestration import services
from orchestration.models import BatchOperation, ElementInstance, ProcessInstance
from orchestration.services.batches import run_batch_chunk

from .conftest import assert_error

FIXTURES = Path(__file__).resolve().parents[1] / "services" / "fixtures"


@pytest.fixture
def versions(db):
    deployed = []
    for name in ("migration_page_v1", "migration_page_v2"):
        (definition,) = services.deploy((FIXTURES / f"{name}.bpmn").read_text(), actor="admin").definitions
        deployed.append(definition)
    return deployed


def submit(client, **data):
    return client.post("/api/v1/batches", data, format="json")


def test_a_migrate_batch_uses_the_mappings_exactly_as_given(api, alice, versions):
    v1, v2 = versions
    instances = [services.start_instance(definition=v1, variables={"path": "a"}, actor="test") for _ in range(3)]

    response = submit(
        api(alice),
        kind="migrate",
        filter={"processId": "claims"},
        params={
            "targetDefinitionKey": str(v2.key),
            "sourceDefinitionKey": str(v1.key),
            "mappings": [{"source": "Task_A", "target": "Task_B"}],
        },
    )

    assert response.status_code == 201, response.content
    batch = response.json()
    assert batch["params"]["instructions"] == [["Task_A", "Task_B"]] and batch["total"] == 3
    run_batch_chunk(batch["key"], dispatch=False)
    for instance in instances:
        assert ProcessInstance.objects.get(key=instance.key).definition_id == v2.key
        active = ElementInstance.objects.filter(instance_id=instance.key, state="active")
        assert list(active.values_list("element_id", flat=True)) == ["Task_B"]


@pytest.mark.parametrize(
    ("mappings", "with_source"),
    [
        ([{"source": "Task_A", "target": "Review"}], True),  # a job task cannot become a user task
        ([{"source": "Task_A", "target": "Nope"}], True),
        ([{"source": "Task_A", "target": "Task_B"}], False),  # mappings need their source version
    ],
)
def test_bad_mappings_are_400_and_nothing_is_selected(api, alice, versions, mappings, with_source):
    v1, v2 = versions
    services.start_instance(definition=v1, variables={"path": "a"}, actor="test")
    params = {"targetDefinitionKey": str(v2.key), "mappings": mappings}
    if with_source:
        params["sourceDefinitionKey"] = str(v1.key)

    assert_error(submit(api(alice), kind="migrate", params=params), 400, "invalid_input")
    assert not BatchOperation.objects.exists()
