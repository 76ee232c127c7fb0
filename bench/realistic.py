"""Realistic-process benchmark: prints `name: value` lines (see docs/benchmarks.md).

    .venv/bin/python bench/realistic.py            # full run (about 1.5 minutes)
    .venv/bin/python bench/realistic.py --quick    # smaller counts (under a minute; < 2 minutes loaded)

The process (bench/bpmn/realistic.bpmn): a call activity whose child
(bench/bpmn/realistic_child.bpmn) runs two service tasks, then a parallel
multi-instance service task over a collection of 10 items; both the call
activity and the multi-instance body carry a PT1H interrupting boundary timer
that never fires (it is scheduled when the activity starts and withdrawn when it
completes). Per instance: 2 instances (parent, child), 13 jobs (2 child tasks,
the call activity's completion outbox job, 10 items), 2 timers.

It runs through the real worker path (a `celery -A config worker` subprocess
on Redis, PostgreSQL), with the helpers of bench/engine.py, twice:

- `realistic`: service tasks of job type `noop`, the built-in *local* handler
  (a worker runs an instance's following local jobs inside the same command);
- `realistic_remote`: the same model with job type `noop-remote`, a no-op
  registered without `local=True` in bench/handlers_bench.py (both the bench
  process and the worker import it via ORCHESTRATION_EXTRA_HANDLER_MODULES):
  every job is one Celery message, one claim and one `complete_job`.

Own database (BENCH_DB_NAME, default orchestration_bench_realistic, flushed at
start) and Redis db 8 (flushed before the worker starts), so it never collides
with bench/engine.py (orchestration_bench, Redis db 13).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
os.environ.setdefault("BENCH_DB_NAME", "orchestration_bench_realistic")
sys.path.insert(0, str(ROOT))

from bench import engine  # noqa: E402  (reads BENCH_DB_NAME at import)
from bench.engine import completed_count, emit, wait_until  # noqa: E402

REDIS_URL = "redis://127.0.0.1:6379/8"
ITEMS = 10
PARENT_ID = "bench_realistic"
CHILD_ID = "bench_realistic_child"
HANDLER_MODULE = "bench.handlers_bench"

# Point bench/engine.py's worker and settings at our broker db, and make both
# processes import the bench handler module.
engine.REDIS_URL = REDIS_URL
engine.ENV["CELERY_BROKER_URL"] = REDIS_URL
engine.ENV["ORCHESTRATION_EXTRA_HANDLER_MODULES"] = HANDLER_MODULE


@dataclass(frozen=True)
class Sizes:
    local: int  # instances with the local noop handler
    remote: int  # instances with the queued noop-remote handler


QUICK = Sizes(local=200, remote=50)
FULL = Sizes(local=1000, remote=250)


def load_average() -> str:
    """What `uptime` prints: other sessions may be loading the machine."""
    out = subprocess.run(["uptime"], capture_output=True, text=True, check=False).stdout.strip()
    return out.split("load average:")[-1].strip() if "load average:" in out else out


def variant_xml(name: str, job_type: str, suffix: str) -> str:
    """The model with its job type and process ids of this variant (the remote one is a renamed copy)."""
    xml = engine.bpmn(name).replace('type="noop"', f'type="{job_type}"')
    return xml.replace(CHILD_ID, CHILD_ID + suffix).replace(f'id="{PARENT_ID}"', f'id="{PARENT_ID}{suffix}"')


def deploy_variant(job_type: str, suffix: str):
    """Deploy child and parent; returns (parent definition, child definition)."""
    from orchestration import services

    child = services.deploy(
        variant_xml("realistic_child", job_type, suffix), actor="bench", resource_name=f"realistic_child{suffix}.bpmn"
    )
    parent = services.deploy(
        variant_xml("realistic", job_type, suffix), actor="bench", resource_name=f"realistic{suffix}.bpmn"
    )
    return parent.definitions[0], child.definitions[0]


def start(definition) -> None:
    from orchestration import services

    services.start_instance(definition=definition, actor="bench", variables={"items": list(range(1, ITEMS + 1))})


def run_instances(parent, n: int, timeout: float) -> float:
    """Start n instances (each dispatched after its commit); seconds until all n parents completed."""
    before = completed_count(parent)
    began = time.perf_counter()
    for _ in range(n):
        start(parent)
    wait_until(lambda: completed_count(parent) - before >= n, f"{n} realistic instances", timeout=timeout)
    return time.perf_counter() - began


def check_clean(parent, child, expected: int, label: str) -> tuple[float, float]:
    """Every parent and child completed with every item done; no incident, open job or scheduled timer left."""
    from orchestration.models import ElementInstance, Incident, Job, ProcessInstance, Timer

    parents = ProcessInstance.objects.filter(definition=parent)
    children = ProcessInstance.objects.filter(definition=child)
    assert parents.count() == expected == parents.filter(state=ProcessInstance.State.COMPLETED).count(), label
    assert children.count() == expected == children.filter(state=ProcessInstance.State.COMPLETED).count(), label
    keys = list(parents.values_list("key", flat=True)) + list(children.values_list("key", flat=True))
    items = ElementInstance.objects.filter(instance_id__in=keys, element_id="per_item", element_type="serviceTask")
    assert items.filter(state=ElementInstance.State.COMPLETED).count() == ITEMS * expected, (
        f"{label}: items not all done"
    )
    assert not Incident.objects.filter(instance_id__in=keys).exists(), f"{label}: incidents"
    assert not Job.objects.filter(instance_id__in=keys).exclude(state=Job.State.COMPLETED).exists(), (
        f"{label}: open jobs"
    )
    timers = Timer.objects.filter(instance_id__in=keys)
    assert not timers.exclude(state=Timer.State.CANCELLED).exists(), f"{label}: a boundary timer fired or is left"
    # Rows written: a local job, or a timer opened and withdrawn, inside one command is never inserted.
    return Job.objects.filter(instance_id__in=keys).count() / expected, timers.count() / expected


def bench(label: str, job_type: str, suffix: str, n: int) -> None:
    """Warm up, then n instances; every figure after all of them (and the warm-up) checked complete and clean."""
    parent, child = deploy_variant(job_type, suffix)
    warm = 2 * engine.CONCURRENCY * 3  # every pool process has its connections, caches and imports
    run_instances(parent, warm, timeout=120)
    seconds = run_instances(parent, n, timeout=60 + n)
    job_rows, timer_rows = check_clean(parent, child, warm + n, label)
    emit(f"{label}_completed", n)
    emit(f"{label}_seconds", seconds)
    emit(f"{label}_instances_per_s", n / seconds)
    emit(f"{label}_job_rows_per_instance", job_rows)
    emit(f"{label}_timer_rows_per_instance", timer_rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller counts (under 2 minutes)")
    args = parser.parse_args()
    sizes = QUICK if args.quick else FULL
    began = time.perf_counter()
    emit("mode", "quick" if args.quick else "full")
    emit("load_average_at_start", load_average())
    emit("cpu_count", os.cpu_count())
    emit("worker_concurrency", engine.CONCURRENCY)
    emit("database", engine.DB_NAME)
    emit("redis", REDIS_URL)
    engine.prepare_environment()
    with engine.celery_worker():
        bench("realistic", "noop", "", sizes.local)
        bench("realistic_remote", "noop-remote", "_remote", sizes.remote)
    emit("load_average_at_end", load_average())
    emit("total_seconds", time.perf_counter() - began)


if __name__ == "__main__":
    main()
