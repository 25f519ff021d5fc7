"""Filters by custom fields in the URL (``cf_<key>=…``), shared by the board, the Deals list
and its export: each type's filter, junk ignored, the round trip through links
(docs/domain/custom-fields.md, "Lists, filters, CSV")."""

import datetime
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import pytest
from django.db import connection
from django.http import QueryDict
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from deals.access import deals_visible_to
from deals.models import LostReason
from deals.selectors.filters import BoardFilters, deals_filtered
from deals.selectors.lists import DealListFilters, deals_list, list_custom_fields
from pipelines.models import CustomField
from tests.custom_fields import list_data
from tests.custom_fields.list_data import table_titles
from tests.factories import make_custom_field, make_deal

Type = CustomField.Type
fields = list_data.fields


@pytest.fixture
def deals(company, fields):
    """Five deals of rep1 on Sales, with values of every type (``empty`` has none)."""
    rep1, sales = company.rep1, company.sales
    return {
        "acme": make_deal(
            rep1,
            sales,
            title="acme",
            custom_fields={
                "competitor": "acme",
                "products": ["crm", "bi"],
                "budget_confirmed": True,
                "budget": Decimal("12500.50"),
                "term_months": Decimal("24"),
                "tender_deadline": datetime.date(2026, 12, 7),
                "technical_contact": company.rep2.pk,
                "competitor_note": "Cheaper but 50%_slower",
                "tender_page": "https://acme.example/tender",
            },
        ),
        "globex": make_deal(
            rep1,
            sales,
            title="globex",
            custom_fields={
                "competitor": "globex",
                "products": ["erp"],
                "budget_confirmed": False,
                "budget": Decimal("900"),
                "term_months": Decimal("-3.5"),
                "tender_deadline": datetime.date(2027, 1, 15),
                "technical_contact": company.manager.pk,
                "background": "They liked the demo",
            },
        ),
        "initech": make_deal(
            rep1,
            sales,
            title="initech",
            custom_fields={"competitor": "initech", "budget": Decimal("100000")},
        ),
        "empty": make_deal(rep1, sales, title="empty"),
    }


def titles(user, **params) -> set[str]:
    query = QueryDict(mutable=True)
    for name, value in params.items():
        query.setlist(name, value if isinstance(value, list) else [value])
    filters = DealListFilters.from_query(query)
    return {deal.title for deal in deals_list(user=user, filters=filters)}


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"cf_competitor": "acme"}, {"acme"}),
        ({"cf_competitor": "acme,globex"}, {"acme", "globex"}),  # any of, as links write it
        ({"cf_competitor": ["acme", "initech"]}, {"acme", "initech"}),  # as a form sends it
        ({"cf_competitor": "acme,nobody"}, {"acme"}),  # an unknown option is dropped
        ({"cf_products": "bi"}, {"acme"}),  # a multiple choice holding it
        ({"cf_products": "erp,bi"}, {"acme", "globex"}),
        ({"cf_budget_confirmed": "yes"}, {"acme"}),
        ({"cf_budget_confirmed": "no"}, {"globex"}),  # "no" is a value, not empty
        ({"cf_budget_confirmed": "yes,no"}, {"acme", "globex"}),
        ({"cf_budget__min": "900"}, {"acme", "globex", "initech"}),
        ({"cf_budget__min": "1000", "cf_budget__max": "12500.50"}, {"acme"}),
        ({"cf_budget__max": "12500.49"}, {"globex"}),
        ({"cf_term_months__max": "0"}, {"globex"}),  # negative numbers compare as numbers
        ({"cf_term_months__min": "-3.5", "cf_term_months__max": "-3.5"}, {"globex"}),
        ({"cf_tender_deadline__min": "2026-12-08"}, {"globex"}),
        ({"cf_tender_deadline__max": "2026-12-07"}, {"acme"}),
        ({"cf_competitor_note": "CHEAPER"}, {"acme"}),
        ({"cf_competitor_note": "50%_"}, {"acme"}),  # % and _ are plain characters
        ({"cf_competitor_note": "50%x"}, set()),
        ({"cf_background": "demo"}, {"globex"}),
        ({"cf_tender_page": "acme.example"}, {"acme"}),
    ],
)
def test_each_type_filters_the_list(company, deals, params, expected):
    assert titles(company.rep1, **params) == expected


def test_a_user_field_filters_by_the_users_id_several_are_any_of_them(company, deals):
    assert titles(company.rep1, cf_technical_contact=str(company.manager.pk)) == {"globex"}
    both = f"{company.rep2.pk},{company.manager.pk}"
    assert titles(company.rep1, cf_technical_contact=both) == {"acme", "globex"}
    assert titles(company.rep1, cf_technical_contact=str(company.rep3.pk)) == set()


@pytest.mark.parametrize(
    "key",
    [
        "competitor_note",
        "background",
        "term_months",
        "budget",
        "tender_deadline",
        "competitor",
        "products",
        "budget_confirmed",
        "technical_contact",
        "tender_page",
    ],
)
def test_filled_in_and_empty_for_every_type(company, deals, key):
    filled = {
        title
        for title, deal in deals.items()
        if key in type(deal).objects.get(pk=deal.pk).custom_fields
    }
    assert filled, "every type has a deal holding a value"
    assert titles(company.rep1, **{f"cf_{key}": "__filled"}) == filled
    assert titles(company.rep1, **{f"cf_{key}": "__empty"}) == set(deals) - filled


def test_filters_combine_with_each_other_and_the_other_filters(company, deals):
    assert titles(company.rep1, cf_competitor="acme,globex", cf_budget__min="1000") == {"acme"}
    assert titles(company.rep1, cf_competitor="acme,globex", q="glob") == {"globex"}
    assert titles(company.rep1, cf_budget_confirmed="no", status="won") == set()


def test_numbers_and_dates_typed_the_users_way_are_read(company, deals):
    with translation.override("de"):
        assert titles(company.rep1, cf_budget__min="12.500,50") == {"acme", "initech"}
        filters = DealListFilters.from_query(QueryDict("cf_tender_deadline__max=07.12.2026"))
    assert titles(company.rep1, cf_tender_deadline__max="07.12.2026") == {"acme"}
    # Links write them plainly, whatever the language.
    assert filters.as_query() == {"cf_tender_deadline__max": "2026-12-07"}
    with translation.override("de"):
        typed = DealListFilters.from_query(QueryDict("cf_budget__min=12.500,50"))
    assert typed.as_query() == {"cf_budget__min": "12500.5"}


@pytest.mark.parametrize(
    "query",
    [
        "cf_budget__min=lots",
        "cf_budget__max=1e999",
        "cf_tender_deadline__min=2026-13-45",
        "cf_competitor=%00",
        "cf_competitor=",
        "cf_budget_confirmed=maybe",
        "cf_technical_contact=me",
        "cf_technical_contact=99999999999999999999999",
        "cf_nobody=acme",
        "cf_=x",
        "cf_budget=12",  # a number is filtered by a range only
        "cf_products__min=3",
    ],
)
def test_junk_is_ignored_never_an_error(company, deals, login, query):
    filters = DealListFilters.from_query(QueryDict(query))
    assert filters.board.custom == ()
    response = login(company.rep1).get(reverse("deals-list") + "?" + query)
    assert response.status_code == 200
    assert set(table_titles(response)) == set(deals)


def test_only_active_fields_of_the_chosen_pipeline_are_filterable(company, deals, fields):
    renewals_field = make_custom_field("Renewal term", Type.NUMBER, pipeline=company.private)
    fields["budget"].is_archived = True
    fields["budget"].save()
    query = QueryDict(f"cf_budget__min=1000&cf_renewal_term__min=1&pipeline={company.sales.pk}")
    filters = DealListFilters.from_query(query, fields=list_custom_fields(query))
    assert filters.board.custom == ()  # archived, and of another pipeline
    assert renewals_field.key not in {f.key for f in filters.custom_fields}
    # Without a pipeline filter: every active field, Renewals' too.
    everywhere = DealListFilters.from_query(QueryDict("cf_renewal_term__min=1"))
    assert [f.key for f in everywhere.board.custom] == ["renewal_term"]


def test_the_filters_round_trip_through_links(company, deals):
    query = QueryDict(
        "cf_competitor=globex&cf_competitor=acme&cf_budget__min=900&cf_budget_confirmed=no"
        "&cf_competitor_note=slow&cf_products=__empty&q=a&sort=-cf_budget&cols=budget,competitor"
    )
    filters = DealListFilters.from_query(query)
    again = DealListFilters.from_query(QueryDict(mutable=True) | filters.as_query())
    assert again == filters
    assert filters.as_query()["cf_competitor"] == "acme,globex"  # in the options' order
    board = BoardFilters.from_query(filters.board.as_query())
    assert board == filters.board


def test_a_filter_is_one_containment_test_in_the_lists_one_query(company, deals):
    filters = BoardFilters.from_query(
        QueryDict("cf_competitor=acme,globex&cf_budget__min=1"), fields=list_custom_fields({})
    )
    with CaptureQueriesContext(connection) as queries:
        found = {d.title for d in deals_filtered(user=company.rep1, filters=filters)}
    assert found == {"acme", "globex"}
    assert len(queries) == 1
    sql = queries[0]["sql"]
    assert '"custom_fields" @>' in sql  # the GIN index deal_custom_fields_gin serves it
    assert "::numeric" in sql


def test_the_deals_page_keeps_the_filters_in_its_links_and_the_export(company, deals, login):
    client = login(company.rep1)
    response = client.get(reverse("deals-list"), {"cf_competitor": "acme", "cols": "budget"})
    assert table_titles(response) == ["acme"]
    html = response.content.decode()
    export = response.context["export_plain_url"]
    assert parse_qs(urlsplit(export).query)["cf_competitor"] == ["acme"]
    for link in response.context["sort_links"]:
        assert parse_qs(urlsplit(link["url"]).query)["cf_competitor"] == ["acme"]
    assert 'name="query" value="cf_competitor=acme&amp;cols=budget"' in html
    exported = b"".join(client.get(export).streaming_content).decode()
    assert [line.split(",")[2] for line in exported.splitlines()[1:]] == ["acme"]


def test_the_bulk_action_goes_back_to_the_filtered_list(company, deals, login):
    price = LostReason.objects.create(name="Price")
    client = login(company.rep1)
    deal = deals["globex"]
    response = client.post(
        reverse("deals-bulk"),
        {
            "action": "lost",
            "deal": [deal.pk],
            f"version-{deal.pk}": deal.version,
            "reason": price.pk,
            "query": "cf_budget_confirmed=no&cols=competitor",
        },
    )
    assert response.status_code == 302
    assert response["Location"].endswith("?cf_budget_confirmed=no&cols=competitor")


def test_the_board_filters_by_a_custom_field_and_its_pages_keep_the_filter(
    company, deals, login, settings
):
    settings.BOARD_FIRST_PAGE_SIZE = 1
    settings.BOARD_PAGE_SIZE = 1
    for n in range(3):
        make_deal(
            company.rep1,
            company.sales,
            title=f"more acme {n}",
            custom_fields={"competitor": "acme"},
        )
    client = login(company.rep1)
    url = reverse("board-pipeline", args=[company.sales.pk])
    response = client.get(url, {"cf_competitor": "acme"})
    html = response.content.decode()
    assert response.context["totals"].count == 4
    # The compact inputs: choices, yes/no and users; not ranges or text.
    assert 'name="cf_competitor"' in html
    assert 'name="cf_budget_confirmed"' in html
    assert 'name="cf_technical_contact"' in html
    assert 'name="cf_budget__min"' not in html
    assert 'name="cf_competitor_note"' not in html
    assert '<option value="acme" selected>' in html
    assert "offset=1&amp;cf_competitor=acme" in html  # scrolling on keeps the filter
    stage = company.stages[0]
    more = client.get(
        reverse("column-more", args=[company.sales.pk, stage.pk]),
        {"offset": 1, "cf_competitor": "acme"},
        HTTP_HX_REQUEST="true",
    )
    assert more.status_code == 200
    assert "more acme" in more.content.decode()
    assert "globex" not in more.content.decode()


def test_the_board_ignores_another_pipelines_field(company, deals, login):
    make_custom_field("Renewal term", Type.NUMBER, pipeline=company.private)
    make_custom_field("Renewal kind", Type.YES_NO, pipeline=company.private)
    client = login(company.rep1)
    response = client.get(
        reverse("board-pipeline", args=[company.sales.pk]), {"cf_renewal_kind": "yes"}
    )
    assert response.context["filters"].custom == ()
    assert response.context["totals"].count == 4
    assert 'name="cf_renewal_kind"' not in response.content.decode()


@pytest.mark.parametrize("persona", ["rep1", "rep2", "rep3", "manager", "manager2", "admin"])
def test_the_list_read_owner_by_owner_holds_exactly_the_visible_deals(company, persona, fields):
    """deals_list reads the deals of the people some of whose deals the user may see
    (``visible_owner_ids``) before the visibility rule: the same deals as the rule alone."""
    for owner in (company.rep1, company.rep2, company.rep3, company.manager, company.manager2):
        for pipeline in (company.sales, company.private):
            make_deal(owner, pipeline, custom_fields={"competitor": "acme"})
    user = getattr(company, persona)
    expected = set(deals_visible_to(user).values_list("pk", flat=True))
    listed = deals_list(user=user, filters=DealListFilters.from_query({"cf_competitor": "acme"}))
    assert set(listed.values_list("pk", flat=True)) == expected
    assert expected
