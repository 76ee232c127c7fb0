"""A worker killed in the middle of a job: the lock expires, the sweeper re-sends it, nothing is lost."""

from __future__ import annotations

import pytest

from orchestration import services
from orchestration.models import AuditEvent, Job

from .helpers import sequence_process, service_task, wait_for, wait_until_completed

pytestmark = pytest.mark.celery

XML = sequence_process(
    "itest-worker-killed",
    ("fragile", service_task("fragile", "itest.dies-first-time")),
    ("after", service_task("after", "itest.first")),
)
# A short lock so the test does not wait five minutes; beat runs the sweeper often.
FAST_RECOVERY = {"ORCHESTRATION_JOB_LOCK_SECONDS": "3", "SWEEP_SECONDS": "0.5"}


def test_job_of_a_killed_worker_runs_again_on_another_worker_and_completes_once(celery_worker, tmp_path):
    outdir = tmp_path / "side-effects"
    outdir.mkdir()
    doomed = celery_worker("doomed", beat=True, env=FAST_RECOVERY)
    services.deploy(XML, actor="itest")

    instance = services.start_instance("itest-worker-killed", actor="itest", variables={"outdir": str(outdir)})
    wait_for(lambda: list(outdir.glob("attempt1-*")), timeout=30, what="the first attempt to start")
    doomed.kill()
    job = Job.objects.get(instance=instance, element_id="fragile")
    assert (job.state, job.lock_owner, job.attempts) == ("locked", doomed.name, 1)

    rescuer = celery_worker("rescuer", beat=True, env=FAST_RECOVERY)
    wait_until_completed(instance.key)

    job.refresh_from_db()
    assert job.state == "completed"
    assert job.attempts == 2
    assert len(list(outdir.glob("attempt1-*"))) == 1
    assert len(list(outdir.glob("attempt2-*"))) == 1
    completions = AuditEvent.objects.filter(instance_key=instance.key, type="job_completed")
    assert list(completions.values_list("element_id", "actor")) == [("fragile", rescuer.name), ("after", rescuer.name)]
    assert not AuditEvent.objects.filter(instance_key=instance.key, type="job_failed").exists()
    assert not Job.objects.filter(state__in=Job.OPEN_STATES).exists()
