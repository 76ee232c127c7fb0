from __future__ import annotations


class EngineIncident(Exception):
    """An expected failure while running an element: becomes an incident, never a crash."""

    def __init__(self, type: str, message: str, details: str = ""):
        self.type = type
        self.message = message
        self.details = details
        super().__init__(message)


class UnsupportedElement(Exception):
    pass
