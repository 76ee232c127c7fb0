"""Celery settings per broker: the demo's filesystem broker is tuned, Redis stays as it was."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PRINT = (
    "import json, django; from django.conf import settings as s; django.setup(); print(json.dumps({"
    "'options': s.CELERY_BROKER_TRANSPORT_OPTIONS, 'acks_late': s.CELERY_TASK_ACKS_LATE, "
    "'timers': s.CELERY_BEAT_SCHEDULE['fire-due-timers']['schedule'], "
    "'sweep': s.CELERY_BEAT_SCHEDULE['sweep-jobs']['schedule']}))"
)


def _settings(tmp_path: Path, **env: str) -> dict:
    base = {
        k: v for k, v in os.environ.items() if k not in ("CELERY_BROKER_URL", "TIMER_POLL_SECONDS", "SWEEP_SECONDS")
    }
    result = subprocess.run(
        [sys.executable, "-c", PRINT],
        cwd=ROOT,
        env={**base, "DJANGO_SETTINGS_MODULE": "config.settings", "VAR_DIR": str(tmp_path), **env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_the_filesystem_broker_polls_fast_acks_on_receipt_and_beats_slower(tmp_path):
    found = _settings(tmp_path)
    assert found["options"]["polling_interval"] == 0.1
    assert found["acks_late"] is False
    assert (found["timers"], found["sweep"]) == (1.0, 5.0)


def test_redis_keeps_late_acks_and_the_fast_beat(tmp_path):
    found = _settings(tmp_path, CELERY_BROKER_URL="redis://127.0.0.1:6379/4")
    assert "polling_interval" not in found["options"]
    assert found["acks_late"] is True
    assert (found["timers"], found["sweep"]) == (0.25, 1.0)


def test_the_beat_intervals_can_still_be_set(tmp_path):
    found = _settings(tmp_path, TIMER_POLL_SECONDS="2.5", SWEEP_SECONDS="7")
    assert (found["timers"], found["sweep"]) == (2.5, 7.0)
