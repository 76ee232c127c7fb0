"""Engine benchmark: prints `name: value` lines (see docs/benchmarks.md).

    .venv/bin/python bench/engine.py            # full run (3 to 5 minutes)
    .venv/bin/python bench/engine.py --quick    # smaller counts (< 2 minutes)

(a) a 10-service-task process through the real worker path (a `celery -A config
    worker` subprocess on Redis, PostgreSQL), next to a plain Celery chain of 10
    no-op tasks on the same worker;
(b) the runner alone on an in-memory working set, next to SpiffWorkflow running
    the same .bpmn files in-process; and the services on PostgreSQL without Celery;
(c) start-to-complete latency of a one-task process at 1 instance/s.

Uses its own database (orchestration_bench, flushed at start) and Redis db 13
(flushed before the worker starts).
"""

from __future__ import annotations

import argparse
import math
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BPMN_DIR = ROOT / "bench" / "bpmn"
DB_NAME = os.environ.get("BENCH_DB_NAME", "orchestration_bench")
DATABASE_URL = f"postgres://postgres@127.0.0.1:5432/{DB_NAME}"
REDIS_URL = "redis://127.0.0.1:6379/13"
CONCURRENCY = 2
CHAIN_LENGTH = 10
POLL_SECONDS = 0.02

ENV = {
    "DJANGO_SETTINGS_MODULE": "config.settings",
    "DATABASE_URL": DATABASE_URL,
    "CELERY_BROKER_URL": REDIS_URL,
    "CELERY_TASK_ALWAYS_EAGER": "false",
    "DEBUG": "false",
    "LOG_LEVEL": "WARNING",
}


@dataclass(frozen=True)
class Sizes:
    e2e: int  # instances (and chains) through the worker
    inprocess: int  # instances per in-process round
    rounds: int  # in-process rounds; the median is printed
    services: int  # instances through the services without Celery
    latency: int  # one-task samples at 1 instance/s


QUICK = Sizes(e2e=100, inprocess=300, rounds=1, services=20, latency=20)
FULL = Sizes(e2e=500, inprocess=1000, rounds=3, services=100, latency=100)

# (figure, comparison, bound) from the issue
TARGETS = (
    ("e2e_vs_celery_chain_ratio", ">=", 1.5),
    ("inprocess_seq10_vs_spiff_ratio", ">=", 5.0),
    ("inprocess_par10_vs_spiff_ratio", ">=", 5.0),
    ("latency_p99_ms", "<", 100.0),
)
FIGURES: dict[str, float] = {}


def emit(name: str, value) -> None:
    FIGURES[name] = value
    if isinstance(value, float):
        value = f"{value:.1f}" if value >= 10 else f"{value:.2f}"
    print(f"{name}: {value}", flush=True)


def report_targets() -> None:
    for name, comparison, bound in TARGETS:
        value = FIGURES[name]
        met = value >= bound if comparison == ">=" else value < bound
        emit(f"target_{name}_{comparison.replace('>=', 'ge').replace('<', 'lt')}_{bound:g}", "met" if met else "missed")


# -- setup ------------------------------------------------------------------


def prepare_environment() -> None:
    """Env first (settings read it), a migrated benchmark database, then django.setup()."""
    os.environ.update(ENV)
    sys.path.insert(0, str(ROOT))
    exists = subprocess.run(
        ["psql", "-h", "127.0.0.1", "-U", "postgres", "-tAc", f"SELECT 1 FROM pg_database WHERE datname = '{DB_NAME}'"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    if not exists:
        subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-qc", f"CREATE DATABASE {DB_NAME}"], check=True)
    subprocess.run([sys.executable, "manage.py", "migrate", "--no-input", "-v", "0"], cwd=ROOT, check=True)

    import django

    django.setup()
    from django.core.management import call_command

    call_command("flush", interactive=False, verbosity=0)


def bpmn(name: str) -> str:
    return (BPMN_DIR / f"{name}.bpmn").read_text()


def compiled_process(name: str):
    """The engine's compiled model, without the database (what deploy would cache)."""
    from orchestration.services.deployments import validate_for_deploy

    definitions, problems = validate_for_deploy(bpmn(name))
    assert not problems, problems
    return definitions.executable_processes[0]


def deploy(name: str):
    from orchestration import services

    return services.deploy(bpmn(name), actor="bench", resource_name=f"{name}.bpmn").definitions[0]


def median_rate(run: Callable[[int], None], n: int, rounds: int) -> float:
    """Instances per second of `run(n)`, median over rounds (after one small warm-up)."""
    run(max(n // 10, 10))
    rates = []
    for _ in range(rounds):
        started = time.perf_counter()
        run(n)
        rates.append(n / (time.perf_counter() - started))
    return statistics.median(rates)


# -- (b) in-process: the runner vs SpiffWorkflow ------------------------------


def run_memory_instances(process, n: int) -> None:
    """Start each instance, then complete its jobs one command at a time, like a worker would."""
    from orchestration.engine.memory import MemoryInstance

    for _ in range(n):
        instance = MemoryInstance.start(process)
        while instance.jobs:
            instance.complete_job(next(iter(instance.jobs)))
        assert instance.state == "completed", instance.state


def spiff_spec(name: str, process_id: str):
    from SpiffWorkflow.bpmn.parser import BpmnParser

    parser = BpmnParser()
    parser.add_bpmn_file(str(BPMN_DIR / f"{name}.bpmn"))
    return parser.get_spec(process_id)


def run_spiff_instances(spec, n: int) -> None:
    """Spiff runs a service task to STARTED and leaves it there (no handler): the
    external completion is `task.complete()` followed by `do_engine_steps()`."""
    from SpiffWorkflow.bpmn import BpmnWorkflow
    from SpiffWorkflow.util.task import TaskState

    for _ in range(n):
        workflow = BpmnWorkflow(spec)
        workflow.do_engine_steps()
        while (task := workflow.get_next_task(state=TaskState.STARTED)) is not None:
            task.complete()
            workflow.do_engine_steps()
        assert workflow.is_completed()


def bench_inprocess(sizes: Sizes) -> None:
    import logging

    logging.getLogger("spiff").setLevel(logging.WARNING)  # Spiff logs every state change at INFO
    for name, process_id, label in (("seq10", "bench_seq10", "seq10"), ("par10", "bench_par10", "par10")):
        process = compiled_process(name)
        spec = spiff_spec(name, process_id)
        ours = median_rate(partial(run_memory_instances, process), sizes.inprocess, sizes.rounds)
        spiff = median_rate(partial(run_spiff_instances, spec), sizes.inprocess, sizes.rounds)
        emit(f"inprocess_{label}_instances_per_s", ours)
        emit(f"spiff_{label}_instances_per_s", spiff)
        emit(f"inprocess_{label}_vs_spiff_ratio", ours / spiff)


# -- (b) the services on PostgreSQL, no Celery ----------------------------------


def completed_count(definition) -> int:
    from orchestration.models import ProcessInstance

    return ProcessInstance.objects.filter(definition=definition, state=ProcessInstance.State.COMPLETED).count()


def run_services_instances(definition, n: int) -> None:
    """start_instance(dispatch=False), then complete_job for every job it and its successors return."""
    from orchestration import services

    for _ in range(n):
        instance = services.start_instance(definition=definition, actor="bench", dispatch=False)
        pending = list(instance._internal_jobs)
        while pending:
            pending.extend(services.complete_job(pending.pop(0), actor="bench", dispatch=False))


def run_worker_path_inline(definition, n: int) -> None:
    """What a worker does per job (claim, load variables, run the handler, complete), minus Celery."""
    from orchestration import services
    from orchestration.tasks import execute_job

    for _ in range(n):
        instance = services.start_instance(definition=definition, actor="bench", dispatch=False)
        pending = list(instance._internal_jobs)
        while pending:
            pending.extend(execute_job(pending.pop(0), worker="bench"))


def bench_services(sizes: Sizes) -> None:
    definition = deploy("seq10")
    for figure, run in (
        ("services_pg_seq10_instances_per_s", run_services_instances),
        ("worker_path_no_celery_seq10_instances_per_s", run_worker_path_inline),
    ):
        before = completed_count(definition)
        rate = median_rate(partial(run, definition), sizes.services, 1)
        done = completed_count(definition) - before
        expected = sizes.services + max(sizes.services // 10, 10)
        assert done == expected, f"{figure}: {done} of {expected} instances completed"
        emit(figure, rate)


# -- the worker ---------------------------------------------------------------


@contextmanager
def celery_worker(broker_url: str = REDIS_URL, include: tuple[str, ...] = ("bench.celery_chain",)) -> Iterator[None]:
    """A real `celery -A config worker` on the benchmark Redis db (flushed first); stopped on the way out.

    The worker inherits this process's environment (the caller has set its DATABASE_URL
    and CELERY_BROKER_URL, which must be ``broker_url``).
    """
    import redis

    redis.Redis.from_url(broker_url).flushdb()
    log = tempfile.NamedTemporaryFile(prefix="bench-worker-", suffix=".log", delete=False)
    command = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "config",
        "worker",
        *(argument for module in include for argument in ("--include", module)),
        "--pool",
        "prefork",
        "--concurrency",
        str(CONCURRENCY),
        "--hostname",
        f"bench-{os.getpid()}@%h",
        "--without-gossip",
        "--without-mingle",
        "--loglevel",
        "WARNING",
    ]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    worker = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        wait_for_worker(worker, log.name)
        yield
    finally:
        stop_worker(worker)
        log.close()


def wait_for_worker(worker: subprocess.Popen, log_path: str) -> None:
    from config.celery import app

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if worker.poll() is not None:
            raise RuntimeError(f"the worker exited with {worker.returncode}; see {log_path}")
        if app.control.ping(timeout=0.5):
            return
    raise RuntimeError(f"the worker did not answer a ping within 60 s; see {log_path}")


def stop_worker(worker: subprocess.Popen) -> None:
    """Warm shutdown (SIGTERM); kill our own process group only if it hangs."""
    if worker.poll() is not None:
        return
    worker.send_signal(signal.SIGTERM)
    try:
        worker.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait()


def wait_until(done: Callable[[], bool], what: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not done():
        if time.monotonic() > deadline:
            raise RuntimeError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(POLL_SECONDS)


# -- (a) end to end: the engine vs a plain Celery chain --------------------------


def run_engine_e2e(definition, n: int) -> float:
    """Start n instances (dispatched after commit); seconds until all are completed."""
    from orchestration import services

    before = completed_count(definition)
    started = time.perf_counter()
    for _ in range(n):
        services.start_instance(definition=definition, actor="bench")
    wait_until(lambda: completed_count(definition) - before >= n, f"{n} instances", timeout=60 + n / 5)
    elapsed = time.perf_counter() - started
    assert completed_count(definition) - before == n
    return elapsed


def run_chain_e2e(n: int) -> float:
    """Send n chains of CHAIN_LENGTH no-op tasks; seconds until the last task of each has run."""
    import redis

    from bench.celery_chain import noop_chain

    client = redis.Redis.from_url(REDIS_URL)
    counter = f"bench:chains:{uuid.uuid4()}"
    started = time.perf_counter()
    for _ in range(n):
        noop_chain(CHAIN_LENGTH, counter).apply_async()
    wait_until(lambda: int(client.get(counter) or 0) >= n, f"{n} chains", timeout=60 + n / 5)
    elapsed = time.perf_counter() - started
    assert int(client.get(counter)) == n
    return elapsed


def bench_e2e(sizes: Sizes, definition) -> None:
    warm = 2 * CONCURRENCY * 3  # every pool process has its connections, caches and imports
    run_engine_e2e(definition, warm)
    run_chain_e2e(warm)
    engine = sizes.e2e / run_engine_e2e(definition, sizes.e2e)
    emit("e2e_seq10_completed", sizes.e2e)
    chain = sizes.e2e / run_chain_e2e(sizes.e2e)
    emit("celery_chain10_completed", sizes.e2e)
    emit("e2e_seq10_instances_per_s", engine)
    emit("celery_chain10_instances_per_s", chain)
    emit("e2e_vs_celery_chain_ratio", engine / chain)


# -- (c) latency ------------------------------------------------------------------


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[max(math.ceil(p / 100 * len(ordered)) - 1, 0)]


def bench_latency(sizes: Sizes, definition) -> None:
    """One instance per second; engine-recorded ended_at - started_at, and what a poller sees."""
    from orchestration import services
    from orchestration.models import ProcessInstance

    recorded, observed = [], []
    first = time.perf_counter() + 1
    for i in range(sizes.latency):
        time.sleep(max(first + i - time.perf_counter(), 0))
        started = time.perf_counter()
        key = services.start_instance(definition=definition, actor="bench").key
        deadline = started + 10
        while True:
            state, started_at, ended_at = ProcessInstance.objects.values_list("state", "started_at", "ended_at").get(
                key=key
            )
            if state == ProcessInstance.State.COMPLETED:
                break
            if time.perf_counter() > deadline:
                raise RuntimeError(f"instance {key} not completed after 10 s (state {state})")
            time.sleep(0.002)
        observed.append((time.perf_counter() - started) * 1000)
        recorded.append((ended_at - started_at).total_seconds() * 1000)
    emit("latency_samples", len(recorded))
    emit("latency_p50_ms", percentile(recorded, 50))
    emit("latency_p99_ms", percentile(recorded, 99))
    emit("latency_observed_p50_ms", percentile(observed, 50))
    emit("latency_observed_p99_ms", percentile(observed, 99))


# -- main -----------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller counts (under 2 minutes)")
    args = parser.parse_args()
    sizes = QUICK if args.quick else FULL
    began = time.perf_counter()
    emit("mode", "quick" if args.quick else "full")
    emit("cpu_count", os.cpu_count())
    emit("worker_concurrency", CONCURRENCY)
    prepare_environment()
    bench_inprocess(sizes)
    bench_services(sizes)
    seq10, one_task = deploy("seq10"), deploy("one_task")
    with celery_worker():
        bench_e2e(sizes, seq10)
        bench_latency(sizes, one_task)
    report_targets()
    emit("total_seconds", time.perf_counter() - began)


if __name__ == "__main__":
    main()
