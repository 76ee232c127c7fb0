"""A small Python SDK for external workers of the orchestration engine (no Django needed).

    from orchestration.client import BpmnError, Client

    client = Client("http://127.0.0.1:8000", token="...")

    @client.worker("charge-card", concurrency=4, lock_seconds=30)
    def charge(job):
        if job.variables["amount"] > 10_000:
            raise BpmnError("LIMIT", "amount over the limit")
        return {"charged": True}

    client.run()  # until SIGINT/SIGTERM: in-flight jobs finish, polling stops

See docs/api.md.
"""

from __future__ import annotations

from .api import ApiError, Client, Job
from .worker import BpmnError, WorkerSpec

__all__ = ["ApiError", "BpmnError", "Client", "Job", "WorkerSpec"]
