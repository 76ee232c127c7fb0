"""Deploy the demo processes, create demo users and instances in every state. Idempotent."""

from __future__ import annotations

import hashlib
from pathlib import Path

from django.contrib.auth.models import Group, User
from django.core.management.base import BaseCommand

from orchestration import services
from orchestration.models import Deployment, Job, ProcessInstance
from orchestration.services.saved_views import save_view
from orchestration.tasks import execute_job

PROCESSES = Path(__file__).resolve().parents[2] / "demo" / "processes"
# deployed after the first instances started, so they stay on the version before
LATER_VERSIONS = PROCESSES / "later"
SHARED_GROUP = "operations"  # support and operator share saved views through it

# Demo-only credentials, also printed in the README. Never use them in production.
USERS = {
    "support": "support-demo-pass",
    "operator": "operator-demo-pass",
    "approver": "approver-demo-pass",
    "admin": "admin-demo-pass",
}


def drain(instance: ProcessInstance) -> None:
    """Run the instance's internal jobs here, so the demo states do not depend on worker timing."""
    for _ in range(20):
        keys = list(
            Job.objects.filter(
                instance=instance, internal=True, state=Job.State.ACTIVATABLE, retry_at__isnull=True
            ).values_list("key", flat=True)
        )
        if not keys:
            return
        for key in keys:
            execute_job(key, worker="demo")


class Command(BaseCommand):
    help = "Deploy demo processes and create demo users and instances (running, timer, message, incident, completed)."

    def handle(self, *args, **options) -> None:
        self._users()
        for path in sorted(PROCESSES.glob("*.bpmn")):
            self._deploy(path)
        self._instances()
        for path in sorted(LATER_VERSIONS.glob("*.bpmn")):
            self._deploy(path)
        self._later_instances()
        self._shared_view()

    def _deploy(self, path: Path) -> None:
        data = path.read_bytes()
        # a file deployed before is left alone even when a later version followed it
        # (deploy compares with the latest version only and would add it again)
        if Deployment.objects.filter(xml_hash=hashlib.sha256(data).hexdigest()).exists():
            self.stdout.write(f"process file {path.name}: unchanged")
            return
        result = services.deploy(data, actor="demo", resource_name=path.name)
        for d in result.definitions:
            self.stdout.write(f"process {d.bpmn_process_id} v{d.version}: deployed")

    def _users(self) -> None:
        self.stdout.write("Demo users (demo only, change or delete them for real use):")
        for role, password in USERS.items():
            user, created = User.objects.get_or_create(username=role)
            if created:
                user.set_password(password)
                user.is_staff = role == "admin"
                user.save()
            user.groups.add(Group.objects.get(name=role))
            if role in ("support", "operator"):
                user.groups.add(Group.objects.get_or_create(name=SHARED_GROUP)[0])
            self.stdout.write(f"  {role:9} password {password}")
        self.stdout.write(f"  support and operator share saved views in group '{SHARED_GROUP}'")

    def _shared_view(self) -> None:
        operator = User.objects.get(username="operator")
        group = Group.objects.get(name=SHARED_GROUP)
        save_view(operator, "Open incidents", "state=incident", group=group)
        self.stdout.write(f"saved view 'Open incidents' shared with '{SHARED_GROUP}'")

    def _start(self, process_id: str, business_key: str, variables: dict) -> ProcessInstance | None:
        if ProcessInstance.objects.filter(business_key=business_key, bpmn_process_id=process_id).exists():
            return None
        instance = services.start_instance(
            process_id, business_key=business_key, variables=variables, actor="demo", dispatch=False
        )
        drain(instance)
        return instance

    def _instances(self) -> None:
        created = []
        # waiting on a message (correlation key = orderId)
        if self._start("order-process", "ORD-4523", {"orderId": "ORD-4523", "total": 120, "customer": "Ada"}):
            created.append("ORD-4523 waits for message shipment-dispatched")
        # message arrived: waiting at a user task
        if self._start("order-process", "ORD-4524", {"orderId": "ORD-4524", "total": 880, "customer": "Grace"}):
            services.correlate_message(
                "shipment-dispatched", correlation_key="ORD-4524", variables={"carrier": "DHL"}, actor="demo"
            )
            created.append("ORD-4524 waits at user task Confirm delivery")
        # incident: the payment handler fails, retries exhausted
        instance = self._start("order-process", "ORD-4525", {"orderId": "ORD-4525", "total": 45, "card": "declined"})
        if instance:
            for _ in range(3):
                Job.objects.filter(instance=instance, state=Job.State.ACTIVATABLE).update(retry_at=None)
                drain(instance)
            created.append("ORD-4525 has an incident at Charge payment")
        # completed
        if self._start("order-process", "ORD-4526", {"orderId": "ORD-4526", "total": 300}):
            services.correlate_message("shipment-dispatched", correlation_key="ORD-4526", actor="demo")
            task = ProcessInstance.objects.get(business_key="ORD-4526").user_tasks.get(state="created")
            services.complete_user_task(task.key, variables={"delivered": True}, actor="demo")
            created.append("ORD-4526 completed")
        # waiting on timers: one due in an hour, one that fires in 30 seconds while you watch
        if self._start("invoice-reminder", "INV-2001", {"reminderDelay": "PT1H", "amount": 99}):
            created.append("INV-2001 waits on a 1 hour timer")
        if self._start("invoice-reminder", "INV-2002", {"reminderDelay": "PT30S", "amount": 15}):
            created.append("INV-2002 waits on a 30 second timer (the scheduler fires it)")
        # Camunda 7 flavoured: a user task with a form, and an external-worker job
        if self._start("loan-approval", "LOAN-77", {"amount": 25000, "applicant": "Linus"}):
            created.append("LOAN-77 waits at user task Review loan")
        if self._start("loan-approval", "LOAN-78", {"amount": 800, "applicant": "Barbara"}):
            created.append("LOAN-78 waits for an external worker on topic loan-notify")
        # a call activity: the parent waits while its child waits at a user task
        if self._start("return-request", "RET-301", {"orderId": "ORD-4526", "amount": 300}):
            created.append("RET-301 waits for its child refund-payment (user task Approve refund)")
        self._report(created)

    def _later_instances(self) -> None:
        created = []
        if self._start("order-process", "ORD-4527", {"orderId": "ORD-4527", "total": 640, "customer": "Alan"}):
            created.append("ORD-4527 runs on order-process v2 (the ORD-452x before it stay on v1)")
        self._report(created)

    def _report(self, created: list[str]) -> None:
        for line in created:
            self.stdout.write(f"instance {line}")
        if not created:
            self.stdout.write("demo instances already exist")
