"""The deal page and its forms in the user's language (docs/i18n.md): amounts typed and
shown the language's way, the timeline's sentences and the refusals translated.

The tests of German words need the compiled catalogs (``make test`` compiles them); the
amounts and numbers come from Babel and Django's locale formats and need none."""

from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import translation

from deals.forms import CompletionForm, DealCreateForm
from deals.forms_deal import DealEditForm
from deals.models import Deal
from deals.services.moves import deal_move
from tests.deals.deal_page.helpers import HTMX, _page, _text
from tests.factories import make_deal, speaking

NBSP = "\u00a0"


def _edit(client, deal, value: str):
    data = {
        "version": deal.version,
        "title": deal.title,
        "value": value,
        "expected_close_date": "",
        "organization_name": "",
        "person_name": "",
        "probability_override": "",
    }
    return client.post(reverse("deal-edit", args=[deal.pk]), data, **HTMX)


@pytest.mark.parametrize(
    ("language", "typed"),
    [
        ("de", "12.500,50"),
        ("de", "12500,50"),
        ("de", "12500.50"),  # a dot before two digits is a decimal point, as Django reads it
        ("nl", "12.500,50"),
        ("en", "12,500.50"),
        ("en", "12500.50"),
    ],
)
def test_a_value_is_typed_as_the_users_language_writes_it(company, login, language, typed):
    deal = make_deal(company.rep1, company.sales, value=Decimal(1000))

    response = _edit(login(speaking(company.rep1, language)), deal, typed)

    assert response.status_code == 200
    assert Deal.objects.get(pk=deal.pk).value == Decimal("12500.50")


def test_the_value_field_shows_the_amount_the_users_way_in_a_text_input(company):
    deal = make_deal(company.rep1, company.sales, value=Decimal("12500.50"))
    with translation.override("de"):
        field = str(DealEditForm(deal=deal)["value"])
    assert 'type="text"' in field
    assert 'inputmode="decimal"' in field
    assert 'value="12500,50"' in field


def test_date_inputs_stay_iso_for_the_browsers_date_picker(company):
    """An <input type="date"> takes yyyy-mm-dd only, whatever the language."""
    deal = make_deal(company.rep1, company.sales)
    Deal.objects.filter(pk=deal.pk).update(expected_close_date="2026-12-07")
    deal.refresh_from_db()
    with translation.override("de"):
        field = str(DealEditForm(deal=deal)["expected_close_date"])
        create = DealCreateForm(
            data={"title": "X", "value": "1.000,5", "expected_close_date": "2026-12-07"},
            owner_choices=type(company.rep1).objects.filter(pk=company.rep1.pk),
        )
        create.data = {**create.data, "owner": company.rep1.pk}
        completion = CompletionForm({"value": "2.500", "expected_close_date": "2026-12-07"})
        assert create.is_valid(), create.errors
        assert completion.is_valid(), completion.errors
    assert 'type="date"' in field
    assert 'value="2026-12-07"' in field
    assert create.cleaned_data["value"] == Decimal("1000.5")
    assert str(create.cleaned_data["expected_close_date"]) == "2026-12-07"
    assert completion.cleaned_data["value"] == Decimal(2500)


@pytest.mark.parametrize(
    ("language", "amount"),
    [("en", "€12,500.50"), ("de", f"12.500,50{NBSP}€"), ("nl", f"€{NBSP}12.500,50")],
)
def test_the_deal_page_shows_the_value_with_cents_in_the_users_convention(
    company, login, language, amount
):
    deal = make_deal(company.rep1, company.sales, value=Decimal("12500.50"))

    page = _page(login(speaking(company.rep1, language)), deal).content.decode()

    assert amount in page


def test_a_german_rep_reads_the_deal_page_and_its_timeline_in_german(company, login, stages):
    """Needs the compiled catalogs."""
    deal = make_deal(company.rep1, company.sales, stages[0], title="Server upgrade")
    deal_move(user=company.rep1, deal=deal, stage=stages[1], version=deal.version)

    text = _text(_page(login(speaking(company.rep1, "de")), deal))

    assert "Als gewonnen markieren" in text
    assert "Checklisten" in text
    assert f"Rep1 Test hat den Deal von {stages[0].name} nach {stages[1].name} verschoben." in text
    assert f"Rep1 Test hat den Deal in {stages[0].name} angelegt." in text


def test_a_dutch_rep_is_told_a_refusal_in_dutch(company, login):
    """A teammate's deal is read-only. Needs the compiled catalogs."""
    deal = make_deal(company.rep2, company.sales)

    response = _edit(login(speaking(company.rep1, "nl")), deal, "5")

    assert response.status_code == 403
    assert "Je kunt deze deal zien, maar niet wijzigen." in _text(response)
