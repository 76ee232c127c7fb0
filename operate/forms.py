"""Filters of the Operate lists, read from the query string."""

from __future__ import annotations

from django import forms

from orchestration.selectors import Cursor, InstanceFilter

STATE_CHOICES = [
    ("", "Any state"),
    ("active", "Active"),
    ("incident", "With open incident"),
    ("completed", "Completed"),
    ("cancelled", "Cancelled"),
]


class InstanceFilterForm(forms.Form):
    """Every filter of the instance list lives in the URL, so a search can be shared."""

    q = forms.CharField(required=False, max_length=255, label="Search")
    process = forms.CharField(required=False, max_length=255, label="Process")
    state = forms.ChoiceField(required=False, choices=STATE_CHOICES, label="State")
    business_key = forms.CharField(required=False, max_length=255, label="Business key starts with")
    fingerprint = forms.CharField(required=False, max_length=255, widget=forms.HiddenInput)
    after = forms.CharField(required=False, max_length=200, widget=forms.HiddenInput)

    def clean_after(self) -> Cursor | None:
        text = self.cleaned_data["after"]
        if not text:
            return None
        cursor = Cursor.decode(text)
        if cursor is None:
            raise forms.ValidationError("Not a valid page position.")
        return cursor

    def to_filter(self) -> InstanceFilter:
        data = self.cleaned_data
        return InstanceFilter(
            process=data["process"].strip(),
            state=data["state"],
            business_key=data["business_key"].strip(),
            q=data["q"].strip(),
            fingerprint=data["fingerprint"],
        )
