"""Board filters in the URL, and junk filter values."""

import datetime
import re
from decimal import Decimal
from urllib.parse import urlencode

import pytest
from django.urls import reverse
from django.utils import timezone

from deals.models import Deal, Organization, Person
from tests.deals.board.helpers import HTMX, BoardHTML, board_url, money
from tests.factories import make_deal

# --- filters --------------------------------------------------------------------------


@pytest.fixture
def filter_deals(company, prospecting, qualification):
    """rep1's board with one deal per filter, named by what makes it match."""
    today = timezone.localdate()
    month_start = today.replace(day=1)
    globex = Organization.objects.create(name="Globex Corporation")
    deals = {
        "mine": make_deal(
            company.rep1, company.sales, prospecting, title="Acme rollout", value=Decimal(100)
        ),
        "teammate": make_deal(
            company.rep2, company.sales, qualification, title="Teammate deal", value=Decimal(200)
        ),
        "stalled": make_deal(
            company.rep1, company.sales, qualification, title="Quiet one", value=Decimal(400)
        ),
        "closing": make_deal(
            company.rep2,
            company.sales,
            prospecting,
            title="Closing soon",
            value=Decimal(800),
            expected_close_date=today,
        ),
        "next_month": make_deal(
            company.rep1,
            company.sales,
            prospecting,
            title="Later",
            value=Decimal(1600),
            expected_close_date=today + datetime.timedelta(days=40),
        ),
        "last_month": make_deal(
            company.rep1,
            company.sales,
            prospecting,
            title="Slipped",
            value=Decimal(3200),
            expected_close_date=month_start - datetime.timedelta(days=1),
        ),
        "organization": make_deal(
            company.rep2,
            company.sales,
            qualification,
            title="Upsell",
            value=Decimal(6400),
            organization=globex,
        ),
        "person": make_deal(
            company.rep1,
            company.sales,
            qualification,
            title="Cross-sell",
            value=Decimal(12800),
            person=Person.objects.create(name="Hank Scorpio"),
        ),
    }
    Deal.objects.filter(pk=deals["stalled"].pk).update(
        is_stalled=True, stalled_since=timezone.now() - datetime.timedelta(days=3)
    )
    return deals


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"owner": "me"}, {"mine", "stalled", "next_month", "last_month", "person"}),
        ({"owner": "REP2"}, {"teammate", "closing", "organization"}),
        ({"stalled": "1"}, {"stalled"}),
        ({"closing": "month"}, {"closing"}),
        ({"q": "ACME"}, {"mine"}),  # title, any case
        ({"q": "globex"}, {"organization"}),  # organization name
        ({"q": "scorpio"}, {"person"}),  # contact person's name
        ({"owner": "me", "q": "o"}, {"mine", "stalled", "person"}),
    ],
)
def test_filters_in_the_url_narrow_cards_and_totals(
    company, login, filter_deals, prospecting, qualification, query, expected
):
    if query.get("owner") == "REP2":
        query = {**query, "owner": str(company.rep2.pk)}

    board = BoardHTML(login(company.rep1).get(board_url(company.sales, **query)))

    assert board.all_cards() == {filter_deals[name].pk for name in expected}
    for stage in (prospecting, qualification):
        shown = [deal for name, deal in filter_deals.items() if name in expected]
        in_column = [deal for deal in shown if deal.stage_id == stage.pk]
        total = sum((deal.value for deal in in_column), Decimal(0))
        assert board.heads[stage.pk]["count"].startswith(f"{len(in_column)} deal")
        assert board.heads[stage.pk]["total"] == f"€{money(total)}"


def test_filter_form_shows_the_filters_of_the_url(company, login, filter_deals):
    response = login(company.rep1).get(
        board_url(company.sales, owner=company.rep2.pk, stalled="1", q="glob")
    )

    assert re.search(rf'<option value="{company.rep2.pk}"\s+selected>', response.text)
    assert re.search(r'name="stalled" value="1"\s+checked', response.text)
    assert 'name="q" value="glob"' in response.text
    # The owner filter offers the people whose cards rep1 may see, not the other team.
    assert f'<option value="{company.rep3.pk}"' not in response.text


@pytest.mark.parametrize(
    "query",
    [
        {"owner": "abc"},
        {"owner": "-3"},
        {"owner": "²"},  # a digit to str.isdigit(), not to int()
        {"owner": "99999999999999999999999"},
        {"stalled": "yes"},
        {"closing": "year"},
        {"q": "a\x00b"},
        {"q": "x" * 500},
    ],
)
def test_junk_filter_values_are_ignored_never_a_500(company, login, filter_deals, query):
    client = login(company.rep1)

    response = client.get(board_url(company.sales, **query))

    assert response.status_code == 200
    if "owner" in query and query["owner"] != "99999999999999999999999":
        assert BoardHTML(response).all_cards() == {deal.pk for deal in filter_deals.values()}
    stage = company.stages[0]
    fragment = client.get(
        reverse("column-more", args=[company.sales.pk, stage.pk]) + "?" + urlencode(query)
    )
    assert fragment.status_code == 200


@pytest.mark.parametrize("offset", ["abc", "-5", "²", "", "99999999999999999999999"])
def test_junk_column_offset_is_ignored_never_a_500(company, login, prospecting, offset):
    deal = make_deal(company.rep1, company.sales, prospecting)
    url = reverse("column-more", args=[company.sales.pk, prospecting.pk])

    response = login(company.rep1).get(url, {"offset": offset}, **HTMX)

    assert response.status_code == 200
    expected = [] if offset.startswith("9") else [deal.pk]
    assert BoardHTML(response).cards.get(None, []) == expected
