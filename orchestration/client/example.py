"""An external worker for the demo: it handles topic `loan-notify` of the loan-approval process
(the demo's LOAN-78 instance waits for it). See docs/api.md.

    .venv/bin/python manage.py demo
    .venv/bin/python manage.py create_api_token loan-worker --create --role worker   # prints a token
    ORCHESTRATION_TOKEN=<token> .venv/bin/python -m orchestration.client.example

Without ORCHESTRATION_TOKEN it signs in with HTTP Basic as ORCHESTRATION_USER /
ORCHESTRATION_PASSWORD (default: the demo operator). Ctrl-C stops it after the
jobs in flight are done.
"""

from __future__ import annotations

import logging
import os

from orchestration.client import BpmnError, Client, Job


def make_client() -> Client:
    url = os.environ.get("ORCHESTRATION_URL", "http://127.0.0.1:8000")
    token = os.environ.get("ORCHESTRATION_TOKEN")
    if token:
        return Client(url, token=token)
    user = os.environ.get("ORCHESTRATION_USER", "operator")
    password = os.environ.get("ORCHESTRATION_PASSWORD", "operator-demo-pass")
    return Client(url, auth=(user, password))


client = make_client()


@client.worker("loan-notify", concurrency=2, lock_seconds=30)
def notify_applicant(job: Job) -> dict:
    applicant = job.variables.get("applicant")
    if not applicant:
        # a business error: the model decides what happens (an incident if nothing catches it)
        raise BpmnError("NO_APPLICANT", "the loan has no applicant to notify")
    approved = job.variables.get("approved", job.variables.get("score") == "auto")
    print(
        f"notify {applicant}: loan {job.business_key or job.process_instance_key} {'approved' if approved else 'declined'}"
    )
    return {"applicantNotified": True}


def main() -> None:
    logging.basicConfig(
        level=os.environ.get("LOG_LEVEL", "INFO"), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    client.run()


if __name__ == "__main__":
    main()
