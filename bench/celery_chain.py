"""The baseline for bench/engine.py (a): a plain Celery chain of no-op tasks.

The benchmark's worker imports this module with `-I bench.celery_chain`, so the
chain runs on the same worker, pool, concurrency, broker and task settings
(acks_late, prefetch 1, JSON) as the engine's `run_job`. The last task of a
chain increments a Redis counter: the bench polls it to know when all chains
are done (no result backend, like the engine side).
"""

from __future__ import annotations

import os
from functools import cache

import redis
from celery import chain, shared_task


@cache
def _redis() -> redis.Redis:
    return redis.Redis.from_url(os.environ["CELERY_BROKER_URL"])


@shared_task(name="bench.noop_step", acks_late=True, ignore_result=True)
def noop_step(counter_key: str = "") -> None:
    """Does nothing; the last step of a chain counts the chain as done."""
    if counter_key:
        _redis().incr(counter_key)


def noop_chain(length: int, counter_key: str):
    """`length` no-op tasks in a row; the last one increments `counter_key`."""
    steps = [noop_step.si() for _ in range(length - 1)]
    return chain(*steps, noop_step.si(counter_key))
