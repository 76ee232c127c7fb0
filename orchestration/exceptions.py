"""Domain errors. The API and consoles map each to a clear answer (code + message)."""

from __future__ import annotations

from collections.abc import Iterable

from .bpmn.model import Problem


class DomainError(Exception):
    code = "error"
    status = 400

    def __init__(self, message: str):
        self.message = message
        super().__init__(message)


class NotFound(DomainError):
    code = "not_found"
    status = 404


class InvalidState(DomainError):
    """The object exists but is not in a state that allows the command (a double submit, say)."""

    code = "invalid_state"
    status = 409


class InvalidInput(DomainError):
    code = "invalid_input"
    status = 400


class VariablesTooLarge(InvalidInput):
    code = "variables_too_large"


class DeploymentRefused(DomainError):
    code = "deployment_refused"
    status = 400

    def __init__(self, problems: Iterable[Problem]):
        self.problems = tuple(problems)
        super().__init__("; ".join(str(p) for p in self.problems))


class NoSubscription(DomainError):
    code = "no_subscription"
    status = 404


class AmbiguousCorrelation(DomainError):
    code = "ambiguous_correlation"
    status = 409


class PermissionDenied(DomainError):
    code = "permission_denied"
    status = 403
