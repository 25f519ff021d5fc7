"""Custom-field changes in the deal's timeline: read in the reader's language, with the
field's current name and options; the text written at the time when the field is gone
(docs/domain/custom-fields.md, "Where values show")."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import translation

from deals.models import Deal, DealEvent
from deals.services.editing import deal_update
from deals.services.moves import deal_move
from deals.timeline import deal_timeline
from pipelines.models import CustomField, CustomFieldOption
from tests.custom_fields.deal_fields import sales_fields, text_of
from tests.factories import make_custom_field, make_deal, speaking

Type = CustomField.Type


@pytest.fixture
def fields(company):
    return sales_fields(company)


def sentences(deal: Deal, language: str = "en") -> list[str]:
    deal = Deal.objects.get(pk=deal.pk)
    with translation.override(language):
        return [entry.sentence for entry in deal_timeline(deal=deal, activities=[])]


def change(company, deal, **values) -> Deal:
    """rep1 changes values, in English."""
    with translation.override("en"):
        return deal_update(user=company.rep1, deal=deal, version=None, custom_fields=values)


def test_each_change_reads_as_a_sentence_with_old_and_new_value(company, fields):
    deal = make_deal(company.rep1, company.sales, custom_fields={"budget": Decimal(9000)})
    deal = change(company, deal, budget=Decimal("12500.5"), budget_confirmed=True)
    deal = change(company, deal, tender_deadline=datetime.date(2026, 12, 31), products=["erp"])
    deal = change(company, deal, technical_contact=company.rep2.pk, budget=None)

    told = sentences(deal)

    for sentence in [
        "Rep1 Test changed Budget from “€9,000” to “€12,500.50”.",
        "Rep1 Test changed Budget confirmed from empty to “Yes”.",
        "Rep1 Test changed Tender deadline from empty to “12/31/2026”.",
        "Rep1 Test changed Products from empty to “ERP”.",
        "Rep1 Test changed Technical contact from empty to “Rep2 Test”.",
        "Rep1 Test changed Budget from “€12,500.50” to empty.",
    ]:
        assert sentence in told


def test_a_german_reader_reads_german_values_whatever_language_the_actor_wrote_in(
    company, login, fields
):
    deal = make_deal(company.rep1, company.sales)
    deal = change(
        company,
        deal,
        budget=Decimal(12500),
        tender_deadline=datetime.date(2026, 12, 31),
        budget_confirmed=False,
    )
    change(company, deal, budget_confirmed=True)
    speaking(company.rep2, "de")

    page = login(company.rep2).get(reverse("deal-detail", args=[deal.pk]))

    text = text_of(page.content.decode())
    assert "Rep1 Test hat Budget von leer in „12.500\u00a0€“ geändert." in text
    assert "Rep1 Test hat Tender deadline von leer in „31.12.2026“ geändert." in text
    assert "Rep1 Test hat Budget confirmed von leer in „Nein“ geändert." in text
    assert "Rep1 Test hat Budget confirmed von „Nein“ in „Ja“ geändert." in text
    event = DealEvent.objects.filter(deal=deal, data__custom_field="budget").get()
    assert event.data["new"] == "€12,500"  # what the actor's language wrote is kept


def test_a_renamed_field_and_a_renamed_option_read_with_their_current_names(company, fields):
    deal = make_deal(company.rep1, company.sales, custom_fields={"competitor": "acme"})
    deal = change(company, deal, competitor="globex")
    CustomField.objects.filter(pk=fields.competitor.pk).update(name="Main competitor")
    CustomFieldOption.objects.filter(field=fields.competitor, key="globex").update(
        label="Globex Corp"
    )

    assert "Rep1 Test changed Main competitor from “Acme” to “Globex Corp”." in sentences(deal)


def test_an_archived_field_still_reads_with_its_definition(company, fields):
    deal = make_deal(company.rep1, company.sales)
    deal = change(company, deal, products=["crm", "erp"])
    CustomField.objects.filter(pk=fields.products.pk).update(is_archived=True)

    assert "Rep1 Test changed Products from empty to “CRM, ERP”." in sentences(deal)


def test_a_deleted_field_reads_as_it_was_written(company):
    field = make_custom_field("Score", Type.NUMBER)
    deal = make_deal(company.rep1, company.sales)
    deal = change(company, deal, score=Decimal("7.5"))
    deal = change(company, deal, score=None)
    field.delete()

    told = sentences(deal)

    assert "Rep1 Test changed Score from empty to “7.5”." in told
    assert "Rep1 Test changed Score from “7.5” to empty." in told
    # Written in English then, it stays so for a German reader.
    assert "Rep1 Test hat Score von leer in „7.5“ geändert." in sentences(deal, "de")


def test_a_field_of_the_deal_s_former_pipeline_reads_with_its_definition(company, login):
    make_custom_field("Renewal window", Type.DATE, pipeline=company.private)
    deal = make_deal(company.rep1, company.private)
    deal = change(company, deal, renewal_window=datetime.date(2027, 6, 30))
    deal_move(
        user=company.rep1,
        deal=deal,
        stage=company.stages[0],
        version=None,
        pipeline=company.sales,
    )
    speaking(company.rep1, "de")

    text = text_of(login(company.rep1).get(reverse("deal-detail", args=[deal.pk])).content.decode())

    assert "Renewal window" in text
    assert "30.06.2027" in text
    assert "06/30/2027" not in text


def test_a_long_text_is_cut_in_the_sentence(company, fields):
    deal = make_deal(company.rep1, company.sales)
    change(company, deal, background="word " * 100)

    sentence = next(s for s in sentences(deal) if "Background" in s)

    assert len(sentence) < 200
    assert sentence.endswith("…”.")
