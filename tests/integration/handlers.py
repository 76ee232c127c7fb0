"""Job handlers for the integration tests, run by real Celery workers.

Workers import this module through ORCHESTRATION_EXTRA_HANDLER_MODULES (set by
the `celery_worker` fixture); the test process imports it from conftest.py, so
`is_registered()` marks these job types internal when an instance starts there.
Side effects the tests count are files in a directory named by a variable.
"""

from __future__ import annotations

import random
import time
import uuid
from pathlib import Path

from orchestration.handlers import BpmnErrorRaised, JobContext, handler


def _touch(directory: str, prefix: str, job: JobContext) -> None:
    """One new file per call: counting files counts handler runs, across processes."""
    Path(directory, f"{prefix}-{job.instance_key}-{uuid.uuid4().hex}").touch()


@handler("itest.first")
def first(job: JobContext) -> dict:
    return {"trail": [*job.variables.get("trail", []), "first"], "firstResult": f"one-{job.instance_key}"}


@handler("itest.second")
def second(job: JobContext) -> dict:
    return {"trail": [*job.variables.get("trail", []), "second"], "secondResult": 2}


@handler("itest.third")
def third(job: JobContext) -> dict:
    return {"trail": [*job.variables.get("trail", []), "third"], "thirdResult": {"ok": True}}


@handler("itest.sleepy")
def sleepy(job: JobContext) -> dict:
    time.sleep(random.uniform(0, 0.05))
    return {f"done_{job.element_id}": True}


@handler("itest.after-join")
def after_join(job: JobContext) -> dict:
    _touch(job.variables["outdir"], "after", job)
    return {"afterJoin": True}


@handler("itest.dies-first-time")
def dies_first_time(job: JobContext) -> dict:
    """First attempt: leave a marker, then hang so the test can kill the worker mid-job."""
    _touch(job.variables["outdir"], f"attempt{job.attempt}", job)
    if job.attempt == 1:
        time.sleep(30)
    return {"survived": True}


class NotFixedYet(Exception):
    pass


@handler("itest.fails-until-fixed")
def fails_until_fixed(job: JobContext) -> dict:
    if not job.variables.get("fixed"):
        raise NotFixedYet("the 'fixed' variable is not true yet")
    return {"repaired": True}


@handler("itest.out-of-stock")
def out_of_stock(job: JobContext) -> None:
    raise BpmnErrorRaised("ITEST_OUT_OF_STOCK", "no widgets left")
