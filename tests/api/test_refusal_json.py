"""The API's one mapping from a refusal to JSON (pipelinecrm/api.py), tested once per
exception type; the rules that raise them are tested on the services."""

import pytest
from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework.exceptions import ValidationError

from pipelinecrm.api import api_exception_handler
from pipelinecrm.exceptions import ChecklistIncomplete, Forbidden, InvalidRequest, VersionConflict
from pipelines.models import ChecklistItem, CustomField
from tests.factories import make_custom_field, make_item


def _answer(error: Exception) -> tuple[int, dict]:
    response = api_exception_handler(error, {})
    return response.status_code, dict(response.data)


def test_missing_checklist_items_are_409_listing_each_item(company):
    item = make_item(company.stages[0], text="Budget confirmed")

    status, body = _answer(ChecklistIncomplete([item]))

    assert status == 409
    assert body["code"] == "checklist_incomplete"
    assert [dict(missing) for missing in body["missing"]] == [
        {
            "id": item.pk,
            "text": "Budget confirmed",
            "stage": company.stages[0].pk,
            "kind": "exit",
            "satisfied_by": "manual",
            "field_name": "",
            "activity_kind": "",
            "custom_field": None,
            "condition": "",
            "operand": None,
        }
    ]


def test_a_missing_custom_field_item_names_the_field_its_condition_and_operand(company):
    budget = make_custom_field("Budget", CustomField.Type.MONEY)
    item = make_item(
        company.stages[0],
        text="Budget big enough",
        satisfied_by=ChecklistItem.SatisfiedBy.CUSTOM_FIELD,
        custom_field=budget,
        condition=ChecklistItem.Condition.AT_LEAST,
        condition_value="10000",
    )

    status, body = _answer(ChecklistIncomplete([item]))

    assert status == 409
    missing = dict(body["missing"][0])
    assert (missing["satisfied_by"], missing["custom_field"]) == ("custom_field", "budget")
    assert (missing["condition"], missing["operand"]) == ("at_least", "10000")


def test_a_version_conflict_is_409_with_the_current_version():
    status, body = _answer(VersionConflict(current_version=7))

    assert status == 409
    assert (body["code"], body["current_version"]) == ("version_conflict", 7)


def test_a_forbidden_action_is_403_with_its_sentence():
    status, body = _answer(Forbidden("You can see this deal but not move it."))

    assert (status, body) == (
        403,
        {"code": "forbidden", "message": "You can see this deal but not move it."},
    )


@pytest.mark.parametrize(
    ("error", "errors"),
    [
        (
            InvalidRequest("Outside this column.", field="position"),
            {"position": ["Outside this column."]},
        ),
        (DjangoValidationError({"target": "Choose a stage."}), {"target": ["Choose a stage."]}),
        (ValidationError({"before": ["Not a number."]}), {"before": ["Not a number."]}),
    ],
)
def test_bad_input_is_400_with_field_errors(error, errors):
    status, body = _answer(error)

    assert (status, body["code"]) == (400, "invalid")
    assert {name: [str(m) for m in messages] for name, messages in body["errors"].items()} == errors


def test_an_invalid_request_without_a_field_is_400_with_its_sentence():
    status, body = _answer(InvalidRequest("This deal is already open."))

    assert (status, body) == (400, {"code": "invalid", "message": "This deal is already open."})


@pytest.mark.parametrize(
    ("error", "status", "code"),
    [(Http404(), 404, "not_found"), (PermissionDenied(), 403, "forbidden")],
)
def test_django_refusals_keep_the_same_shape(error, status, code):
    answered, body = _answer(error)

    assert (answered, body["code"]) == (status, code)
    assert body["message"]
