"""Forms of Operate: the instance list's filters (read from the query string) and the operator actions."""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.contrib.auth.models import Group

from orchestration.instance_search import FilterError, InstanceFilter, parse_filter
from orchestration.models import BatchOperation
from orchestration.selectors import Cursor

STATE_CHOICES = [
    ("", "Any state"),
    ("active", "Active"),
    ("incident", "With open incident"),
    ("suspended", "Suspended"),
    ("completed", "Completed"),
    ("cancelled", "Cancelled"),
]
SORT_CHOICES = [
    ("-started", "Newest started first"),
    ("started", "Oldest started first"),
    ("-ended", "Latest ended first"),
    ("ended", "Earliest ended first"),
    ("business_key", "Business key A→Z"),
    ("-business_key", "Business key Z→A"),
]
VMODE_CHOICES = [("and", "all conditions (AND)"), ("or", "any condition (OR)")]


class _Many(forms.Field):
    """A repeated query-string parameter (``?v=a&v=b``) as a list of non-empty strings."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value: Any) -> list[str]:
        return [str(v).strip() for v in (value or []) if str(v).strip()]


class InstanceFilterForm(forms.Form):
    """Every filter of the instance list lives in the URL, so a search can be shared.

    The fields render and type-check; ``orchestration.instance_search.parse_filter``
    is the one parser (bulk operations use it too), and its errors land on the fields.
    """

    q = forms.CharField(required=False, max_length=255, label="Search")
    process = forms.CharField(required=False, max_length=255, label="Process")
    version = forms.IntegerField(required=False, min_value=1, label="Version")
    state = forms.ChoiceField(required=False, choices=STATE_CHOICES, label="State")
    business_key = forms.CharField(required=False, max_length=255, label="Business key starts with")
    element = forms.CharField(required=False, max_length=255, label="Token waits at element")
    v = _Many(required=False, label="Variable conditions")
    vmode = forms.ChoiceField(required=False, choices=VMODE_CHOICES, label="Match")
    started_from = forms.DateField(required=False, label="Started from")
    started_to = forms.DateField(required=False, label="Started until")
    ended_from = forms.DateField(required=False, label="Ended from")
    ended_to = forms.DateField(required=False, label="Ended until")
    error = forms.CharField(required=False, max_length=255, label="Error message contains")
    parent = forms.UUIDField(required=False, label="Called by instance")
    fingerprint = forms.CharField(required=False, max_length=255, widget=forms.HiddenInput)
    sort = forms.ChoiceField(required=False, choices=SORT_CHOICES, label="Sort")
    after = forms.CharField(required=False, max_length=400, widget=forms.HiddenInput)

    def clean_after(self) -> Cursor | None:
        text = self.cleaned_data["after"]
        if not text:
            return None
        cursor = Cursor.decode(text)
        if cursor is None:
            raise forms.ValidationError("Not a valid page position.")
        return cursor

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        try:
            self.filter = parse_filter(self.data)
        except FilterError as exc:
            for name, problem in exc.errors.items():
                if name not in self.errors:
                    self.add_error(name if name in self.fields else None, problem)
        return data

    def to_filter(self) -> InstanceFilter:
        return self.filter


# ---------------------------------------------------------------------------
# Instance actions
# ---------------------------------------------------------------------------


class JsonField(forms.CharField):
    """JSON text; cleaned to the parsed value. ``object_only`` asks for a {name: value} object."""

    widget = forms.Textarea(attrs={"rows": 3, "spellcheck": "false", "class": "json"})

    def __init__(self, *, object_only: bool = False, **kwargs: Any):
        self.object_only = object_only
        super().__init__(**kwargs)

    def to_python(self, value: Any) -> Any:
        text = super().to_python(value)
        if text in self.empty_values:
            return None
        try:
            parsed = json.loads(text)
        except json.JSONDecodeError as exc:
            raise forms.ValidationError(f"Not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno}).")
        if self.object_only and not isinstance(parsed, dict):
            raise forms.ValidationError('Enter a JSON object of variables, like {"amount": 120}.')
        return parsed

    def validate(self, value: Any) -> None:
        if value is None and self.required:
            raise forms.ValidationError(self.error_messages["required"], code="required")


def _reason(required: bool = True) -> forms.CharField:
    return forms.CharField(
        required=required,
        max_length=500,
        label="Reason" if required else "Reason (optional)",
        widget=forms.TextInput(attrs={"placeholder": "why (kept in the audit log)"}),
    )


class CancelForm(forms.Form):
    reason = _reason()


class SuspendForm(forms.Form):
    reason = _reason(required=False)


class RetryIncidentForm(forms.Form):
    incident = forms.ChoiceField(label="Incident")
    variables = JsonField(required=False, object_only=True, label="Set variables first (JSON object, optional)")

    def __init__(self, *args: Any, incidents: list | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["incident"].choices = [(str(i.key), f"{i.element_id}: {i.message[:80]}") for i in (incidents or [])]


class SetVariableForm(forms.Form):
    name = forms.CharField(max_length=255, label="Variable")
    value = JsonField(label="New value (JSON)")
    reason = _reason()


MODIFY_KINDS = [("move", "Move token from A to B"), ("cancel", "Cancel element A"), ("start_before", "Start before B")]


class ModifyForm(forms.Form):
    kind = forms.ChoiceField(choices=MODIFY_KINDS, label="Modification")
    source = forms.ChoiceField(required=False, label="Element A (where a token is)")
    target = forms.ChoiceField(required=False, label="Element B")
    reason = _reason()

    def __init__(
        self, *args: Any, active: list[str] | None = None, elements: list[tuple[str, str]] | None = None, **kwargs
    ):
        super().__init__(*args, **kwargs)
        self.fields["source"].choices = [("", "—")] + [(e, e) for e in (active or [])]
        self.fields["target"].choices = [("", "—")] + list(elements or [])

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        kind, source, target = data.get("kind"), data.get("source"), data.get("target")
        if kind in ("move", "cancel") and not source:
            self.add_error("source", "Choose the element whose token to take.")
        if kind in ("move", "start_before") and not target:
            self.add_error("target", "Choose the element to start before.")
        return data

    def instructions(self) -> list[dict[str, Any]]:
        data = self.cleaned_data
        if data["kind"] == "move":
            return [{"kind": "move", "element_id": data["source"], "target_element_id": data["target"]}]
        if data["kind"] == "cancel":
            return [{"kind": "cancel", "element_id": data["source"]}]
        return [{"kind": "start_before", "element_id": data["target"]}]


class MigrateForm(forms.Form):
    target = forms.ChoiceField(label="Target version")

    def __init__(self, *args: Any, targets: list | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["target"].choices = [(str(d.key), f"v{d.version}") for d in (targets or [])]


# ---------------------------------------------------------------------------
# Bulk operations, saved views, CSV
# ---------------------------------------------------------------------------

BULK_KINDS = [(value, label) for value, label in BatchOperation.Kind.choices]
REASON_REQUIRED = ("cancel", "set_variables", "modify")
# modify: a fixed number of instruction rows, plain fields (no JavaScript needed to add one)
MODIFY_ROWS = 3
BULK_MODIFY_OPS = [
    ("move", "Move tokens from A to B"),
    ("cancel", "Cancel the tokens in A"),
    ("start_before", "Start a token before B"),
    ("start_after", "Start a token after B"),
]


class BatchForm(forms.Form):
    """The bulk form: one action for the selection, its reason and params.

    Modify adds MODIFY_ROWS instruction rows (``op_N``, ``from_N``, ``to_N``,
    ``variables_N``) whose element choices come from the pinned version's model:
    ``sources`` (elements a token can wait at) and ``starts`` (elements a token
    can be started at).
    """

    kind = forms.ChoiceField(choices=BULK_KINDS, label="Action")
    reason = _reason(required=False)
    variables = JsonField(required=False, object_only=True, label="Variables (JSON object)")
    target = forms.ChoiceField(required=False, label="Target version (migrate)")

    def __init__(
        self,
        *args: Any,
        targets: list | None = None,
        sources: list[tuple[str, str]] | None = None,
        starts: list[tuple[str, str]] | None = None,
        kind: str = "",
        **kwargs: Any,
    ):
        super().__init__(*args, **kwargs)
        if kind in REASON_REQUIRED:
            self.fields["reason"].label = "Reason"
            self.fields["reason"].widget.attrs["required"] = True
        self.fields["target"].choices = [("", "—")] + [
            (str(d.key), f"{d.bpmn_process_id} v{d.version}") for d in (targets or [])
        ]
        for n in range(1, MODIFY_ROWS + 1):
            self.fields[f"op_{n}"] = forms.ChoiceField(
                required=False, choices=[("", "—")] + BULK_MODIFY_OPS, label=f"Instruction {n}"
            )
            self.fields[f"from_{n}"] = forms.ChoiceField(
                required=False, choices=[("", "—")] + list(sources or []), label="A: where tokens are"
            )
            self.fields[f"to_{n}"] = forms.ChoiceField(
                required=False, choices=[("", "—")] + list(starts or []), label="B: where a token starts"
            )
            self.fields[f"variables_{n}"] = JsonField(
                required=False,
                object_only=True,
                label="Variables for the started token (JSON object, optional)",
                widget=forms.TextInput(
                    attrs={"spellcheck": "false", "class": "json", "placeholder": 'e.g. {"retry": true}'}
                ),
            )

    def modify_rows(self) -> list[dict[str, Any]]:
        """The instruction rows' bound fields, for the template."""
        return [
            {"number": n, "fields": [self[f"{name}_{n}"] for name in ("op", "from", "to", "variables")]}
            for n in range(1, MODIFY_ROWS + 1)
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        kind = data.get("kind")
        if kind in REASON_REQUIRED and not data.get("reason"):
            self.add_error("reason", "A reason is required for this action.")
        if kind == "set_variables" and not data.get("variables"):
            self.add_error("variables", "Enter the variables to set.")
        if kind == "migrate" and not data.get("target"):
            self.add_error("target", "Choose the version to migrate to.")
        if kind == "modify":
            self._clean_instructions(data)
        return data

    def _clean_instructions(self, data: dict[str, Any]) -> None:
        used = 0
        for n in range(1, MODIFY_ROWS + 1):
            op = data.get(f"op_{n}")
            if not op:
                continue
            used += 1
            if op in ("move", "cancel") and not data.get(f"from_{n}"):
                self.add_error(f"from_{n}", "Choose the element whose tokens to take (A).")
            if op != "cancel" and not data.get(f"to_{n}"):
                self.add_error(f"to_{n}", "Choose the element to start at (B).")
            if op == "cancel" and data.get(f"variables_{n}"):
                self.add_error(f"variables_{n}", "Cancel starts no token: leave the variables empty.")
        if not used and "op_1" not in self.errors:
            self.add_error("op_1", "Choose at least one instruction.")

    def instructions(self) -> list[dict[str, Any]]:
        data = self.cleaned_data
        rows = []
        for n in range(1, MODIFY_ROWS + 1):
            op = data.get(f"op_{n}")
            if not op:
                continue
            row: dict[str, Any] = {"op": op}
            if op == "move":
                row.update({"from": data[f"from_{n}"], "to": data[f"to_{n}"]})
            else:
                row["element"] = data[f"from_{n}"] if op == "cancel" else data[f"to_{n}"]
            if data.get(f"variables_{n}"):
                row["variables"] = data[f"variables_{n}"]
            rows.append(row)
        return rows

    def params(self) -> dict[str, Any]:
        data = self.cleaned_data
        params: dict[str, Any] = {}
        if data.get("variables"):
            params["variables"] = data["variables"]
        if data["kind"] == "migrate":
            params["target_definition"] = data["target"]
        if data["kind"] == "modify":
            params["instructions"] = self.instructions()
        return params


class SavedViewForm(forms.Form):
    name = forms.CharField(max_length=100, label="Name")
    query = forms.CharField(required=False, max_length=4000, widget=forms.HiddenInput)
    shared_with_group = forms.ModelChoiceField(
        queryset=Group.objects.order_by("name"), required=False, label="Share with group", empty_label="only me"
    )


CSV_COLUMNS = [
    ("key", "Instance key"),
    ("business_key", "Business key"),
    ("process", "Process"),
    ("version", "Version"),
    ("state", "State"),
    ("incidents", "Open incidents"),
    ("started_at", "Started"),
    ("ended_at", "Ended"),
    ("parent", "Parent key"),
]
DEFAULT_CSV_COLUMNS = ["key", "business_key", "process", "version", "state", "started_at", "ended_at"]


class CsvExportForm(forms.Form):
    col = forms.MultipleChoiceField(
        required=False, choices=CSV_COLUMNS, widget=forms.CheckboxSelectMultiple, label="Columns"
    )
    variables = forms.CharField(required=False, max_length=1000, label="Variables (comma separated names)")

    def columns(self) -> list[str]:
        return self.cleaned_data.get("col") or DEFAULT_CSV_COLUMNS

    def variable_names(self) -> list[str]:
        names = [n.strip() for n in (self.cleaned_data.get("variables") or "").split(",")]
        return list(dict.fromkeys(n for n in names if n))[:50]


# ---------------------------------------------------------------------------
# Processes: deploy a BPMN file; instance page: "state as of"
# ---------------------------------------------------------------------------


class DeployForm(forms.Form):
    """One BPMN file. Its size is checked here (before reading it); everything else
    (malformed XML, DTDs/entities, unsupported elements) is the parser's and validator's."""

    file = forms.FileField(label="BPMN file", widget=forms.ClearableFileInput(attrs={"accept": ".bpmn,.xml"}))

    def __init__(self, *args: Any, max_bytes: int, **kwargs: Any):
        self.max_bytes = max_bytes
        super().__init__(*args, **kwargs)

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size > self.max_bytes:
            raise forms.ValidationError(
                f"The file is {upload.size:,} bytes; the limit is {self.max_bytes:,} bytes. Nothing was deployed."
            )
        return upload

    def xml(self) -> bytes:
        upload = self.cleaned_data["file"]
        upload.seek(0)
        return upload.read(self.max_bytes + 1)


class AsOfForm(forms.Form):
    """``?as_of=<ISO datetime>``: a naive time is read in the site's time zone."""

    as_of = forms.DateTimeField(
        required=False,
        label="State as of",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local", "step": "1"}, format="%Y-%m-%dT%H:%M:%S"),
    )
