"""Form generation and validation for both flavours, and the typed variables they write."""

from __future__ import annotations

import pytest
from django.http import QueryDict

from orchestration.forms import build_form, start_form_of

C7_FIELDS = [
    {
        "id": "amount",
        "label": "Amount",
        "type": "long",
        "validation": [{"name": "required"}, {"name": "min", "config": "1"}, {"name": "max", "config": "5000"}],
    },
    {"id": "approved", "label": "Approved", "type": "boolean"},
    {"id": "shipBy", "label": "Ship by", "type": "date"},
    {
        "id": "channel",
        "label": "Channel",
        "type": "enum",
        "defaultValue": "mail",
        "values": [{"id": "mail", "name": "Mail"}, {"id": "courier", "name": "Courier"}],
    },
    {
        "id": "note",
        "label": "Note",
        "type": "string",
        "validation": [{"name": "minlength", "config": "2"}, {"name": "maxlength", "config": "5"}],
    },
    {"id": "ref", "label": "Reference", "type": "string", "defaultValue": "R-1", "validation": [{"name": "readonly"}]},
    {"id": "code", "label": "Code", "type": "string", "validation": [{"name": "pattern", "config": "[A-Z]{3}"}]},
]
C7 = {"flavour": "camunda7", "fields": C7_FIELDS}


def post(**values) -> QueryDict:
    data = QueryDict(mutable=True)
    for name, value in values.items():
        key = name if name.startswith("new-") else f"f-{name}"
        if isinstance(value, list):
            data.setlist(key, value)
        else:
            data[key] = value
    return data


def errors(form) -> dict[str, str]:
    return {f.name: f.error for f in form.fields if f.error}


# -- Camunda 7 ---------------------------------------------------------------------------


def test_camunda7_fields_map_to_inputs_with_their_constraints():
    form = build_form(C7, {})
    kinds = {f.name: f.kind for f in form.fields}
    assert kinds == {
        "amount": "integer",
        "approved": "checkbox",
        "shipBy": "date",
        "channel": "select",
        "note": "text",
        "ref": "text",
        "code": "text",
    }
    amount = form.fields[0]
    assert (amount.required, amount.minimum, amount.maximum) == (True, 1, 5000)
    assert [o.label for o in form.fields[3].options] == ["Mail", "Courier"]
    assert form.fields[5].readonly


def test_camunda7_values_come_from_variables_before_the_default_value():
    form = build_form(C7, {"amount": 250, "channel": "courier"})
    values = {f.name: f.display for f in form.fields}
    assert values["amount"] == "250"
    assert values["channel"] == "courier"
    assert values["ref"] == "R-1"


def test_camunda7_form_writes_typed_variables():
    form = build_form(C7, {})
    values = form.validate(
        post(amount="42", approved="on", shipBy="2030-05-01", channel="courier", note="ok", code="ABC")
    )
    assert values == {
        "amount": 42,
        "approved": True,
        "shipBy": "2030-05-01",
        "channel": "courier",
        "note": "ok",
        "code": "ABC",
    }
    assert type(values["amount"]) is int


def test_camunda7_unchecked_boolean_is_false_and_camunda_date_format_is_accepted():
    values = build_form(C7, {}).validate(post(amount="1", shipBy="31/12/2030"))
    assert values["approved"] is False
    assert values["shipBy"] == "2030-12-31"


def test_readonly_fields_are_never_written_even_when_posted():
    values = build_form(C7, {}).validate(post(amount="1", ref="forged"))
    assert "ref" not in values


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({}, "amount", "This field is required."),
        ({"amount": "abc"}, "amount", "Enter a whole number."),
        ({"amount": "1.5"}, "amount", "Enter a whole number."),
        ({"amount": "0"}, "amount", "Must be at least 1."),
        ({"amount": "5001"}, "amount", "Must be at most 5000."),
        ({"amount": "1", "note": "x"}, "note", "At least 2 characters."),
        ({"amount": "1", "note": "toolong"}, "note", "At most 5 characters."),
        ({"amount": "1", "channel": "pigeon"}, "channel", "Choose one of the listed values."),
        ({"amount": "1", "shipBy": "next week"}, "shipBy", "Enter a date as YYYY-MM-DD."),
        ({"amount": "1", "code": "abc"}, "code", "Does not have the expected format."),
    ],
)
def test_camunda7_validation_errors_name_the_field(data, field, message):
    form = build_form(C7, {})
    assert form.validate(post(**data)) is None
    assert errors(form)[field] == message


def test_a_submitted_value_is_shown_again_after_an_error():
    form = build_form(C7, {"amount": 5})
    form.validate(post(amount="99999", note="hey"))
    shown = {f.name: f.display for f in form.fields}
    assert shown["amount"] == "99999"
    assert shown["note"] == "hey"


def test_a_masked_variable_is_not_prefilled():
    form = build_form(C7, {"amount": 250}, masked=frozenset({"amount"}))
    amount = form.fields[0]
    assert amount.masked
    assert amount.display == ""


def test_a_catastrophic_pattern_is_refused_instead_of_hanging():
    fields = [{"id": "x", "type": "string", "validation": [{"name": "pattern", "config": "(a+)+$"}]}]
    form = build_form({"flavour": "camunda7", "fields": fields}, {})
    assert form.validate(post(x="a" * 40 + "!")) is None
    assert errors(form) == {"x": "Does not have the expected format."}


# -- Camunda 8 / Camunda Forms -------------------------------------------------------------

C8 = {
    "flavour": "camunda8",
    "schema": {
        "type": "default",
        "components": [
            {"type": "text", "text": "Please check the claim."},
            {
                "type": "textfield",
                "key": "name",
                "label": "Name",
                "validate": {"required": True, "minLength": 2, "maxLength": 10},
            },
            {"type": "textfield", "key": "email", "label": "E-mail", "validate": {"validationType": "email"}},
            {"type": "textfield", "key": "zip", "label": "ZIP", "validate": {"pattern": "[0-9]{5}"}},
            {"type": "textarea", "key": "remarks", "label": "Remarks"},
            {"type": "number", "key": "score", "label": "Score", "validate": {"min": 0, "max": 10}, "decimalDigits": 0},
            {"type": "number", "key": "rate", "label": "Rate"},
            {"type": "checkbox", "key": "urgent", "label": "Urgent"},
            {
                "type": "select",
                "key": "tier",
                "label": "Tier",
                "values": [{"label": "Gold", "value": "gold"}, {"label": "Silver", "value": "silver"}],
            },
            {
                "type": "radio",
                "key": "size",
                "label": "Size",
                "values": [{"label": "Small", "value": 1}, {"label": "Large", "value": 2}],
            },
            {
                "type": "checklist",
                "key": "tags",
                "label": "Tags",
                "values": [{"label": "A", "value": "a"}, {"label": "B", "value": "b"}],
            },
            {"type": "select", "key": "region", "label": "Region", "valuesKey": "regions"},
            {"type": "datetime", "key": "day", "subtype": "date", "dateLabel": "Day"},
            {"type": "datetime", "key": "at", "subtype": "datetime", "label": "At"},
            {
                "type": "group",
                "label": "Address",
                "components": [{"type": "textfield", "key": "city", "label": "City", "defaultValue": "Berlin"}],
            },
            {"type": "button", "action": "submit", "label": "Submit"},
            {"type": "dynamiclist", "key": "items"},
        ],
    },
}


def test_camunda8_components_map_to_inputs():
    form = build_form(C8, {"regions": ["EU", "US"]})
    kinds = {f.name: f.kind for f in form.fields if f.kind != "display"}
    assert kinds == {
        "name": "text",
        "email": "text",
        "zip": "text",
        "remarks": "textarea",
        "score": "number",
        "rate": "number",
        "urgent": "checkbox",
        "tier": "select",
        "size": "radio",
        "tags": "checklist",
        "region": "select",
        "day": "date",
        "at": "datetime",
        "city": "text",
    }
    assert form.fields[0].kind == "display"
    assert [o.value for o in next(f for f in form.fields if f.name == "region").options] == ["EU", "US"]
    assert form.notes == ["A 'dynamiclist' component is not supported and is not shown."]


def test_camunda8_defaults_come_from_variables_by_key_then_default_value():
    form = build_form(C8, {"name": "Zoe", "score": 7})
    shown = {f.name: f.display for f in form.fields}
    assert shown["name"] == "Zoe"
    assert shown["score"] == "7"
    assert shown["city"] == "Berlin"


def test_camunda8_form_writes_typed_variables():
    form = build_form(C8, {"regions": ["EU", "US"]})
    values = form.validate(
        post(
            name="Zoe",
            email="zoe@example.com",
            zip="12345",
            score="7",
            rate="1.25",
            urgent="on",
            tier="gold",
            size="2",
            tags=["a", "b"],
            region="EU",
            day="2030-01-02",
            at="2030-01-02T10:30",
            city="Paris",
        )
    )
    assert values == {
        "name": "Zoe",
        "email": "zoe@example.com",
        "zip": "12345",
        "score": 7,
        "rate": 1.25,
        "urgent": True,
        "tier": "gold",
        "size": 2,
        "tags": ["a", "b"],
        "region": "EU",
        "day": "2030-01-02",
        "at": "2030-01-02T10:30:00+00:00",
        "city": "Paris",
    }
    assert type(values["score"]) is int and type(values["rate"]) is float


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({}, "name", "This field is required."),
        ({"name": "Z"}, "name", "At least 2 characters."),
        ({"name": "Zoe Zoe Zoe Zoe"}, "name", "At most 10 characters."),
        ({"name": "Zoe", "email": "nope"}, "email", "Does not have the expected format."),
        ({"name": "Zoe", "zip": "1234"}, "zip", "Does not have the expected format."),
        ({"name": "Zoe", "score": "11"}, "score", "Must be at most 10."),
        ({"name": "Zoe", "score": "-1"}, "score", "Must be at least 0."),
        ({"name": "Zoe", "score": "2.5"}, "score", "Enter a whole number."),
        ({"name": "Zoe", "rate": "fast"}, "rate", "Enter a number."),
        ({"name": "Zoe", "tier": "bronze"}, "tier", "Choose one of the listed values."),
        ({"name": "Zoe", "tags": ["c"]}, "tags", "Choose from the listed values."),
        ({"name": "Zoe", "at": "soon"}, "at", "Enter a date and time as YYYY-MM-DD HH:MM."),
    ],
)
def test_camunda8_validation_errors_name_the_field(data, field, message):
    form = build_form(C8, {})
    assert form.validate(post(**data)) is None
    assert errors(form)[field] == message


def test_camunda8_required_checkbox_must_be_checked():
    schema = {"components": [{"type": "checkbox", "key": "agree", "label": "I agree", "validate": {"required": True}}]}
    form = build_form({"flavour": "camunda8", "schema": schema}, {})
    assert form.validate(post()) is None
    assert errors(form) == {"agree": "This box must be checked."}
    assert form.validate(post(agree="on")) == {"agree": True}


def test_camunda8_empty_optional_fields_are_not_written():
    assert build_form(C8, {}).validate(post(name="Zoe")) == {"name": "Zoe", "urgent": False, "tags": []}


# -- generic editor ----------------------------------------------------------------------


def test_without_a_form_each_variable_is_edited_as_json():
    form = build_form(None, {"amount": 120, "customer": {"name": "ACME"}})
    assert form.flavour == "generic"
    assert [(f.name, f.kind) for f in form.fields] == [("amount", "json"), ("customer", "json")]
    assert form.fields[1].display == '{\n  "name": "ACME"\n}'


def test_generic_editor_writes_only_changed_variables_and_a_new_one():
    form = build_form(None, {"amount": 120, "note": "x"})
    values = form.validate(post(amount="130", note='"x"', **{"new-name": "approved", "new-value": "true"}))
    assert values == {"amount": 130, "approved": True}


def test_generic_editor_reports_invalid_json_next_to_the_variable():
    form = build_form(None, {"amount": 120})
    assert form.validate(post(amount="{oops")) is None
    assert errors(form)["amount"].startswith("Not valid JSON")


def test_generic_editor_needs_a_name_for_a_new_variable():
    form = build_form(None, {})
    assert form.validate(post(**{"new-value": "1"})) is None
    assert form.error == "A new variable needs a name."


def test_generic_editor_leaves_a_masked_variable_alone_unless_a_value_is_typed():
    form = build_form(None, {"card": "4111"}, masked=frozenset({"card"}))
    assert form.fields[0].display == ""
    assert form.validate(post(card="")) == {}
    assert build_form(None, {"card": "4111"}, masked=frozenset({"card"})).validate(post(card='"5500"')) == {
        "card": "5500"
    }


# -- start forms ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_start_form_is_read_from_the_start_event_of_the_deployed_xml(order):
    from orchestration.models import ProcessDefinition

    definition = ProcessDefinition.objects.get(bpmn_process_id="order-approval")
    form = start_form_of(definition)
    assert form["flavour"] == "camunda7"
    assert [f["id"] for f in form["fields"]] == ["customer", "amount"]
    start = build_form(form, {})
    assert start.fields[1].display == "100"
    assert start.validate(post(customer="ACME", amount="100")) == {"customer": "ACME", "amount": 100}


@pytest.mark.django_db
def test_a_process_without_start_form_has_none(db):
    from orchestration.models import ProcessDefinition

    from .conftest import deploy_fixture

    deploy_fixture("zeebe_form")
    assert start_form_of(ProcessDefinition.objects.get(bpmn_process_id="zeebe-review")) is None
