"""Job handlers for bench/realistic.py, imported by the bench process and its worker.

`bench/realistic.py` sets ORCHESTRATION_EXTRA_HANDLER_MODULES=bench.handlers_bench,
so `orchestration.apps` imports this module in both processes (the process that
starts instances must know the type is handled to dispatch its jobs to Celery).

`noop-remote` does what the built-in `noop` does, but is registered without
`local=True`: each of its jobs is one Celery message, one claim and one
`complete_job` command, as any ordinary (non-local) Python handler.
"""

from __future__ import annotations

from orchestration.handlers import JobContext, handler


@handler("noop-remote")
def noop_remote(job: JobContext) -> None:
    """Does nothing; completes at once, through the queued (non-local) path."""
    return None
