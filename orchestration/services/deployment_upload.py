"""Deploy several BPMN resources as one upload: all of them or none."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from ..bpmn.model import Problem
from ..exceptions import DeploymentRefused, InvalidInput
from .deployments import DeployResult, deploy, validate_for_deploy

MAX_RESOURCES = 50


def deploy_resources(resources: list[tuple[str, bytes]], *, actor: Any, name: str = "") -> list[DeployResult]:
    """Validate every (resource name, XML) first and list every problem of every file
    (prefixed with its name); then deploy them in one transaction. Identical XML is a no-op."""
    if not resources:
        raise InvalidInput("upload at least one BPMN file")
    if len(resources) > MAX_RESOURCES:
        raise InvalidInput(f"upload at most {MAX_RESOURCES} files at once")
    problems: list[Problem] = []
    for resource_name, xml in resources:
        _, found = validate_for_deploy(xml)
        problems.extend(Problem(f"{resource_name}: {p.message}", p.element_id, p.line) for p in found)
    if problems:
        raise DeploymentRefused(problems)
    with transaction.atomic():
        return [deploy(xml, actor=actor, resource_name=resource_name, name=name) for resource_name, xml in resources]
