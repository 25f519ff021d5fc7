"""A new deal from a column's "+"."""

import re
from decimal import Decimal

import pytest

from deals.models import Deal, DealEvent, Organization
from tests.deals.board.helpers import HTMX, BoardHTML, new_deal_url
from tests.factories import make_deal, reload
from tests.helpers import assert_no_inline_script

# --- new deal from "+" -------------------------------------------------------------------


def test_new_deal_from_the_column_lands_on_top(company, login, qualification):
    existing = make_deal(company.rep1, company.sales, qualification)
    client = login(company.rep1)

    dialog = client.get(new_deal_url(qualification), **HTMX)
    assert dialog.status_code == 200
    assert "New deal in Qualification" in dialog.text
    assert_no_inline_script(dialog)

    response = client.post(
        new_deal_url(qualification),
        {
            "title": "Hooli expansion",
            "value": "7500",
            "expected_close_date": "2031-06-30",
            "owner": company.rep1.pk,
            "organization_name": "Hooli",
            "person_name": "Gavin Belson",
        },
        **HTMX,
    )

    assert response.status_code == 200
    deal = Deal.objects.get(title="Hooli expansion")
    assert (deal.stage_id, deal.position, deal.owner, deal.value) == (
        qualification.pk,
        0,
        company.rep1,
        Decimal(7500),
    )
    assert deal.organization.name == "Hooli"
    assert (deal.person.name, deal.person.organization) == ("Gavin Belson", deal.organization)
    assert reload(existing).position == 1
    assert BoardHTML(response).cards[qualification.pk] == [deal.pk, existing.pk]
    assert DealEvent.objects.filter(deal=deal, kind=DealEvent.Kind.CREATED).exists()


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({"title": ""}, "This field is required."),
        ({"value": "-5"}, "Ensure this value is greater than or equal to 0"),
        ({"expected_close_date": "someday"}, "Enter a valid date."),
    ],
)
def test_invalid_new_deal_answers_422_and_creates_nothing(
    company, login, qualification, data, error
):
    body = {"title": "Valid title", "value": "10", "owner": company.rep1.pk, **data}

    response = login(company.rep1).post(new_deal_url(qualification), body, **HTMX)

    assert response.status_code == 422
    assert error in response.text
    assert not Deal.objects.exists()
    assert not Organization.objects.exists()


def test_rep_creates_deals_only_for_themselves(company, login, qualification):
    client = login(company.rep1)

    dialog = client.get(new_deal_url(qualification), **HTMX)
    owners = re.findall(r'<option value="(\d+)"', dialog.text)
    assert owners == [str(company.rep1.pk)]

    response = client.post(
        new_deal_url(qualification), {"title": "Sneaky", "owner": company.rep2.pk}, **HTMX
    )
    assert response.status_code == 422
    assert "Select a valid choice" in response.text
    assert not Deal.objects.exists()


def test_manager_creates_deals_for_the_team(company, login, qualification):
    response = login(company.manager).post(
        new_deal_url(qualification), {"title": "For rep2", "owner": company.rep2.pk}, **HTMX
    )

    assert response.status_code == 200
    assert Deal.objects.get(title="For rep2").owner == company.rep2
