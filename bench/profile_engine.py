"""Profile one path of bench/engine.py with cProfile (no Celery worker needed).

    .venv/bin/python bench/profile_engine.py memory  [-n 500]   # runner on an in-memory working set
    .venv/bin/python bench/profile_engine.py spiff   [-n 200]   # SpiffWorkflow, same seq10.bpmn
    .venv/bin/python bench/profile_engine.py services [-n 20]   # start_instance + complete_job on PostgreSQL
    .venv/bin/python bench/profile_engine.py worker  [-n 20]    # execute_job per job (claim, handler, complete)

Uses the same database as bench/engine.py (run that once first to create it).
Prints the top functions by own time and by cumulative time, and for the
database paths the number of SQL queries per instance.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import engine  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("path", choices=["memory", "spiff", "services", "worker"])
    parser.add_argument("-n", type=int, default=0, help="instances")
    parser.add_argument("--process", default="seq10", choices=["seq10", "par10"])
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args()
    os.environ.update(engine.ENV)
    import django

    django.setup()
    run, n = target(args.path, args.process, args.n)
    run(max(n // 10, 2))  # warm caches and connections
    queries = count_queries(run, 1) if args.path in ("services", "worker") else None
    profile = cProfile.Profile()
    profile.runcall(run, n)
    stats = pstats.Stats(profile)
    total = stats.total_tt
    print(f"{args.path} {args.process}: {n} instances in {total:.2f} s profiled ({n / total:.1f}/s under the profiler)")
    if queries is not None:
        print(f"sql queries per instance: {queries}")
    stats.sort_stats("tottime").print_stats(args.top)
    stats.sort_stats("cumulative").print_stats(args.top)


def target(path: str, process_name: str, n: int):
    process_id = f"bench_{process_name}"
    if path == "memory":
        process = engine.compiled_process(process_name)
        return (lambda k: engine.run_memory_instances(process, k)), n or 500
    if path == "spiff":
        spec = engine.spiff_spec(process_name, process_id)
        return (lambda k: engine.run_spiff_instances(spec, k)), n or 200
    definition = engine.deploy(process_name)
    run = engine.run_services_instances if path == "services" else engine.run_worker_path_inline
    return (lambda k: run(definition, k)), n or 20


def count_queries(run, n: int) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        run(n)
    return len(captured.captured_queries) // n


if __name__ == "__main__":
    main()
