"""One form field: what it shows, how it validates, and the typed value it writes.

A field is built from a form definition (``camunda7`` or ``camunda8``) or from a
variable (``generic``), then bound to submitted data. No Django forms: the
definitions carry their own constraints, and the output must be typed JSON values
(int, float, bool, ISO date strings), not Python objects.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass, field
from typing import Any

from ..feel.errors import FeelError
from ..feel.limits import DEFAULT_LIMITS
from ..feel.regex import InvalidPattern, compile_pattern

# what a field is on screen; each maps to one input in templates/tasklist/_form.html
KINDS = (
    "text",
    "textarea",
    "integer",
    "number",
    "checkbox",
    "checklist",
    "select",
    "radio",
    "date",
    "datetime",
    "time",
    "json",
    "display",
)

MAX_TEXT = 10_000


@dataclass
class Option:
    value: Any
    label: str

    @property
    def text(self) -> str:
        """The value as the HTML form sends it back."""
        return _as_text(self.value)


@dataclass
class Field:
    name: str
    label: str
    kind: str
    required: bool = False
    readonly: bool = False
    options: list[Option] = field(default_factory=list)
    minimum: float | None = None
    maximum: float | None = None
    min_length: int | None = None
    max_length: int | None = None
    pattern: str | None = None
    integer: bool = False  # a number without decimals is written as int
    description: str = ""
    value: Any = None  # the typed initial value
    masked: bool = False  # the user may not read the variable: no prefill
    error: str = ""
    raw: str | list[str] | None = None  # what was submitted, shown again after an error

    @property
    def html_name(self) -> str:
        return f"f-{self.name}"

    @property
    def input_id(self) -> str:
        return "field-" + re.sub(r"[^A-Za-z0-9_-]", "_", self.name)

    @property
    def display(self) -> str | list[str]:
        """The current text of the input: what was submitted, else the initial value."""
        if self.raw is not None:
            return self.raw
        if self.masked or self.value is None:
            return [] if self.kind == "checklist" else ""
        if self.kind == "checklist":
            return [_as_text(v) for v in self.value] if isinstance(self.value, list) else []
        if self.kind == "json":
            return json.dumps(self.value, indent=2, ensure_ascii=False)
        if self.kind == "datetime":
            return _datetime_input(self.value)
        return _as_text(self.value)

    @property
    def checked(self) -> bool:
        if self.raw is not None:
            return self.raw == "on"
        return self.value is True

    @property
    def editable(self) -> bool:
        return not self.readonly and self.kind != "display"

    # -- validation ---------------------------------------------------------------

    def bind(self, data: Any) -> Any:
        """Read this field from submitted data (a QueryDict); sets ``error`` and returns
        the typed value, or None when empty."""
        if self.kind == "checklist":
            self.raw = [v for v in data.getlist(self.html_name) if v]
            chosen = [o.value for o in self.options if o.text in self.raw]
            if len(chosen) != len(self.raw):
                self.error = "Choose from the listed values."
            elif self.required and not chosen:
                self.error = "Choose at least one."
            return chosen
        if self.kind == "checkbox":
            self.raw = "on" if data.get(self.html_name) else ""
            if self.required and not self.raw:
                self.error = "This box must be checked."
            return bool(self.raw)
        text = (data.get(self.html_name) or "").strip() if self.kind != "json" else data.get(self.html_name) or ""
        self.raw = text
        if len(text) > MAX_TEXT:
            self.error = f"At most {MAX_TEXT} characters."
            return None
        if not text.strip():
            if self.required:
                self.error = "This field is required."
            return None
        try:
            value = _PARSERS[self.kind](self, text)
        except ValueError as exc:
            self.error = str(exc)
            return None
        self.error = self._check(value, text)
        return value

    def _check(self, value: Any, text: str) -> str:
        if self.min_length is not None and len(text) < self.min_length:
            return f"At least {self.min_length} characters."
        if self.max_length is not None and len(text) > self.max_length:
            return f"At most {self.max_length} characters."
        if self.minimum is not None and isinstance(value, int | float) and value < self.minimum:
            return f"Must be at least {_number_text(self.minimum)}."
        if self.maximum is not None and isinstance(value, int | float) and value > self.maximum:
            return f"Must be at most {_number_text(self.maximum)}."
        if self.pattern and isinstance(value, str) and not _matches(self.pattern, value):
            return "Does not have the expected format."
        return ""


def _as_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, int | float):
        return str(value)
    return json.dumps(value, ensure_ascii=False)


def _number_text(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def _datetime_input(value: Any) -> str:
    """An ISO date-time as a datetime-local input wants it (UTC, minutes)."""
    try:
        moment = dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return str(value)
    if moment.tzinfo is not None:
        moment = moment.astimezone(dt.UTC)
    return moment.strftime("%Y-%m-%dT%H:%M")


def _matches(pattern: str, value: str) -> bool:
    """A guarded fullmatch (the FEEL regex limits); a refused pattern matches nothing."""
    try:
        compiled = compile_pattern(pattern, None, DEFAULT_LIMITS)
    except (InvalidPattern, FeelError):
        return False
    return compiled.fullmatch(value) is not None


def parse_number(text: str, *, integer: bool = False) -> int | float:
    if re.fullmatch(r"[+-]?\d+", text):
        return int(text)
    if integer:
        raise ValueError("Enter a whole number.")
    if not re.fullmatch(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?", text):
        raise ValueError("Enter a number.")
    value = float(text)
    if value != value or value in (float("inf"), float("-inf")):
        raise ValueError("Enter a number.")
    return int(value) if value.is_integer() and "." not in text and "e" not in text.lower() else value


def parse_date(text: str) -> str:
    """ISO yyyy-mm-dd (what a date input sends) or Camunda 7's dd/MM/yyyy -> ISO date."""
    for fmt in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return dt.datetime.strptime(text, fmt).date().isoformat()
        except ValueError:
            continue
    raise ValueError("Enter a date as YYYY-MM-DD.")


def parse_datetime(text: str) -> str:
    """A datetime-local value (read as UTC) or an ISO date-time -> ISO 8601 with offset."""
    try:
        moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError("Enter a date and time as YYYY-MM-DD HH:MM.") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.isoformat()


def parse_time(text: str) -> str:
    try:
        return dt.time.fromisoformat(text).isoformat(timespec="minutes")
    except ValueError:
        raise ValueError("Enter a time as HH:MM.") from None


def _choice(f: Field, text: str) -> Any:
    for option in f.options:
        if option.text == text:
            return option.value
    raise ValueError("Choose one of the listed values.")


def _json(f: Field, text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError as exc:
        raise ValueError(f"Not valid JSON: {exc}") from None


_PARSERS = {
    "text": lambda f, t: t,
    "textarea": lambda f, t: t,
    "integer": lambda f, t: parse_number(t, integer=True),
    "number": lambda f, t: parse_number(t, integer=f.integer),
    "select": _choice,
    "radio": _choice,
    "date": lambda f, t: parse_date(t),
    "datetime": lambda f, t: parse_datetime(t),
    "time": lambda f, t: parse_time(t),
    "json": _json,
    "display": lambda f, t: None,
}
