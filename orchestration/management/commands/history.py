from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandError

from orchestration.models import AuditEvent, ProcessInstance


class Command(BaseCommand):
    help = "Print an instance's audit trail (by instance key or business key)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("instance")

    def handle(self, *args, **options) -> None:
        ref = options["instance"]
        instance = None
        try:
            instance = ProcessInstance.objects.filter(key=ref).first()
        except Exception:  # noqa: BLE001 - not a UUID: try the business key
            instance = None
        if instance is None:
            instance = ProcessInstance.objects.filter(business_key=ref).order_by("-started_at").first()
        if instance is None:
            raise CommandError(f"no instance with key or business key {ref!r}")
        self.stdout.write(
            f"{instance.bpmn_process_id} {instance.key} business key {instance.business_key or '-'}: {instance.state}"
        )
        for event in AuditEvent.objects.filter(instance_key=instance.key).order_by("id"):
            data = json.dumps(event.data, sort_keys=True) if event.data else ""
            self.stdout.write(
                f"{event.created_at.isoformat(timespec='milliseconds')}  {event.type:22} {event.element_id:24} {event.actor:12} {data}"
            )
