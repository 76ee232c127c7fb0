from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandError

from orchestration import services
from orchestration.exceptions import DomainError


def parse_vars(items: list[str]) -> dict:
    """name=value pairs; values are JSON when they parse as JSON, else strings."""
    result = {}
    for item in items or []:
        name, sep, raw = item.partition("=")
        if not sep or not name:
            raise CommandError(f"--var {item!r}: expected name=value")
        try:
            result[name] = json.loads(raw)
        except ValueError:
            result[name] = raw
    return result


class Command(BaseCommand):
    help = "Start an instance of the latest version of a process."

    def add_arguments(self, parser) -> None:
        parser.add_argument("process_id")
        parser.add_argument("--business-key", default="")
        parser.add_argument("--var", action="append", default=[], help="name=value (JSON or text); repeatable")

    def handle(self, *args, **options) -> None:
        try:
            instance = services.start_instance(
                options["process_id"],
                business_key=options["business_key"],
                variables=parse_vars(options["var"]),
                actor="cli",
            )
        except DomainError as exc:
            raise CommandError(exc.message) from None
        self.stdout.write(f"started {instance.bpmn_process_id} instance {instance.key} ({instance.state})")
