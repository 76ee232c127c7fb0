"""The worker runtime: long-poll activation, a thread pool per job type, lock extension,
retries with exponential backoff, BPMN errors, graceful shutdown.

Per registered job type one poller thread asks for at most as many jobs as it
has free slots (long polling: the server answers as soon as jobs exist), and
hands each to a pool of `concurrency` threads. A lock keeper thread extends the
lock of every running job when half of its lock time has passed, so a handler
may run longer than lock_seconds. A handler returns the variables to complete
with (a dict or None), raises BpmnError to throw a business error, or raises
anything else to fail the attempt: retries - 1, next try after
backoff_seconds * 2^(attempt-1) (capped); at 0 retries the engine raises an
incident. stop(), SIGINT or SIGTERM: pollers stop asking (a poll in progress
ends within poll_timeout_ms and its jobs are still run), in-flight jobs finish
and report, then run() returns.
"""

from __future__ import annotations

import heapq
import logging
import signal
import threading
import time
import traceback
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import httpx

from .api import ApiError, Job

if TYPE_CHECKING:
    from .api import Client

log = logging.getLogger("orchestration.client")


class BpmnError(Exception):
    """Raise in a handler to throw a BPMN error: the nearest matching catch event handles it."""

    def __init__(self, code: str, message: str = "", variables: dict[str, Any] | None = None):
        self.code = code
        self.message = message
        self.variables = variables or {}
        super().__init__(f"{code}: {message}" if message else code)


@dataclass(frozen=True)
class WorkerSpec:
    job_type: str
    handler: Callable[[Job], Any]
    concurrency: int = 4
    lock_seconds: int = 30
    max_jobs: int = 10
    poll_timeout_ms: int = 10_000
    backoff_seconds: float = 1.0
    max_backoff_seconds: float = 300.0

    def backoff_for(self, attempt: int) -> float:
        return min(self.max_backoff_seconds, self.backoff_seconds * (2 ** max(attempt - 1, 0)))


class LockKeeper:
    """One thread that extends the lock of running jobs before it expires."""

    def __init__(self, client: Client):
        self.client = client
        self._due: list[tuple[float, str]] = []
        self._jobs: dict[str, int] = {}  # key -> lock seconds
        self._cond = threading.Condition()
        self._closed = False
        self._thread = threading.Thread(target=self._loop, name="orchestration-lock-keeper", daemon=True)
        self._thread.start()

    def add(self, job: Job, lock_seconds: int) -> None:
        with self._cond:
            self._jobs[job.key] = lock_seconds
            heapq.heappush(self._due, (time.monotonic() + lock_seconds / 2, job.key))
            self._cond.notify()

    def remove(self, job: Job) -> None:
        with self._cond:
            self._jobs.pop(job.key, None)

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify()
        self._thread.join(timeout=5)

    def _loop(self) -> None:
        while True:
            with self._cond:
                while not self._closed and (not self._due or self._due[0][0] > time.monotonic()):
                    timeout = self._due[0][0] - time.monotonic() if self._due else None
                    self._cond.wait(timeout)
                if self._closed:
                    return
                _, key = heapq.heappop(self._due)
                seconds = self._jobs.get(key)
            if seconds is None:
                continue  # finished meanwhile
            try:
                self.client.extend_lock(key, seconds)
                log.debug("extended the lock of job %s by %ss", key, seconds)
            except ApiError as exc:
                log.warning("could not extend the lock of job %s: %s", key, exc)
                continue  # lost (completed elsewhere, or taken after expiry): stop extending
            except httpx.HTTPError as exc:
                log.warning("could not extend the lock of job %s (will retry): %s", key, exc)
                seconds = max(seconds // 4, 1)  # retry sooner
            with self._cond:
                if key in self._jobs:
                    heapq.heappush(self._due, (time.monotonic() + seconds / 2, key))


class Runner:
    def __init__(self, client: Client, specs: list[WorkerSpec], stopping: threading.Event):
        self.client = client
        self.specs = specs
        self.stopping = stopping
        self.keeper: LockKeeper | None = None

    def stop(self) -> None:
        self.stopping.set()

    def run(self, *, install_signal_handlers: bool = True) -> None:
        previous = {}
        if install_signal_handlers and threading.current_thread() is threading.main_thread():
            for signum in (signal.SIGINT, signal.SIGTERM):
                previous[signum] = signal.signal(signum, self._on_signal)
        self.keeper = LockKeeper(self.client)
        pools = [ThreadPoolExecutor(spec.concurrency, thread_name_prefix=f"job-{spec.job_type}") for spec in self.specs]
        pollers = [
            threading.Thread(target=self._poll, args=(spec, pool), name=f"poll-{spec.job_type}", daemon=True)
            for spec, pool in zip(self.specs, pools, strict=True)
        ]
        try:
            for poller in pollers:
                poller.start()
            log.info("worker %s polling %s", self.client.worker_name, ", ".join(s.job_type for s in self.specs))
            # the main thread sleeps here, so that signals are delivered promptly
            while not self.stopping.wait(0.2):
                pass
            log.info("stopping: no new jobs, finishing the ones in flight")
        finally:
            self.stopping.set()
            for poller in pollers:
                poller.join()
            for pool in pools:
                pool.shutdown(wait=True)
            self.keeper.close()
            for signum, handler in previous.items():
                signal.signal(signum, handler)
            log.info("worker %s stopped", self.client.worker_name)

    def _on_signal(self, signum, frame) -> None:
        log.info("received %s", signal.Signals(signum).name)
        self.stopping.set()

    def _poll(self, spec: WorkerSpec, pool: ThreadPoolExecutor) -> None:
        slots = threading.Semaphore(spec.concurrency)
        in_flight = [0]
        lock = threading.Lock()
        failures = 0

        def release(_future) -> None:
            with lock:
                in_flight[0] -= 1
            slots.release()

        while not self.stopping.is_set():
            # wait for one free slot, then ask for as many jobs as slots are free
            if not slots.acquire(timeout=0.2):
                continue
            slots.release()
            with lock:
                free = spec.concurrency - in_flight[0]
            if free <= 0:
                continue
            try:
                jobs = self.client.activate_jobs(
                    spec.job_type,
                    max_jobs=min(spec.max_jobs, free),
                    lock_seconds=spec.lock_seconds,
                    timeout_ms=spec.poll_timeout_ms,
                )
                failures = 0
            except (ApiError, httpx.HTTPError) as exc:
                failures += 1
                pause = min(30.0, 0.5 * 2 ** min(failures, 6))
                log.warning("activating %s jobs failed (%s); retrying in %.1fs", spec.job_type, exc, pause)
                self.stopping.wait(pause)
                continue
            for job in jobs:
                slots.acquire()
                with lock:
                    in_flight[0] += 1
                pool.submit(self._execute, spec, job).add_done_callback(release)

    def _execute(self, spec: WorkerSpec, job: Job) -> None:
        assert self.keeper is not None
        self.keeper.add(job, spec.lock_seconds)
        try:
            try:
                result = spec.handler(job)
            except BpmnError as error:
                self.keeper.remove(job)
                self._report(
                    job,
                    "throw a BPMN error for",
                    self.client.throw_error,
                    job.key,
                    error.code,
                    error.message,
                    error.variables,
                )
                return
            except Exception as exc:  # noqa: BLE001 - any handler failure is a failed attempt
                self.keeper.remove(job)
                retries = max(job.retries - 1, 0)
                backoff = spec.backoff_for(job.attempt)
                log.warning("job %s (%s) failed, %d retries left: %s", job.key, job.type, retries, exc)
                self._report(
                    job,
                    "fail",
                    self.client.fail_job,
                    job.key,
                    retries=retries,
                    error_message=f"{exc.__class__.__name__}: {exc}",
                    error_details=traceback.format_exc(),
                    retry_backoff_seconds=backoff,
                    worker=job.worker or None,
                )
                return
            self.keeper.remove(job)
            variables = result if isinstance(result, dict) else {}
            self._report(job, "complete", self.client.complete_job, job.key, variables, worker=job.worker or None)
        finally:
            self.keeper.remove(job)

    def _report(self, job: Job, what: str, call: Callable, *args, **kwargs) -> None:
        """Send the outcome; retry transport errors a few times (a repeat is answered 409, which is fine)."""
        for attempt in range(4):
            try:
                call(*args, **kwargs)
                return
            except ApiError as exc:
                if exc.status == 409 and attempt > 0:
                    return  # our earlier attempt went through
                log.error("could not %s job %s: %s", what, job.key, exc)
                return
            except httpx.HTTPError as exc:
                log.warning("could not %s job %s (attempt %d): %s", what, job.key, attempt + 1, exc)
                time.sleep(0.5 * 2**attempt)
        log.error("gave up reporting job %s; the engine will hand it out again after its lock expires", job.key)
