"""An intermediate timer fires on time through beat and a real worker."""

from __future__ import annotations

import pytest

from orchestration import services
from orchestration.models import AuditEvent, Timer

from .helpers import sequence_process, service_task, timer_catch, wait_until_completed

pytestmark = pytest.mark.celery

XML = sequence_process(
    "itest-timer",
    ("wait", timer_catch("wait", "PT1S")),
    ("after", service_task("after", "itest.first")),
)


def test_intermediate_timer_fires_within_a_second_of_its_due_time(celery_worker):
    celery_worker("timers", beat=True)  # beat polls due timers every TIMER_POLL_SECONDS (0.25 s)
    services.deploy(XML, actor="itest")

    instance = services.start_instance("itest-timer", actor="itest")
    instance = wait_until_completed(instance.key, timeout=15)

    fired = AuditEvent.objects.get(instance_key=instance.key, type="timer_fired")
    assert fired.element_id == "wait"
    assert 0 <= fired.data["late_ms"] < 1000
    waited = (fired.created_at - instance.started_at).total_seconds()
    assert 1 <= waited < 3
    timer = Timer.objects.get(instance=instance)
    assert timer.state == "fired"
    assert (timer.due_at - instance.started_at).total_seconds() == pytest.approx(1, abs=0.01)
