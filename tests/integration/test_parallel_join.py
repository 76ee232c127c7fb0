"""A parallel join fed by twenty jobs on four concurrent worker processes fires once per instance."""

from __future__ import annotations

import pytest

from orchestration import services
from orchestration.models import ElementInstance, Job, ProcessInstance

from .helpers import fork_join_process, wait_for

pytestmark = pytest.mark.celery

BRANCHES = 20
INSTANCES = 5
XML = fork_join_process("itest-fork-join", BRANCHES, "itest.sleepy", "itest.after-join")


def test_parallel_join_fires_exactly_once_per_instance_with_concurrent_workers(celery_worker, tmp_path):
    outdir = tmp_path / "side-effects"
    outdir.mkdir()
    workers = [celery_worker(f"join{n}", concurrency=2) for n in (1, 2)]
    services.deploy(XML, actor="itest")

    keys = [
        services.start_instance(
            "itest-fork-join", actor="itest", business_key=f"J-{n}", variables={"outdir": str(outdir)}
        ).key
        for n in range(INSTANCES)
    ]
    wait_for(
        lambda: ProcessInstance.objects.filter(key__in=keys, state="completed").count() == INSTANCES,
        timeout=60,
        what=f"{INSTANCES} fork/join instances to complete",
        describe=lambda: sorted(Job.objects.values_list("element_id", "state").exclude(state="completed")),
    )

    assert not Job.objects.filter(state__in=Job.OPEN_STATES).exists()
    for key in keys:
        elements = ElementInstance.objects.filter(instance_id=key)
        assert elements.filter(element_id="join", state="completed").count() == 1
        assert not elements.filter(element_id="join").exclude(state="completed").exists()
        assert elements.filter(element_id__startswith="branch", state="completed").count() == BRANCHES
        assert Job.objects.filter(instance_id=key, element_id="after").count() == 1
        assert len(list(outdir.glob(f"after-{key}-*"))) == 1
        variables = dict(ProcessInstance.objects.get(key=key).variables.values_list("name", "value"))
        # every branch's output survived the concurrent completions (no lost update)
        assert {name for name in variables if name.startswith("done_")} == {
            f"done_branch{n:02d}" for n in range(1, BRANCHES + 1)
        }
        assert variables["afterJoin"] is True
    # both worker processes took part (the work was really concurrent)
    assert set(Job.objects.values_list("lock_owner", flat=True)) == {w.name for w in workers}
