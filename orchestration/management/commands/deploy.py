from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from orchestration import services
from orchestration.exceptions import DeploymentRefused


class Command(BaseCommand):
    help = "Deploy one or more BPMN files (each file all or nothing)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("files", nargs="+")

    def handle(self, *args, **options) -> None:
        failed = False
        for name in options["files"]:
            path = Path(name)
            if not path.is_file():
                raise CommandError(f"{name}: no such file")
            try:
                result = services.deploy(path.read_bytes(), actor="cli", resource_name=path.name)
            except DeploymentRefused as exc:
                failed = True
                self.stderr.write(f"{name}: refused")
                for problem in exc.problems:
                    self.stderr.write(f"  {problem}")
                continue
            for d in result.definitions:
                state = "deployed" if result.created else "unchanged"
                self.stdout.write(f"{name}: {d.bpmn_process_id} version {d.version} {state} ({d.key})")
        if failed:
            raise CommandError("some files were refused")
