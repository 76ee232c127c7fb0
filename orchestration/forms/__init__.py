"""Forms for human work: generated from a task's (or start event's) form definition,
validated on the server, producing typed variables. See builders.py for what each
flavour supports."""

from __future__ import annotations

from .builders import TaskForm, build_form, camunda7_form, camunda8_form, generic_form
from .fields import Field, Option
from .start import start_form_of

__all__ = [
    "Field",
    "Option",
    "TaskForm",
    "build_form",
    "camunda7_form",
    "camunda8_form",
    "generic_form",
    "start_form_of",
]
