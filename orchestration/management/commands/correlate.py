from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from orchestration import services
from orchestration.exceptions import DomainError

from .start import parse_vars


class Command(BaseCommand):
    help = "Correlate (or with --ttl publish) a message by name and correlation key or business key."

    def add_arguments(self, parser) -> None:
        parser.add_argument("message_name")
        parser.add_argument("--correlation-key", default="")
        parser.add_argument("--business-key", default=None)
        parser.add_argument("--var", action="append", default=[])
        parser.add_argument("--all", action="store_true", help="correlate to every waiting instance")
        parser.add_argument("--ttl", type=float, default=0, help="publish: buffer this many seconds if nobody waits")

    def handle(self, *args, **options) -> None:
        variables = parse_vars(options["var"])
        try:
            if options["ttl"]:
                results, buffered = services.publish_message(
                    options["message_name"],
                    correlation_key=options["correlation_key"],
                    variables=variables,
                    ttl_seconds=options["ttl"],
                    actor="cli",
                )
                if buffered:
                    self.stdout.write(f"no subscription yet: message buffered until {buffered.expires_at.isoformat()}")
            else:
                results = services.correlate_message(
                    options["message_name"],
                    correlation_key=options["correlation_key"] or None,
                    business_key=options["business_key"],
                    variables=variables,
                    all=options["all"],
                    actor="cli",
                )
        except DomainError as exc:
            raise CommandError(exc.message) from None
        for r in results:
            verb = "started" if r.started else "correlated to"
            self.stdout.write(f"{verb} instance {r.instance_key} at {r.element_id}")
