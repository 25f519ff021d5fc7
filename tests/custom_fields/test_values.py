"""Custom-field values: each type's rules (pipelines/custom_fields.py), the edit service
that stores them with a timeline event, and the checklist conditions
(docs/domain/custom-fields.md)."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from deals.checklist_rules import move_missing_items
from deals.models import DealEvent
from deals.services.editing import deal_update
from pipelines import custom_fields as types
from pipelines.models import ChecklistItem, CustomField
from pipelines.selectors import custom_fields_for
from tests.factories import make_custom_field, make_deal, make_item, reload

Type = CustomField.Type


def test_each_type_is_stored_as_json_that_sorts_and_reads_back(company, fields):
    rep = company.rep1
    values = {
        "competitor_note": "  Cheaper, slower  ",
        "background": "Long story",
        "term_months": Decimal("24"),
        "budget": Decimal("12500.5"),
        "tender_deadline": datetime.date(2027, 3, 31),
        "competitor": "globex",
        "products": ["bi", "crm"],
        "budget_confirmed": False,
        "technical_contact": company.rep2.pk,
        "tender_page": "example.com/tender",
    }
    deal = make_deal(rep, company.sales, custom_fields=values)
    stored = reload(deal).custom_fields
    assert stored == {
        "competitor_note": "Cheaper, slower",
        "background": "Long story",
        "term_months": "24",
        "budget": "12500.5",
        "tender_deadline": "2027-03-31",
        "competitor": "globex",
        "products": ["crm", "bi"],  # in option order
        "budget_confirmed": False,  # "no" is a value: the field is filled in
        "technical_contact": company.rep2.pk,
        "tender_page": "https://example.com/tender",
    }
    by_key = {field.key: field for field in custom_fields_for(company.sales.pk)}
    assert types.to_python(by_key["budget"], stored["budget"]) == Decimal("12500.5")
    assert types.display(by_key["products"], stored["products"]) == "CRM, BI"
    assert types.display(by_key["budget_confirmed"], False) == "No"


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("term_months", "many", "Enter a number."),
        ("budget", Decimal("-1"), "An amount cannot be negative."),
        ("budget", Decimal("1.005"), "At most 2 digits after the decimal separator."),
        ("competitor", "umbrella", "Not an option of this field: umbrella."),
        ("products", ["crm", "cobol"], "Not an option of this field: cobol."),
        ("tender_page", "not a url", "Enter a web address such as https://example.com."),
        ("technical_contact", 999_999, "Choose an active user."),
        ("competitor_note", "x" * 201, "At most 200 characters."),
    ],
)
def test_a_value_the_type_refuses_is_not_stored(company, fields, key, value, message):
    deal = make_deal(company.rep1, company.sales)
    with pytest.raises(ValidationError) as refused:
        deal_update(user=company.rep1, deal=deal, version=deal.version, custom_fields={key: value})
    assert refused.value.message_dict["custom_fields"] == [f"{key}: {message}"]
    assert reload(deal).custom_fields == {}
    assert reload(deal).version == deal.version


def test_a_field_of_another_pipeline_is_refused(company, fields):
    deal = make_deal(company.rep1, company.private)
    with pytest.raises(ValidationError) as refused:
        deal_update(
            user=company.rep1, deal=deal, version=deal.version, custom_fields={"products": ["bi"]}
        )
    assert "products" in refused.value.message_dict["custom_fields"][0]
    # The fields for every pipeline apply to Renewals too.
    deal_update(user=company.rep1, deal=deal, version=deal.version, custom_fields={"budget": 5})
    assert reload(deal).custom_fields == {"budget": "5"}


def test_a_change_is_in_the_timeline_with_old_and_new_value_and_clearing_removes_the_key(
    company, fields
):
    deal = make_deal(company.rep1, company.sales, custom_fields={"competitor": "acme"})
    deal = deal_update(
        user=company.rep1, deal=deal, version=deal.version, custom_fields={"competitor": "globex"}
    )
    deal = deal_update(
        user=company.rep1, deal=deal, version=deal.version, custom_fields={"competitor": None}
    )
    assert reload(deal).custom_fields == {}
    events = DealEvent.objects.filter(deal=deal, kind=DealEvent.Kind.EDITED).order_by("pk")
    assert [(e.data["field"], e.data["old"], e.data["new"]) for e in events] == [
        ("Competitor", "Acme", "Globex"),
        ("Competitor", "Globex", ""),
    ]
    # An unchanged value writes nothing.
    again = deal_update(
        user=company.rep1, deal=deal, version=deal.version, custom_fields={"competitor": None}
    )
    assert again.version == deal.version


def test_an_archived_option_stays_on_the_deals_that_hold_it_but_cannot_be_chosen(company, fields):
    deal = make_deal(company.rep1, company.sales, custom_fields={"competitor": "initech"})
    fields["single"].options.filter(key="initech").update(is_archived=True)
    # Saving the deal with the value it holds is fine...
    deal_update(
        user=company.rep1,
        deal=deal,
        version=deal.version,
        custom_fields={"competitor": "initech", "budget": 1},
    )
    other = make_deal(company.rep1, company.sales)
    with pytest.raises(ValidationError):  # ...choosing it anew is not.
        deal_update(
            user=company.rep1,
            deal=other,
            version=other.version,
            custom_fields={"competitor": "initech"},
        )


@pytest.mark.parametrize(
    ("key", "condition", "operand", "holds", "fails"),
    [
        ("budget_confirmed", "filled", None, False, None),
        ("budget_confirmed", "yes", None, True, False),
        ("competitor", "one_of", ["acme", "globex"], "globex", "initech"),
        ("products", "one_of", ["erp"], ["crm", "erp"], ["crm"]),
        ("term_months", "at_least", "12", Decimal("12"), Decimal("11.5")),
        ("budget", "at_most", "10000", Decimal("10000"), Decimal("10000.01")),
        ("tender_deadline", "at_least", "2027-01-01", datetime.date(2027, 1, 1), None),
    ],
)
def test_a_custom_field_item_blocks_a_move_until_its_condition_holds(
    company, fields, key, condition, operand, holds, fails
):
    first, second = company.stages[0], company.stages[1]
    item = make_item(
        first,
        ChecklistItem.Kind.EXIT,
        satisfied_by=ChecklistItem.SatisfiedBy.CUSTOM_FIELD,
        custom_field=CustomField.objects.get(key=key),
        condition=condition,
        condition_value=operand,
    )
    item.full_clean()
    deal = make_deal(company.rep1, company.sales, stage=first)

    def missing(value):
        if value is not None:
            deal.custom_fields = types.to_stored(
                item.custom_field, types.clean(item.custom_field, value)
            )
            deal.custom_fields = {key: deal.custom_fields}
        else:
            deal.custom_fields = {}
        return move_missing_items(
            deal=deal, from_stage=first, to_stage=second, forward_jumps="allowed"
        )

    assert missing(fails) == [item]
    assert missing(holds) == []


def test_a_condition_that_does_not_fit_the_type_is_refused(company, fields):
    stage = company.stages[0]
    item = ChecklistItem(
        stage=stage,
        kind=ChecklistItem.Kind.EXIT,
        text="Budget confirmed",
        position=0,
        satisfied_by=ChecklistItem.SatisfiedBy.CUSTOM_FIELD,
        custom_field=fields["text"],
        condition="at_least",
        condition_value="3",
    )
    with pytest.raises(ValidationError) as refused:
        item.full_clean()
    assert "condition" in refused.value.message_dict
    item.custom_field, item.condition, item.condition_value = fields["single"], "one_of", ["x"]
    with pytest.raises(ValidationError) as refused:
        item.full_clean()
    assert refused.value.message_dict["condition_value"] == ["Choose at least one option."]


@pytest.mark.parametrize(
    ("type_", "text", "separator", "expected"),
    [
        (Type.MONEY, "12.500,50", ",", Decimal("12500.50")),
        (Type.MONEY, "12,500.50", ".", Decimal("12500.50")),
        (Type.NUMBER, "-3,5", ",", Decimal("-3.5")),
        (Type.DATE, "07.12.2026", ",", datetime.date(2026, 12, 7)),
        (Type.DATE, "7-12-2026", ",", datetime.date(2026, 12, 7)),
        (Type.DATE, "2026-12-07", ".", datetime.date(2026, 12, 7)),
        (Type.YES_NO, "Ja", ",", True),
        (Type.YES_NO, "nee", ",", False),
    ],
)
def test_text_as_a_csv_cell_writes_it_is_read_per_type_and_locale(
    db, type_, text, separator, expected
):
    field = make_custom_field("Some field", type_)
    assert types.from_text(field, text, decimal_separator=separator) == expected


def test_choices_are_read_from_text_by_label_or_key(db):
    field = make_custom_field("Products", Type.MULTIPLE_CHOICE, options=("CRM", "ERP"))
    assert types.from_text(field, "erp; CRM") == ["erp", "crm"]
    with pytest.raises(ValidationError):
        types.from_text(field, "COBOL")
