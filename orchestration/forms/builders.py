"""Form definitions -> fields: Camunda 7 formData, Camunda 8 (Camunda Forms) schemas, and
a generic editor for a task's variables when it has no form.

Camunda 7 (``{"flavour": "camunda7", "fields": [...]}``, see ``engine.mechanics.waits.form_of``):
types string, long, boolean, date, enum (other types are text); constraints required,
minlength, maxlength, min, max, readonly and pattern (not a Camunda built-in; accepted).
Custom ``validator`` constraints are ignored (no Java). Dates are written as ISO
``YYYY-MM-DD``; Camunda's ``dd/MM/yyyy`` is accepted as input.

Camunda 8 (``{"flavour": "camunda8", "schema": {...}}``): components textfield,
textarea, number, checkbox, checklist, taglist (as a checklist), select, radio, datetime
(subtype date, time or datetime), text (shown), group (flattened); ``validate.required,
min, max, minLength, maxLength, pattern`` and ``validationType`` email. Not supported:
conditional visibility (FEEL ``conditional.hide``), expressions in labels, dynamic lists,
``valuesExpression``, dotted ``key`` paths (written as a flat variable of that name).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .fields import Field, Option, parse_date, parse_number

EMAIL_PATTERN = r"[^@\s]+@[^@\s]+\.[^@\s]+"


@dataclass
class TaskForm:
    """The fields of one form, bound to submitted data by ``validate``."""

    flavour: str  # camunda7, camunda8, generic
    fields: list[Field]
    notes: list[str] = field(default_factory=list)  # what could not be shown
    new_variable: bool = False  # generic: offer one more name + JSON value
    error: str = ""  # form-level

    @property
    def has_errors(self) -> bool:
        return bool(self.error) or any(f.error for f in self.fields)

    def validate(self, data: Any) -> dict[str, Any] | None:
        """Typed variables to write, or None when a field (or the form) has an error.

        Empty optional fields are left out; read-only and display fields never write.
        The generic editor writes only the variables that changed.
        """
        values: dict[str, Any] = {}
        for f in self.fields:
            f.error = ""
            if not f.editable:
                continue
            value = f.bind(data)
            if f.error:
                continue
            if self.flavour == "generic":
                if f.raw is not None and f.raw.strip() and (f.masked or value != f.value):
                    values[f.name] = value
                continue
            if value is None:
                continue
            values[f.name] = value
        if self.new_variable:
            self._bind_new_variable(data, values)
        return None if self.has_errors else values

    def _bind_new_variable(self, data: Any, values: dict[str, Any]) -> None:
        name = (data.get("new-name") or "").strip()
        text = (data.get("new-value") or "").strip()
        if not name and not text:
            return
        extra = Field(name=name or "new", label="New variable", kind="json")
        if not name:
            self.error = "A new variable needs a name."
            return
        if len(name) > 255:
            self.error = "A variable name has at most 255 characters."
            return
        value = extra.bind(_Single(extra.html_name, text))
        if extra.error:
            self.error = f"New variable '{name}': {extra.error}"
            return
        values[name] = value


class _Single:
    """A one-value stand-in for a QueryDict."""

    def __init__(self, name: str, value: str) -> None:
        self.name, self.value = name, value

    def get(self, name: str, default: Any = None) -> Any:
        return self.value if name == self.name else default

    def getlist(self, name: str) -> list[str]:
        return [self.value] if name == self.name else []


def build_form(
    definition: Mapping[str, Any] | None,
    variables: Mapping[str, Any],
    *,
    masked: frozenset[str] = frozenset(),
) -> TaskForm:
    """The form for a task (or a start event): its definition, or the generic editor."""
    flavour = (definition or {}).get("flavour")
    if flavour == "camunda7" and (definition or {}).get("fields"):
        return camunda7_form(definition["fields"], variables, masked=masked)
    if flavour == "camunda8" and isinstance((definition or {}).get("schema"), Mapping):
        return camunda8_form(definition["schema"], variables, masked=masked)
    return generic_form(variables, masked=masked)


def _prefill(f: Field, variables: Mapping[str, Any], masked: frozenset[str], default: Any) -> Field:
    if f.name in masked:
        f.masked = True
        return f
    f.value = variables[f.name] if f.name in variables else default
    return f


# -- Camunda 7 -------------------------------------------------------------------------

_C7_KINDS = {"string": "text", "long": "integer", "boolean": "checkbox", "date": "date", "enum": "select"}


def _c7_default(kind: str, text: str | None) -> Any:
    if text in (None, ""):
        return None
    try:
        if kind == "integer":
            return parse_number(text, integer=True)
        if kind == "checkbox":
            return text.strip().lower() == "true"
        if kind == "date":
            return parse_date(text.strip())
    except ValueError:
        return None
    return text


def camunda7_form(fields: list[Mapping[str, Any]], variables: Mapping[str, Any], *, masked: frozenset[str]) -> TaskForm:
    form = TaskForm(flavour="camunda7", fields=[])
    for spec in fields:
        name = str(spec.get("id") or "")
        if not name:
            continue
        kind = _C7_KINDS.get(str(spec.get("type") or "string"), "text")
        f = Field(name=name, label=str(spec.get("label") or name), kind=kind)
        f.options = [
            Option(value=str(v.get("id")), label=str(v.get("name") or v.get("id"))) for v in spec.get("values") or []
        ]
        for constraint in spec.get("validation") or []:
            _c7_constraint(f, str(constraint.get("name") or ""), constraint.get("config"), form)
        _prefill(f, variables, masked, _c7_default(kind, spec.get("defaultValue")))
        form.fields.append(f)
    return form


def _c7_constraint(f: Field, name: str, config: Any, form: TaskForm) -> None:
    try:
        if name == "required":
            f.required = True
        elif name == "readonly":
            f.readonly = True
        elif name == "minlength":
            f.min_length = int(config)
        elif name == "maxlength":
            f.max_length = int(config)
        elif name == "min":
            f.minimum = float(config)
        elif name == "max":
            f.maximum = float(config)
        elif name == "pattern":
            f.pattern = str(config)
        else:
            form.notes.append(f"Field '{f.name}': constraint '{name}' is not checked here.")
    except (TypeError, ValueError):
        form.notes.append(f"Field '{f.name}': constraint '{name}' has an unusable value {config!r}.")


# -- Camunda 8 / Camunda Forms ----------------------------------------------------------

_C8_KINDS = {
    "textfield": "text",
    "textarea": "textarea",
    "number": "number",
    "checkbox": "checkbox",
    "checklist": "checklist",
    "taglist": "checklist",
    "select": "select",
    "radio": "radio",
}


def camunda8_form(schema: Mapping[str, Any], variables: Mapping[str, Any], *, masked: frozenset[str]) -> TaskForm:
    form = TaskForm(flavour="camunda8", fields=[])
    _c8_components(schema.get("components") or [], variables, masked, form)
    return form


def _c8_components(components: list[Any], variables: Mapping[str, Any], masked: frozenset[str], form: TaskForm) -> None:
    for component in components:
        if not isinstance(component, Mapping):
            continue
        kind = str(component.get("type") or "")
        if kind == "group":
            _c8_components(component.get("components") or [], variables, masked, form)
            continue
        if kind == "text":
            text = str(component.get("text") or "")
            form.fields.append(Field(name=f"_text{len(form.fields)}", label="", kind="display", description=text))
            continue
        if kind in ("button", "separator", "spacer", "image", "html", "iframe"):
            continue
        name = str(component.get("key") or "")
        if kind == "datetime":
            f = _c8_datetime(component, name)
        elif kind in _C8_KINDS and name:
            f = Field(name=name, label=str(component.get("label") or name), kind=_C8_KINDS[kind])
        else:
            form.notes.append(f"A '{kind or 'untyped'}' component is not supported and is not shown.")
            continue
        f.description = str(component.get("description") or "")
        f.readonly = bool(component.get("readonly") or component.get("disabled"))
        _c8_validation(f, component.get("validate") or {}, form)
        if kind == "number":
            digits = component.get("decimalDigits")
            f.integer = digits == 0
        _c8_options(f, component, variables)
        _prefill(f, variables, masked, component.get("defaultValue"))
        form.fields.append(f)


def _c8_datetime(component: Mapping[str, Any], name: str) -> Field:
    subtype = component.get("subtype") or "date"
    kind = {"date": "date", "time": "time", "datetime": "datetime"}.get(subtype, "date")
    label = component.get("label") or component.get("dateLabel") or component.get("timeLabel") or name
    return Field(name=name, label=str(label), kind=kind)


def _c8_validation(f: Field, validate: Mapping[str, Any], form: TaskForm) -> None:
    f.required = bool(validate.get("required"))
    for key, attribute, convert in (
        ("min", "minimum", float),
        ("max", "maximum", float),
        ("minLength", "min_length", int),
        ("maxLength", "max_length", int),
    ):
        if validate.get(key) not in (None, ""):
            try:
                setattr(f, attribute, convert(validate[key]))
            except (TypeError, ValueError):
                form.notes.append(f"Field '{f.name}': validate.{key} is not a number.")
    if validate.get("pattern"):
        f.pattern = str(validate["pattern"])
    if validate.get("validationType") == "email":
        f.pattern = f.pattern or EMAIL_PATTERN


def _c8_options(f: Field, component: Mapping[str, Any], variables: Mapping[str, Any]) -> None:
    values = component.get("values")
    if values is None and component.get("valuesKey"):
        values = variables.get(str(component["valuesKey"]))
    for value in values or []:
        if isinstance(value, Mapping):
            f.options.append(Option(value=value.get("value"), label=str(value.get("label", value.get("value")))))
        else:
            f.options.append(Option(value=value, label=str(value)))


# -- generic editor --------------------------------------------------------------------


def generic_form(variables: Mapping[str, Any], *, masked: frozenset[str]) -> TaskForm:
    """One JSON text area per variable (masked ones start empty: type a value to replace it),
    and one more for a new variable."""
    form = TaskForm(flavour="generic", fields=[], new_variable=True)
    for name in sorted(variables):
        f = Field(name=name, label=name, kind="json")
        _prefill(f, variables, masked, None)
        form.fields.append(f)
    return form
