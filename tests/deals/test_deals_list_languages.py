"""The Deals list, the organization and people pages and the lost reasons admin page in
the user's language (docs/i18n.md): words, amounts (``|money:2``) and dates
(``SHORT_DATE_FORMAT``)."""

import datetime
import re
from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from deals.models import Deal, LostReason, Organization, Person
from tests.factories import make_deal, speaking

CLOSE = datetime.date(2026, 12, 7)


def _text(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))


def _messages(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


@pytest.fixture
def priced_deal(company):
    return make_deal(
        company.rep1,
        company.sales,
        title="Acme rollout",
        value=Decimal("12500.50"),
        expected_close_date=CLOSE,
    )


@pytest.mark.parametrize(
    ("language", "amount", "day"),
    [
        ("en", "€12,500.50", "12/07/2026"),
        ("de", "12.500,50\xa0€", "07.12.2026"),
        ("nl", "€\xa012.500,50", "7-12-2026"),
    ],
)
def test_the_list_prints_amounts_with_cents_and_numeric_dates_the_users_way(
    company, login, priced_deal, language, amount, day
):
    speaking(company.rep1, language)

    page = login(company.rep1).get(reverse("deals-list")).content.decode()

    assert amount in page
    assert day in page
    assert "EUR</td>" not in page


def test_a_german_rep_reads_the_deals_list_in_german(company, login, priced_deal):
    """Needs the compiled catalogs (locale/de)."""
    speaking(company.rep1, "de")

    response = login(company.rep1).get(reverse("deals-list"))

    assert response["Content-Language"] == "de"
    text = _text(response)
    assert 'aria-label="Deals filtern"' in response.content.decode()
    for words in ("Nur ins Stocken geratene", "Abschluss in diesem Monat", "Verlustgrund"):
        assert words in text
    assert "Erwarteter Abschluss" in text  # a sortable column header
    assert "Als verloren markieren" in text  # the bulk action
    assert "Stalled only" not in text


def test_bulk_results_are_reported_in_the_users_language(company, login, price):
    """Needs the compiled catalogs (locale/de): the counts use German plurals."""
    speaking(company.rep1, "de")
    deals = [make_deal(company.rep1, company.sales) for _ in range(2)]
    client = login(company.rep1)

    response = client.post(
        reverse("deals-bulk"),
        {
            "deal": [d.pk for d in deals] + [999999],
            "action": "lost",
            "reason": price.pk,
            **{f"version-{d.pk}": d.version for d in deals},
        },
    )

    messages = _messages(response)
    assert "2 Deals als verloren markiert." in messages
    assert "1 ausgewählter Deal existiert nicht mehr oder ist für Sie nicht sichtbar." in messages
    assert all(
        d.status == Deal.Status.LOST for d in Deal.objects.filter(pk__in=[d.pk for d in deals])
    )


def test_an_organization_page_in_dutch_has_dutch_words_and_amounts(company, login, priced_deal):
    """The amount passes today; the words need the compiled catalogs (locale/nl)."""
    acme = Organization.objects.create(name="Acme")
    Deal.objects.filter(pk=priced_deal.pk).update(organization=acme)
    speaking(company.rep1, "nl")

    response = login(company.rep1).get(reverse("organization-detail", args=[acme.pk]))

    assert "€\xa012.500,50" in response.content.decode()
    text = _text(response)
    assert "Nog niemand van Acme." in text
    assert "Bewerken" in text


def test_the_people_page_in_dutch(company, login):
    """Needs the compiled catalogs (locale/nl)."""
    speaking(company.rep1, "nl")

    text = _text(login(company.rep1).get(reverse("people")))

    assert "Nieuwe persoon" in text
    assert "Nog geen personen." in text


def test_a_refused_delete_is_explained_in_german_with_german_plurals(company, login):
    """Needs the compiled catalogs (locale/de)."""
    acme = Organization.objects.create(name="Acme")
    jane = Person.objects.create(name="Jane Doe", organization=acme)
    Person.objects.create(name="Sam Poe", organization=acme)
    make_deal(company.rep1, company.sales, organization=acme, person=jane)
    speaking(company.admin, "de")
    admin = login(company.admin)

    in_use = admin.post(reverse("organization-delete", args=[acme.pk]))
    person_in_use = admin.post(reverse("person-delete", args=[jane.pk]))

    assert in_use.status_code == 409
    assert "„Acme“ wird noch von 1 Deal und 2 Personen verwendet" in _text(in_use)
    assert "„Jane Doe“ ist der Kontakt von 1 Deal" in _text(person_in_use)


def test_the_contact_form_labels_follow_the_language(company, login):
    """Needs the compiled catalogs (locale/de)."""
    speaking(company.rep1, "de")

    text = _text(login(company.rep1).get(reverse("person-new")))

    assert "Neue Person" in text
    for label in ("Name", "E-Mail", "Telefon", "Organisation", "(optional)"):
        assert label in text


def test_the_lost_reasons_page_and_its_answers_in_german(admin_client, company):
    """Needs the compiled catalogs (locale/de). The reasons are the company's own words
    and stay as typed."""
    speaking(company.admin, "de")
    price = LostReason.objects.create(name="Price", position=0)

    page = _text(admin_client.get(reverse("crm_admin:lost-reasons")))
    answer = admin_client.post(
        reverse("crm_admin:lost-reason-active", args=[price.pk]),
        {"active": "0"},
        HTTP_HX_REQUEST="true",
    )

    assert "Verlustgründe" in page
    assert "Price" in page
    assert "„Price“ wird nicht mehr angeboten." in answer.content.decode()
