"""Custom-field checklist items at the move's gate (docs/domain/checklists.md, "Custom-field
items in the dialog"): for each type, an item blocks a drag and an API move, the refused-move
dialog shows the field's input, a satisfying value completes and moves in one request, and
one that does not answers 409 in the dialog and saves nothing."""

from decimal import Decimal
from typing import Any, NamedTuple

import pytest
from django.urls import reverse

from deals.checklist_rules import custom_field_rule
from deals.models import ChecklistCheck, Deal, DealEvent, MoveRefusal, StageChange
from deals.services.completion import requirements_completer
from deals.services.editing import deal_update
from deals.services.moves import deal_move
from pipelinecrm.exceptions import InvalidRequest
from pipelines import custom_fields as types
from pipelines.models import ChecklistItem, CustomField, Pipeline
from tests.deals.board.helpers import HTMX, BoardHTML, move
from tests.factories import make_custom_field, make_deal, make_item, make_pipeline, reload

Type, Condition = CustomField.Type, ChecklistItem.Condition
EXIT, ENTRY = ChecklistItem.Kind.EXIT, ChecklistItem.Kind.ENTRY
CUSTOM = ChecklistItem.SatisfiedBy.CUSTOM_FIELD


@pytest.fixture
def prospecting(company):
    return company.stages[0]


@pytest.fixture
def qualification(company):
    return company.stages[1]


class Case(NamedTuple):
    """A field type at the gate: the item's condition and operand; the deal's value before
    (a Python value, None: empty); what the dialog's input shows; a value typed that does
    not meet the rule (None: left unticked), one that does, and what is then stored."""

    type_: str
    condition: str
    operand: Any
    before: Any
    shows: str
    bad: Any
    good: Any
    stored: Any


CASES = [
    Case("text", Condition.FILLED, None, None, 'type="text"', "", "Cheaper", "Cheaper"),
    Case("long", Condition.FILLED, None, None, "<textarea", "", "Long story", "Long story"),
    Case(
        "number",
        Condition.AT_LEAST,
        "12",
        Decimal(6),
        "Term months — at least 12",
        "11.5",
        "24",
        "24",
    ),
    Case(
        "money",
        Condition.AT_LEAST,
        "10000",
        Decimal(5000),
        "Budget — at least €10,000",
        "9,999.99",
        "10,000",
        "10000",
    ),
    Case(
        "date",
        Condition.AT_MOST,
        "2027-06-30",
        None,
        'type="date"',
        "2027-07-01",
        "2027-06-30",
        "2027-06-30",
    ),
    Case(
        "single", Condition.ONE_OF, ["acme", "globex"], "initech", "<select", "", "globex", "globex"
    ),
    Case(
        "multi",
        Condition.ONE_OF,
        ["erp"],
        ["crm"],
        "ERP (meets the rule)",
        ["crm"],
        ["crm", "erp"],
        ["crm", "erp"],
    ),
    Case("yes_no", Condition.YES, None, False, 'type="checkbox"', None, "on", True),
    Case("user", Condition.FILLED, None, None, "<select", "", "rep2", "rep2"),
    Case(
        "url",
        Condition.FILLED,
        None,
        None,
        'inputmode="url"',
        "",
        "example.com/t",
        "https://example.com/t",
    ),
]


def custom_item(stage, field, condition=Condition.FILLED, operand=None, kind=EXIT, **extra):
    item = make_item(
        stage,
        kind,
        satisfied_by=CUSTOM,
        custom_field=field,
        condition=condition,
        condition_value=operand,
        **extra,
    )
    item.full_clean()
    return item


def persona(company, value):
    """The user field's cases name personas: their id."""
    return getattr(company, value).pk if value in ("rep1", "rep2") else value


def retry(client, deal, stage, values: dict, *, url_name="deal-move", **extra):
    """ "Complete and move" as the dialog posts it: the move again, the fields it shows
    (``custom_field``) and their inputs (``cf_<key>``; None: an unticked checkbox)."""
    body = {
        "version": deal.version,
        "source": "dialog",
        "checklist_retry": "1",
        "custom_field": list(values),
        **{f"cf_{key}": value for key, value in values.items() if value is not None},
        **extra,
    }
    if stage is not None:
        body["stage"] = stage.pk
    return client.post(reverse(url_name, args=[deal.pk]), body, **HTMX)


def input_group(html: str, deal: Deal, key: str) -> str:
    """The dialog's markup for the input of field ``key``: from its wrapper to the next
    one, the item's stage note or the end."""
    start = html.find(f'<div class="missing-input" id="refused-{deal.pk}-cf_{key}-group"')
    assert start >= 0, f"no input for {key}"
    ends = [html.find(mark, start + 1) for mark in ('<div class="missing-input"', "<span class")]
    return html[start : min([end for end in ends if end > 0], default=len(html))]


def edited_keys(deal: Deal) -> list[str]:
    events = DealEvent.objects.filter(deal=deal, kind=DealEvent.Kind.EDITED).order_by("pk")
    return [event.data.get("custom_field") for event in events]


def deal_with(company, stage, field, value) -> Deal:
    values = {} if value is None else {field.key: value}
    return make_deal(company.rep1, stage.pipeline, stage, custom_fields=values)


# --- each type, end to end ----------------------------------------------------------------


@pytest.mark.parametrize("case", CASES, ids=[case.type_ for case in CASES])
def test_each_type_blocks_a_drag_and_completing_it_in_the_dialog_moves_in_one_request(
    company, login, fields, case
):
    prospecting, qualification = company.stages[:2]
    field = fields[case.type_]
    item = custom_item(prospecting, field, case.condition, case.operand, text="Ready to qualify")
    deal = deal_with(company, prospecting, field, case.before)
    kept = reload(deal).custom_fields
    client = login(company.rep1)

    # A drag is refused: the dialog names the item and its rule, and shows the input.
    refused = move(client, deal, qualification)
    assert refused.status_code == 409
    assert refused["HX-Retarget"] == "#dialog-slot"
    assert "Ready to qualify" in refused.text
    assert custom_field_rule(item) in refused.text
    group = input_group(refused.text, deal, field.key)
    assert f'name="cf_{field.key}"' in group
    assert case.shows in group
    assert f'<input type="hidden" name="custom_field" value="{field.key}">' in group
    assert list(MoveRefusal.objects.get(deal=deal).missing_items.all()) == [item]

    # A value that does not meet the rule: 409 in the open dialog, nothing saved.
    typed = persona(company, case.bad)
    again = retry(client, deal, qualification, {field.key: typed})
    assert again.status_code == 409
    assert again["HX-Retarget"] == f"#refused-status-{deal.pk}"
    assert "This required step is still not done:" in again.text
    assert "<li>Ready to qualify</li>" in again.text
    group = input_group(again.text, deal, field.key)
    assert 'hx-swap-oob="true"' in group
    assert f"Still needed: {custom_field_rule(item)}." in group
    if case.type_ in ("number", "money", "date"):
        assert f'value="{typed}"' in group  # what the user typed is kept
    after_refusal = reload(deal)
    assert (after_refusal.stage_id, after_refusal.version) == (prospecting.pk, deal.version)
    assert after_refusal.custom_fields == kept
    assert edited_keys(deal) == []

    # A value that does: saved and moved in one request, with its timeline event.
    done = retry(client, deal, qualification, {field.key: persona(company, case.good)})
    assert done.status_code == 200
    assert "close-dialog" in done["HX-Trigger"]
    assert BoardHTML(done).cards[qualification.pk] == [deal.pk]
    moved = reload(deal)
    assert moved.stage_id == qualification.pk
    assert moved.custom_fields[field.key] == persona(company, case.stored)
    assert edited_keys(deal) == [field.key]


@pytest.mark.parametrize("case", CASES, ids=[case.type_ for case in CASES])
def test_each_type_blocks_an_api_move_which_names_the_field_condition_and_operand(
    company, api, fields, case
):
    prospecting, qualification = company.stages[:2]
    field = fields[case.type_]
    item = custom_item(prospecting, field, case.condition, case.operand)
    deal = deal_with(company, prospecting, field, case.before)
    client = api(company.rep1)
    url = f"/api/v1/deals/{deal.pk}/move/"

    refused = client.post(url, {"stage": qualification.pk, "version": deal.version})

    assert refused.status_code == 409
    assert refused.json()["code"] == "checklist_incomplete"
    [missing] = refused.json()["missing"]
    assert (missing["id"], missing["satisfied_by"]) == (item.pk, "custom_field")
    assert (missing["custom_field"], missing["condition"]) == (field.key, case.condition)
    assert missing["operand"] == case.operand
    assert reload(deal).stage_id == prospecting.pk

    # The value the rule asks for, then the same move goes through.
    value = types.to_python(field, persona(company, case.stored))
    deal = deal_update(
        user=company.rep1, deal=deal, version=deal.version, custom_fields={field.key: value}
    )
    moved = client.post(url, {"stage": qualification.pk, "version": deal.version})
    assert moved.status_code == 200
    assert moved.json()["stage"] == qualification.pk


def test_a_custom_field_item_cannot_be_ticked_by_hand(company, api, fields, prospecting):
    item = custom_item(prospecting, fields["money"], Condition.FILLED)
    deal = make_deal(company.rep1, company.sales, prospecting)

    response = api(company.rep1).post(f"/api/v1/deals/{deal.pk}/checklist/{item.pk}/")

    assert response.status_code == 400
    assert response.json()["message"] == (
        "This item is checked automatically: fill in the custom field it names."
    )
    assert not ChecklistCheck.objects.filter(deal=deal).exists()


# --- the dialog's inputs ------------------------------------------------------------------


def test_a_value_the_input_refuses_answers_400_in_the_dialog_and_saves_nothing(
    company, login, fields, prospecting, qualification
):
    custom_item(prospecting, fields["money"], Condition.AT_LEAST, "10000")
    manual = make_item(prospecting, EXIT, text="Budget discussed")
    deal = deal_with(company, prospecting, fields["money"], Decimal(5000))
    client = login(company.rep1)

    response = retry(client, deal, qualification, {"budget": "lots"}, check=manual.pk)

    assert response.status_code == 400
    assert response["HX-Retarget"] == f"#refused-status-{deal.pk}"
    assert "Nothing was saved. Check what you entered:" in response.text
    group = input_group(response.text, deal, "budget")
    assert 'value="lots"' in group
    assert "Enter a number." in group
    assert 'aria-invalid="true"' in group
    deal_now = reload(deal)
    assert (deal_now.stage_id, deal_now.custom_fields) == (prospecting.pk, {"budget": "5000"})
    assert not ChecklistCheck.objects.filter(deal=deal).exists()


def test_an_error_goes_once_the_value_meets_the_rule(
    company, login, fields, prospecting, qualification
):
    custom_item(prospecting, fields["money"], Condition.AT_LEAST, "10000")
    custom_item(prospecting, fields["yes_no"], Condition.YES, text="Budget signed off")
    deal = make_deal(company.rep1, company.sales, prospecting)

    response = retry(
        login(company.rep1),
        deal,
        qualification,
        {"budget": "12,000", "budget_confirmed": None},
    )

    assert response.status_code == 409
    assert "<li>Budget signed off</li>" in response.text
    assert "Still needed" not in input_group(response.text, deal, "budget")
    assert 'value="12,000"' in input_group(response.text, deal, "budget")
    assert "Still needed: Budget confirmed is yes." in input_group(
        response.text, deal, "budget_confirmed"
    )
    assert reload(deal).custom_fields == {}


def test_a_single_choice_offers_only_the_allowed_options_and_bounds_share_one_input(
    company, login, fields, prospecting, qualification
):
    custom_item(prospecting, fields["single"], Condition.ONE_OF, ["acme", "globex"])
    custom_item(prospecting, fields["number"], Condition.AT_LEAST, "12", text="Long enough")
    custom_item(prospecting, fields["number"], Condition.AT_MOST, "36", text="Not too long")
    deal = make_deal(company.rep1, company.sales, prospecting)

    response = move(login(company.rep1), deal, qualification)

    competitor = input_group(response.text, deal, "competitor")
    assert '<option value="acme">Acme</option>' in competitor
    assert '<option value="globex">Globex</option>' in competitor
    assert "initech" not in competitor
    assert response.text.count('name="cf_term_months"') == 1
    assert "Term months — at least 12, at most 36" in response.text
    assert "Long enough" in response.text
    assert "Not too long" in response.text


def test_the_input_is_filled_in_with_the_deals_value(
    company, login, fields, prospecting, qualification
):
    custom_item(prospecting, fields["single"], Condition.ONE_OF, ["acme"])
    custom_item(prospecting, fields["number"], Condition.AT_LEAST, "12")
    custom_item(prospecting, fields["yes_no"], Condition.FILLED)
    deal = make_deal(
        company.rep1,
        company.sales,
        prospecting,
        custom_fields={"term_months": Decimal("6.5"), "competitor": "globex"},
    )

    # Chosen in the "Move to…" sheet, which posts the move as its dialog.
    response = move(login(company.rep1), deal, qualification, source="dialog")

    assert response.status_code == 409
    assert 'value="6.5"' in input_group(response.text, deal, "term_months")
    assert "Term months is at least 12" in response.text
    # Globex does not meet "is one of: Acme": not offered, so nothing is chosen yet.
    competitor = input_group(response.text, deal, "competitor")
    assert "globex" not in competitor
    assert "selected" not in competitor
    # "Is filled in" on a yes/no: "no" fills it in too, so both are offered.
    confirmed = input_group(response.text, deal, "budget_confirmed")
    assert '<option value="yes">Yes</option>' in confirmed
    assert '<option value="no">No</option>' in confirmed


def test_fields_the_dialog_does_not_show_are_left_as_they_are(
    company, login, fields, prospecting, qualification
):
    custom_item(prospecting, fields["money"], Condition.AT_LEAST, "10000")
    deal = make_deal(
        company.rep1,
        company.sales,
        prospecting,
        custom_fields={"products": ["crm"], "budget_confirmed": True, "competitor_note": "x"},
    )

    # Inputs of fields no item of the move names are not read, shown or not.
    response = retry(
        login(company.rep1),
        deal,
        qualification,
        {"budget": "10,000", "products": None, "competitor_note": ""},
    )

    assert response.status_code == 200
    assert reload(deal).custom_fields == {
        "budget": "10000",
        "products": ["crm"],
        "budget_confirmed": True,
        "competitor_note": "x",
    }
    assert edited_keys(deal) == ["budget"]


def test_the_completer_refuses_a_field_the_move_does_not_need(
    company, fields, prospecting, qualification
):
    custom_item(prospecting, fields["money"], Condition.AT_LEAST, "10000")
    deal = make_deal(company.rep1, company.sales, prospecting)
    complete = requirements_completer(
        user=company.rep1, custom_fields={"budget": Decimal(10000), "competitor_note": "x"}
    )

    with pytest.raises(InvalidRequest) as refused:
        deal_move(
            user=company.rep1,
            deal=deal,
            stage=qualification,
            version=deal.version,
            complete=complete,
        )

    assert refused.value.details == {"field": "custom_fields"}
    assert reload(deal).custom_fields == {}


def test_a_stale_version_saves_nothing(company, login, fields, prospecting, qualification):
    custom_item(prospecting, fields["money"], Condition.AT_LEAST, "10000")
    deal = make_deal(company.rep1, company.sales, prospecting)
    client = login(company.rep1)
    stale = reload(deal)
    deal_update(user=company.manager, deal=deal, version=deal.version, title="Renamed")

    response = retry(client, stale, qualification, {"budget": "20,000"})

    assert response.status_code == 409
    assert "Someone else changed this deal" in response.text
    assert reload(deal).custom_fields == {}
    assert reload(deal).stage_id == prospecting.pk


def test_an_item_of_an_archived_field_has_no_input_and_a_manager_overrides_it(
    company, login, fields, prospecting, qualification
):
    item = custom_item(prospecting, fields["money"], Condition.FILLED, text="Budget known")
    CustomField.objects.filter(pk=fields["money"].pk).update(is_archived=True)
    deal = make_deal(company.rep1, company.sales, prospecting)
    client = login(company.manager)

    refused = move(client, deal, qualification)

    assert refused.status_code == 409
    assert "Budget known" in refused.text
    assert 'name="cf_budget"' not in refused.text
    assert "The field is archived" in refused.text
    done = move(client, deal, qualification, source="dialog", override_reason="Known by phone")
    assert done.status_code == 200
    assert list(
        StageChange.objects.get(deal=deal, to_stage=qualification).overridden_items.all()
    ) == [item]


# --- every way into the dialog --------------------------------------------------------------


def test_marking_won_asks_for_the_exit_items_custom_fields_too(company, login, fields, prospecting):
    custom_item(prospecting, fields["yes_no"], Condition.YES, text="Budget signed off")
    deal = make_deal(company.rep1, company.sales, prospecting)
    client = login(company.rep1)

    refused = client.post(
        reverse("deal-won", args=[deal.pk]), {"version": deal.version, "source": "drag"}, **HTMX
    )
    assert refused.status_code == 409
    assert "Complete and mark won" in refused.text
    assert 'name="cf_budget_confirmed"' in refused.text

    still = retry(client, deal, None, {"budget_confirmed": None}, url_name="deal-won")
    assert still.status_code == 409
    assert reload(deal).status == Deal.Status.OPEN

    won = retry(client, deal, None, {"budget_confirmed": "on"}, url_name="deal-won")
    assert won.status_code == 200
    assert (reload(deal).status, reload(deal).custom_fields) == (
        Deal.Status.WON,
        {"budget_confirmed": True},
    )


def test_the_deal_pages_stage_path_opens_the_same_dialog(
    company, login, fields, prospecting, qualification
):
    custom_item(prospecting, fields["money"], Condition.AT_LEAST, "10000")
    deal = make_deal(company.rep1, company.sales, prospecting)
    client = login(company.rep1)

    refused = client.post(
        reverse("deal-stage", args=[deal.pk]),
        {"stage": qualification.pk, "version": deal.version},
        **HTMX,
    )

    assert refused.status_code == 409
    assert refused["HX-Retarget"] == f"#deal-subdialog-{deal.pk}"
    assert "Budget — at least €10,000" in input_group(refused.text, deal, "budget")
    done = retry(client, deal, qualification, {"budget": "15,000"})
    assert done.status_code == 200
    assert reload(deal).stage_id == qualification.pk


def test_a_strict_jump_asks_for_the_custom_fields_of_the_skipped_stages(company, login, fields):
    strict = make_pipeline("Strict sales", forward_jumps=Pipeline.ForwardJumps.STRICT)
    first, second, third = strict.stages.order_by("position")[:3]
    term = make_custom_field("Contract term", Type.NUMBER, pipeline=strict)
    skipped_exit = custom_item(second, term, Condition.AT_LEAST, "12", text="Term agreed")
    target_entry = custom_item(
        third, fields["money"], Condition.FILLED, kind=ENTRY, text="Budget known"
    )
    deal = make_deal(company.rep1, strict, first)
    client = login(company.rep1)

    refused = move(client, deal, third)

    assert refused.status_code == 409
    assert list(MoveRefusal.objects.get(deal=deal).missing_items.all()) == [
        skipped_exit,
        target_entry,
    ]
    assert refused.text.index("Term agreed") < refused.text.index("Budget known")
    assert "Contract term — at least 12" in refused.text
    done = retry(client, deal, third, {"contract_term": "24", "budget": "500"})
    assert done.status_code == 200
    assert reload(deal).stage_id == third.pk
    assert reload(deal).custom_fields == {"contract_term": "24", "budget": "500"}


def test_a_move_to_another_pipeline_fills_in_a_field_of_that_pipeline(
    company, login, fields, prospecting
):
    upsell = make_pipeline("Upsell", stages=[("Review", 30), ("Signed", 90)])
    review = upsell.stages.get(name="Review")
    seats = make_custom_field("Seats", Type.NUMBER, pipeline=upsell)
    custom_item(review, seats, Condition.AT_LEAST, "10", kind=ENTRY, text="Enough seats")
    deal = make_deal(company.rep1, company.sales, prospecting)
    client = login(company.rep1)

    refused = move(client, deal, review, pipeline=upsell.pk, source="dialog")
    assert refused.status_code == 409
    assert "Seats — at least 10" in refused.text

    done = retry(client, deal, review, {"seats": "25"}, pipeline=upsell.pk)

    assert done.status_code == 200
    deal = reload(deal)
    assert (deal.pipeline_id, deal.stage_id, deal.custom_fields) == (
        upsell.pk,
        review.pk,
        {"seats": "25"},
    )


# --- the deal page's checklist ----------------------------------------------------------------


def test_the_deal_page_shows_the_rule_and_links_a_missing_value_to_its_input(
    company, login, fields, prospecting
):
    custom_item(prospecting, fields["money"], Condition.AT_LEAST, "10000", text="Budget big")
    deal = make_deal(company.rep1, company.sales, prospecting)
    page = reverse("deal-detail", args=[deal.pk])

    missing = login(company.rep1).get(page).text
    anchor = f"deal-{deal.pk}-cf_budget"
    assert (
        f'<a class="small" href="#{anchor}">'
        "Automatic: Budget is at least €10,000 (fill it in under Details).</a>"
    ) in missing
    assert f'id="{anchor}"' in missing  # the link lands on the input under Details

    # Someone who may not edit the deal reads the rule, without a link.
    read_only = login(company.rep2).get(page).text
    assert "Automatic: Budget is at least €10,000 (fill it in under Details)." in read_only
    assert f'href="#{anchor}"' not in read_only

    deal_update(user=company.rep1, deal=deal, version=deal.version, custom_fields={"budget": 12000})
    met = login(company.rep1).get(page).text
    assert '<span class="muted small">Automatic: Budget is at least €10,000.</span>' in met
    assert f'href="#{anchor}"' not in met
