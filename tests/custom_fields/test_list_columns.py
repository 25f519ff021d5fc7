"""Custom fields as columns of the Deals list: chosen in the URL (``cols``), shown as the
page shows values, sorted by value (``sort=cf_<key>``), empty last
(docs/domain/custom-fields.md, "Lists, filters, CSV")."""

import datetime
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.custom_fields import list_data
from tests.custom_fields.list_data import table_headers, table_rows, table_titles
from tests.factories import make_deal, speaking

fields = list_data.fields
FIXED = ["Deal", "Organization", "Value", "Stage", "Owner", "Expected close", "Status", "Updated"]


@pytest.fixture
def deals(company, fields):
    """rep1's deals, created in this order (ids ascending)."""
    rep1, sales = company.rep1, company.sales
    values = {
        "a": {
            "budget": Decimal("12500.50"),
            "competitor": "globex",
            "tender_deadline": datetime.date(2027, 1, 15),
            "competitor_note": "beta",
            "budget_confirmed": True,
            "technical_contact": company.rep2.pk,
            "term_months": Decimal("-2"),
            "products": ["crm", "bi"],
        },
        "b": {
            "budget": Decimal("900"),
            "competitor": "initech",
            "tender_deadline": datetime.date(2026, 12, 7),
            "competitor_note": "Alpha",
            "budget_confirmed": False,
            "technical_contact": company.manager.pk,
            "term_months": Decimal("10"),
        },
        "c": {"budget": Decimal("100000"), "competitor": "acme", "term_months": Decimal("9")},
        "d": {},
        "e": {"budget": Decimal("900")},  # ties with b: by id
    }
    return {
        title: make_deal(rep1, sales, title=title, custom_fields=v) for title, v in values.items()
    }


def page(client, **params):
    return client.get(reverse("deals-list"), params)


def test_chosen_columns_follow_the_fixed_ones_in_designer_order(company, deals, login):
    speaking(company.rep1, "de")
    response = page(login(company.rep1), cols="competitor,budget,products", sort="title")
    assert table_headers(response)[8:] == ["Budget", "Competitor", "Products"]
    rows = {row[0]: row[8:] for row in table_rows(response)}
    assert rows["a"] == ["12.500,50\xa0€", "Globex", "CRM, BI"]
    assert rows["c"] == ["100.000\xa0€", "Acme", "—"]
    assert rows["d"] == ["—", "—", "—"]


def test_without_cols_no_custom_column_and_junk_is_ignored(company, deals, login):
    client = login(company.rep1)
    assert table_headers(page(client)) == FIXED
    response = page(client, cols="nobody,,budget,%00")
    assert table_headers(response) == [*FIXED, "Budget"]
    assert response.context["filters"].as_query() == {"cols": "budget"}


def test_a_column_of_another_pipelines_field_is_not_shown_when_filtered(company, deals, login):
    client = login(company.rep1)
    both = page(client, cols="budget,competitor_note")
    assert table_headers(both)[8:] == ["Competitor note", "Budget"]
    renewals = page(client, cols="budget,competitor_note", pipeline=company.private.pk)
    assert table_headers(renewals)[8:] == ["Budget"]  # Budget is on every pipeline


def test_user_names_yes_no_and_dates_are_shown_as_the_page_writes_them(company, deals, login):
    speaking(company.rep1, "nl")
    response = page(
        login(company.rep1),
        cols="technical_contact,budget_confirmed,tender_deadline,term_months",
        sort="title",
    )
    assert table_headers(response)[8:] == [
        "Term months",
        "Tender deadline",
        "Budget confirmed",
        "Technical contact",
    ]
    rows = {row[0]: row[8:] for row in table_rows(response)}
    assert rows["a"] == ["-2", "15-1-2027", "Ja", company.rep2.display_name]
    assert rows["b"] == ["10", "7-12-2026", "Nee", company.manager.display_name]


def test_a_user_column_reads_the_names_in_one_query_for_the_page(company, deals, login):
    client = login(company.rep1)
    page(client, cols="technical_contact")  # warm: session, language

    def queries(**params) -> int:
        with CaptureQueriesContext(connection) as captured:
            assert page(client, **params).status_code == 200
        return len(captured)

    without = queries(cols="budget")
    with_users = queries(cols="budget,technical_contact")
    for n in range(5):
        make_deal(
            company.rep1,
            company.sales,
            custom_fields={"technical_contact": (company.rep1, company.rep2)[n % 2].pk},
        )
    assert queries(cols="budget,technical_contact") == with_users == without + 1


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("cf_budget", ["b", "e", "a", "c", "d"]),  # by amount, not text; a tie by id
        ("-cf_budget", ["c", "a", "e", "b", "d"]),  # empty last either way
        ("cf_term_months", ["a", "c", "b", "d", "e"]),  # -2 < 9 < 10
        ("cf_tender_deadline", ["b", "a", "c", "d", "e"]),
        ("-cf_tender_deadline", ["a", "b", "e", "d", "c"]),
        ("cf_competitor", ["c", "a", "b", "d", "e"]),  # the options' order: Acme, Globex, Initech
        ("cf_competitor_note", ["b", "a", "c", "d", "e"]),  # Alpha before beta
        ("cf_budget_confirmed", ["b", "a", "c", "d", "e"]),  # no, then yes
    ],
)
def test_sorting_by_a_custom_field(company, deals, login, sort, expected):
    assert table_titles(page(login(company.rep1), sort=sort, cols="budget")) == expected


def test_sorting_by_a_user_field_goes_by_name(company, deals, login):
    company.manager.first_name = "Aaron"
    company.manager.save()
    titles = table_titles(page(login(company.rep1), sort="cf_technical_contact"))
    assert titles == ["b", "a", "c", "d", "e"]


def test_the_header_of_a_custom_column_sorts_and_keeps_the_filters(company, deals, login):
    client = login(company.rep1)
    response = page(client, cols="budget", cf_competitor="acme,globex")
    link = next(link for link in response.context["sort_links"] if link["label"] == "Budget")
    assert link["numeric"]
    query = parse_qs(urlsplit(link["url"]).query)
    assert query == {"sort": ["cf_budget"], "cols": ["budget"], "cf_competitor": ["acme,globex"]}
    ascending = client.get(reverse("deals-list") + link["url"])
    assert table_titles(ascending) == ["a", "c"]
    link = next(link for link in ascending.context["sort_links"] if link["label"] == "Budget")
    assert link["sort"] == "ascending"
    assert parse_qs(urlsplit(link["url"]).query)["sort"] == ["-cf_budget"]
    assert table_titles(client.get(reverse("deals-list") + link["url"])) == ["c", "a"]


def test_an_unknown_or_hidden_custom_sort_falls_back_to_the_default(company, deals, login):
    client = login(company.rep1)
    response = page(client, sort="cf_nobody")
    assert response.context["filters"].sort == "-updated"
    response = page(client, sort="cf_competitor_note", pipeline=company.private.pk)
    assert response.context["filters"].sort == "-updated"


def test_the_column_picker_and_the_filter_inputs_are_in_the_form(company, deals, login):
    html = page(login(company.rep1), cols="budget", cf_budget__min="100").content.decode()
    assert '<input type="checkbox" name="cols" value="budget" checked>' in html
    assert '<input type="checkbox" name="cols" value="competitor" >' in html
    assert 'name="cf_budget__min" value="100"' in html
    assert 'type="date" name="cf_tender_deadline__min"' in html
    assert 'type="search" name="cf_competitor_note"' in html
    assert '<details class="list-filters-more" data-testid="custom-filters" open>' in html


def test_without_custom_fields_the_page_has_no_picker(company, login):
    make_deal(company.rep1, company.sales)
    html = page(login(company.rep1)).content.decode()
    assert 'data-testid="column-picker"' not in html
