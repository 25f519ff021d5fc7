"""Checklist items satisfied by a custom field, set up on a stage's page and through the
API: the field, a condition that fits its type, and the operand
(docs/domain/custom-fields.md, docs/domain/checklists.md)."""

from decimal import Decimal

import pytest
from django.urls import reverse

from accounts.models import AuditEntry
from deals.services.moves import deal_move
from pipelinecrm.exceptions import ChecklistIncomplete
from pipelines.models import ChecklistItem, CustomField
from pipelines.services import checklist_item_update, custom_field_archive
from tests.factories import make_custom_field, make_deal, make_item, speaking

pytestmark = pytest.mark.django_db

Type = CustomField.Type
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def fields(company):
    return {
        "note": make_custom_field("Competitor note", Type.TEXT, pipeline=company.sales),
        "confirmed": make_custom_field("Budget confirmed", Type.YES_NO),
        "competitor": make_custom_field(
            "Competitor", Type.SINGLE_CHOICE, pipeline=company.sales, options=("Acme", "Globex")
        ),
        "term": make_custom_field("Term", Type.NUMBER, pipeline=company.sales),
        "budget": make_custom_field("Budget", Type.MONEY),
        "deadline": make_custom_field("Deadline", Type.DATE, pipeline=company.sales),
        "renewal": make_custom_field("Renewal date", Type.DATE, pipeline=company.private),
    }


def _add(client, stage, **values):
    data = {
        "kind": "exit",
        "text": "Rule",
        "is_required": "on",
        "satisfied_by": "custom_field",
        "field_name": "",
        "activity_kind": "",
        "custom_field": "",
        "condition": "",
        "condition_number": "",
        "condition_date": "",
    } | values
    prefix = f"new-item-{stage.pk}"
    return client.post(
        reverse("crm_admin:item-create", args=[stage.pk]),
        {f"{prefix}-{key}": value for key, value in data.items()},
        **HTMX,
    )


@pytest.mark.parametrize(
    ("field", "values", "stored", "sentence"),
    [
        ("note", {"condition": "filled"}, None, "Competitor note is filled in"),
        ("confirmed", {"condition": "yes"}, None, "Budget confirmed is yes"),
        (
            "competitor",
            {"condition": "one_of", "condition_options": ["{pk}:globex", "{pk}:acme"]},
            ["acme", "globex"],
            "Competitor is one of: Acme, Globex",
        ),
        ("term", {"condition": "at_least", "condition_number": "12"}, "12", "Term is at least 12"),
        (
            "budget",
            {"condition": "at_most", "condition_number": "25,000.50"},
            "25000.5",
            "Budget is at most",
        ),
        (
            "deadline",
            {"condition": "at_least", "condition_date": "2026-12-07"},
            "2026-12-07",
            "Deadline is at least",
        ),
    ],
)
def test_an_item_names_a_field_a_condition_and_its_operand(
    admin_client, company, fields, field, values, stored, sentence
):
    chosen = fields[field]
    values = {
        key: [v.format(pk=chosen.pk) for v in value] if isinstance(value, list) else value
        for key, value in values.items()
    }

    response = _add(admin_client, company.stages[1], custom_field=chosen.pk, **values)

    assert response.status_code == 200, response.content.decode()
    item = ChecklistItem.objects.get()
    assert (item.satisfied_by, item.custom_field, item.condition) == (
        "custom_field",
        chosen,
        values["condition"],
    )
    assert item.condition_value == stored
    assert f"when met: {sentence}" in response.content.decode()
    entry = AuditEntry.objects.get(object_id=str(item.pk), action="created")
    assert entry.changes["custom_field"] == chosen.key


def test_the_number_is_read_the_way_the_admins_language_writes_it(client, company, fields):
    client.force_login(speaking(company.admin, "de"))

    _add(
        client,
        company.stages[1],
        custom_field=fields["budget"].pk,
        condition="at_least",
        condition_number="12.500,50",
    )

    assert ChecklistItem.objects.get().condition_value == "12500.5"


@pytest.mark.parametrize(
    ("field", "values", "input_name", "message"),
    [
        ("note", {"condition": "yes"}, "condition", "does not fit a field of this type"),
        ("term", {"condition": "one_of"}, "condition", "does not fit a field of this type"),
        ("competitor", {"condition": "one_of"}, "condition_options", "Choose at least one"),
        ("term", {"condition": "at_least"}, "condition_number", "Enter a number."),
        ("term", {"condition": "at_most", "condition_number": "lots"}, "condition_number", ""),
        ("deadline", {"condition": "at_least"}, "condition_date", "Enter a date."),
        ("confirmed", {}, "condition", "Choose a condition."),
        (None, {"condition": "filled"}, "custom_field", "Choose the custom field"),
        ("renewal", {"condition": "filled"}, "custom_field", "Select a valid choice."),
    ],
)
def test_an_item_that_does_not_fit_its_field_is_refused_next_to_the_input(
    admin_client, company, fields, field, values, input_name, message
):
    chosen = fields[field].pk if field else ""

    response = _add(admin_client, company.stages[1], custom_field=chosen, **values)

    assert response.status_code == 422
    form = next(
        f["form"] for f in response.context["lists"] if f["form"].is_bound and f["kind"] == "exit"
    )
    assert input_name in form.errors
    assert message in " ".join(form.errors[input_name])
    assert not ChecklistItem.objects.exists()


def test_choosing_another_way_clears_the_custom_field_rule(admin_client, company, fields):
    item = make_item(
        company.stages[1],
        satisfied_by="custom_field",
        custom_field=fields["confirmed"],
        condition="yes",
    )
    prefix = f"item-{item.pk}"

    response = admin_client.post(
        reverse("crm_admin:item-edit", args=[item.pk]),
        {
            f"{prefix}-text": "Tick it",
            f"{prefix}-satisfied_by": "manual",
            f"{prefix}-custom_field": fields["confirmed"].pk,
            f"{prefix}-condition": "yes",
        },
        **HTMX,
    )

    assert response.status_code == 200
    item.refresh_from_db()
    assert (item.satisfied_by, item.custom_field, item.condition, item.condition_value) == (
        "manual",
        None,
        "",
        None,
    )


def test_the_item_blocks_a_move_until_the_deal_meets_the_condition(admin_client, company, fields):
    stage, after = company.stages[1], company.stages[2]
    _add(
        admin_client,
        stage,
        custom_field=fields["term"].pk,
        condition="at_least",
        condition_number="12",
    )
    short = make_deal(company.rep1, company.sales, stage, custom_fields={"term": Decimal(6)})
    long = make_deal(company.rep1, company.sales, stage, custom_fields={"term": Decimal(24)})

    with pytest.raises(ChecklistIncomplete):
        deal_move(user=company.rep1, deal=short, stage=after, version=short.version)
    deal_move(user=company.rep1, deal=long, stage=after, version=long.version)


def test_the_edit_form_shows_the_rule_and_offers_the_stages_fields(
    admin_client, company, fields, django_assert_max_num_queries
):
    stage = company.stages[1]
    item = make_item(
        stage,
        text="Competition known",
        satisfied_by="custom_field",
        custom_field=fields["competitor"],
        condition="one_of",
        condition_value=["globex"],
    )

    # session, user, stage with counts, items, neighbours, custom fields, history
    with django_assert_max_num_queries(7):
        page = admin_client.get(reverse("crm_admin:stage", args=[stage.pk])).content.decode()
    form = admin_client.get(reverse("crm_admin:item-edit", args=[item.pk]), **HTMX).content.decode()

    assert "when met: Competitor is one of: Globex" in page
    assert 'data-rule="custom_field"' in page
    assert "Renewal date" not in page  # another pipeline's field
    assert (
        f'value="{fields["term"].pk}" data-type="number" data-conditions="filled at_least at_most"'
        in form
    )
    globex = f'value="{fields["competitor"].pk}:globex" id="id_item-{item.pk}-condition_options_1"'
    assert f"{globex} checked>" in form
    acme = f'value="{fields["competitor"].pk}:acme" id="id_item-{item.pk}-condition_options_0">'
    assert acme in form


def test_an_item_keeps_its_field_and_option_after_they_are_archived(admin_client, company, fields):
    competitor = fields["competitor"]
    item = make_item(
        company.stages[1],
        satisfied_by="custom_field",
        custom_field=competitor,
        condition="one_of",
        condition_value=["acme"],
    )
    competitor.options.filter(key="acme").update(is_archived=True)
    custom_field_archive(actor=company.admin, field=competitor)
    prefix = f"item-{item.pk}"

    response = admin_client.post(
        reverse("crm_admin:item-edit", args=[item.pk]),
        {
            f"{prefix}-text": "Renamed",
            f"{prefix}-is_required": "on",
            f"{prefix}-satisfied_by": "custom_field",
            f"{prefix}-custom_field": competitor.pk,
            f"{prefix}-condition": "one_of",
            f"{prefix}-condition_options": [f"{competitor.pk}:acme"],
        },
        **HTMX,
    )

    assert response.status_code == 200, response.content.decode()
    item.refresh_from_db()
    assert (item.text, item.custom_field, item.condition_value) == ("Renamed", competitor, ["acme"])
    new = _add(admin_client, company.stages[1], custom_field=competitor.pk, condition="filled")
    assert new.status_code == 422  # an archived field is not offered to new items


def test_the_service_refuses_a_field_of_another_pipeline(company, fields):
    item = make_item(company.stages[1])

    with pytest.raises(Exception, match="of this pipeline or one that is on every pipeline"):
        checklist_item_update(
            actor=company.admin,
            item=item,
            text="Renewal known",
            is_required=True,
            satisfied_by="custom_field",
            custom_field=fields["renewal"],
            condition="filled",
        )


# -- the API ------------------------------------------------------------------------------


def test_the_api_creates_reads_and_edits_custom_field_items(api, company, fields):
    client = api(company.admin)
    stage = company.stages[1]

    created = client.post(
        "/api/v1/checklist-items/",
        {
            "stage": stage.pk,
            "kind": "exit",
            "text": "Budget big enough",
            "satisfied_by": "custom_field",
            "custom_field": fields["budget"].pk,
            "condition": "at_least",
            "condition_value": 10000,
        },
        format="json",
    )
    item_id = created.json()["id"]
    edited = client.patch(
        f"/api/v1/checklist-items/{item_id}/",
        {"condition": "at_most", "condition_value": "50000.00"},
        format="json",
    )
    read = api(company.rep1).get(f"/api/v1/checklist-items/{item_id}/").json()
    manual = client.patch(
        f"/api/v1/checklist-items/{item_id}/", {"satisfied_by": "manual"}, format="json"
    )

    assert created.status_code == 201, created.json()
    assert created.json()["condition_value"] == "10000"
    assert edited.status_code == 200
    assert (read["custom_field"], read["condition"], read["condition_value"]) == (
        fields["budget"].pk,
        "at_most",
        "50000",
    )
    assert manual.json()["custom_field"] is None
    assert manual.json()["condition"] == ""
    assert manual.json()["condition_value"] is None


@pytest.mark.parametrize(
    ("values", "error_field"),
    [
        ({"custom_field": "note", "condition": "at_least", "condition_value": 3}, "condition"),
        (
            {"custom_field": "competitor", "condition": "one_of", "condition_value": ["x"]},
            "condition_value",
        ),
        (
            {"custom_field": "competitor", "condition": "one_of", "condition_value": [{"a": 1}]},
            "condition_value",
        ),
        (
            {"custom_field": "deadline", "condition": "at_most", "condition_value": "soon"},
            "condition_value",
        ),
        ({"custom_field": "renewal", "condition": "filled"}, "custom_field"),
        ({"condition": "filled"}, "custom_field"),
        ({"custom_field": "confirmed"}, "condition"),
    ],
)
def test_the_api_refuses_rules_that_do_not_fit(api, company, fields, values, error_field):
    if "custom_field" in values:
        values["custom_field"] = fields[values["custom_field"]].pk

    response = api(company.admin).post(
        "/api/v1/checklist-items/",
        {"stage": company.stages[1].pk, "kind": "exit", "text": "X", "satisfied_by": "custom_field"}
        | values,
        format="json",
    )

    assert response.status_code == 400, response.json()
    assert error_field in response.json()["errors"]
    assert not ChecklistItem.objects.exists()


def test_an_is_one_of_operand_is_stored_in_option_order_once(company, fields):
    item = make_item(company.stages[1])

    checklist_item_update(
        actor=company.admin,
        item=item,
        text="Competition known",
        is_required=True,
        satisfied_by="custom_field",
        custom_field=fields["competitor"],
        condition="one_of",
        condition_value=["globex", "acme", "globex"],
    )

    item.refresh_from_db()
    assert item.condition_value == ["acme", "globex"]
