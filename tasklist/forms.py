"""Tasklist inputs that are not task forms: inbox filters (from the query string, so a
filter can be bookmarked and saved), saved filters, assignment, dates, comments."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django import forms
from django.utils import timezone

from .queries import SORTS, VIEWS, InboxFilter

FILTER_FIELDS = (
    "view",
    "process",
    "business_key",
    "name",
    "due_after",
    "due_before",
    "follow_up_after",
    "follow_up_before",
    "priority_min",
    "priority_max",
    "variable",
    "sort",
    "columns",
)


class DateInput(forms.DateInput):
    input_type = "date"


class InboxFilterForm(forms.Form):
    view = forms.ChoiceField(required=False, choices=list(VIEWS.items()), label="Show")
    process = forms.CharField(required=False, max_length=255, label="Process")
    business_key = forms.CharField(required=False, max_length=255, label="Business key starts with")
    name = forms.CharField(required=False, max_length=255, label="Task name contains")
    due_after = forms.DateField(required=False, label="Due from", widget=DateInput)
    due_before = forms.DateField(required=False, label="Due until", widget=DateInput)
    follow_up_after = forms.DateField(required=False, label="Follow-up from", widget=DateInput)
    follow_up_before = forms.DateField(required=False, label="Follow-up until", widget=DateInput)
    priority_min = forms.IntegerField(required=False, label="Priority ≥", min_value=-(2**31), max_value=2**31 - 1)
    priority_max = forms.IntegerField(required=False, label="Priority ≤", min_value=-(2**31), max_value=2**31 - 1)
    variable = forms.CharField(required=False, max_length=500, label="Variable", help_text="name=value, e.g. region=EU")
    sort = forms.ChoiceField(required=False, choices=list(SORTS.items()), label="Sort by")
    columns = forms.CharField(
        required=False, max_length=500, label="Columns", help_text="variables shown as columns, comma-separated"
    )

    def __init__(self, *args: Any, masked_check=None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # a callable(name) -> bool: a variable the user may not read cannot be a filter
        self.masked_check = masked_check

    def clean_variable(self) -> tuple[str, str]:
        text = self.cleaned_data["variable"].strip()
        if not text:
            return ("", "")
        name, sep, value = text.partition("=")
        if not sep or not name.strip():
            raise forms.ValidationError("Write name=value.")
        name = name.strip()
        if self.masked_check is not None and self.masked_check(name):
            raise forms.ValidationError(f"'{name}' is a protected variable; it cannot be a filter.")
        return (name, value.strip())

    def clean_columns(self) -> tuple[str, ...]:
        names = [c.strip() for c in self.cleaned_data["columns"].split(",") if c.strip()]
        if len(names) > 8:
            raise forms.ValidationError("At most 8 columns.")
        return tuple(dict.fromkeys(names))

    def to_filter(self) -> InboxFilter:
        data = self.cleaned_data
        name, value = data["variable"]
        return InboxFilter(
            view=data["view"] or "all",
            process=data["process"].strip(),
            business_key=data["business_key"].strip(),
            name=data["name"].strip(),
            due_after=_start_of(data["due_after"]),
            due_before=_end_of(data["due_before"]),
            follow_up_after=_start_of(data["follow_up_after"]),
            follow_up_before=_end_of(data["follow_up_before"]),
            priority_min=data["priority_min"],
            priority_max=data["priority_max"],
            variable_name=name,
            variable_value=value,
            sort=data["sort"] or "due",
            columns=data["columns"],
        )


def _start_of(day: dt.date | None) -> dt.datetime | None:
    if day is None:
        return None
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def _end_of(day: dt.date | None) -> dt.datetime | None:
    if day is None:
        return None
    return timezone.make_aware(dt.datetime.combine(day, dt.time.max))


def criteria_of(data: Mapping[str, Any]) -> dict[str, str]:
    """The filter values of a query string, as saved with a filter (empty ones dropped)."""
    return {name: str(data.get(name)) for name in FILTER_FIELDS if name != "columns" and data.get(name)}


def parse_criteria(criteria: Mapping[str, Any], columns: list[str] | tuple[str, ...] = (), masked_check=None):
    """A saved filter's criteria as an InboxFilter, or None if they no longer validate."""
    data = {name: criteria.get(name, "") for name in FILTER_FIELDS}
    data["columns"] = ",".join(columns)
    form = InboxFilterForm(data, masked_check=masked_check)
    return form.to_filter() if form.is_valid() else None


class SaveFilterForm(forms.Form):
    filter_name = forms.CharField(max_length=100, label="Save this filter as")
    share_with = forms.ChoiceField(required=False, label="Share with group")

    def __init__(self, *args: Any, groups: list[str] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["share_with"].choices = [("", "Only me")] + [(g, g) for g in groups]


class AssignForm(forms.Form):
    assignee = forms.ChoiceField(label="User")

    def __init__(self, *args: Any, users: list[str] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["assignee"].choices = [(u, u) for u in users]


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def format_value(self, value: Any) -> str | None:
        if isinstance(value, dt.datetime):
            return timezone.localtime(value).strftime("%Y-%m-%dT%H:%M")
        return super().format_value(value)


class DatesForm(forms.Form):
    due_date = forms.DateTimeField(required=False, label="Due", widget=DateTimeInput)
    follow_up_date = forms.DateTimeField(required=False, label="Follow-up", widget=DateTimeInput)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        for name in ("due_date", "follow_up_date"):
            value = data.get(name)
            if value is not None and timezone.is_naive(value):
                data[name] = timezone.make_aware(value)
        return data


class CommentForm(forms.Form):
    text = forms.CharField(max_length=4000, label="Comment", widget=forms.Textarea(attrs={"rows": 3}))


class BulkForm(forms.Form):
    task = forms.MultipleChoiceField(required=True)  # choices: the keys on screen
    action = forms.ChoiceField(choices=[("bulk_claim", "Claim"), ("bulk_assign", "Assign")])
    assignee = forms.CharField(required=False, max_length=150)
