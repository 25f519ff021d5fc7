"""The search box (``q``) also finds text, long text and URL custom-field values, on the
board, the Deals list and its export, in the list's one query
(docs/domain/custom-fields.md, "Lists, filters, CSV")."""

from decimal import Decimal

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from deals.models import Deal
from deals.selectors.filters import BoardFilters, deals_filtered
from pipelines.models import CustomField
from tests.custom_fields import list_data
from tests.custom_fields.list_data import table_titles
from tests.factories import make_custom_field, make_deal

Type = CustomField.Type
fields = list_data.fields


def found(user, q: str) -> set[str]:
    return {deal.title for deal in deals_filtered(user=user, filters=BoardFilters(q=q))}


def test_text_long_text_and_url_values_are_searched(company, fields):
    rep1, sales = company.rep1, company.sales
    make_deal(rep1, sales, title="one", custom_fields={"competitor_note": "Umbrella is cheaper"})
    make_deal(rep1, sales, title="two", custom_fields={"background": "Met at the FAIR in May"})
    make_deal(rep1, sales, title="three", custom_fields={"tender_page": "tenders.example/4711"})
    make_deal(rep1, sales, title="four")

    assert found(rep1, "umbrella") == {"one"}
    assert found(rep1, "fair in") == {"two"}
    assert found(rep1, "4711") == {"three"}
    assert found(rep1, "nothing like it") == set()


def test_other_types_and_keys_are_not_searched(company, fields):
    rep1 = company.rep1
    make_deal(
        rep1,
        company.sales,
        title="typed",
        custom_fields={
            "competitor": "globex",
            "budget": Decimal("4711"),
            "budget_confirmed": True,
            "products": ["erp"],
        },
    )
    for q in ("globex", "4711", "true", "erp", "budget", "competitor"):
        assert found(rep1, q) == set(), q


def test_a_search_matches_the_title_or_a_value(company, fields):
    rep1 = company.rep1
    make_deal(rep1, company.sales, title="Acme renewal")
    make_deal(rep1, company.sales, title="Big one", custom_fields={"competitor_note": "acme"})
    assert found(rep1, "ACME") == {"Acme renewal", "Big one"}


def test_archived_fields_and_fields_of_another_pipeline_are_not_searched(company, fields):
    rep1 = company.rep1
    make_deal(rep1, company.sales, title="archived", custom_fields={"background": "zebra"})
    fields["background"].is_archived = True
    fields["background"].save()
    notes = make_custom_field("Renewal notes", Type.TEXT, pipeline=company.private)
    moved = make_deal(rep1, company.private, title="moved", custom_fields={notes.key: "zebra"})
    # A deal moved to Sales keeps Renewals' value, hidden there (and so not searched).
    Deal.objects.filter(pk=moved.pk).update(
        pipeline=company.sales, stage=company.stages[0], position=99
    )
    assert found(rep1, "zebra") == set()
    Deal.objects.filter(pk=moved.pk).update(pipeline=company.private, stage=moved.stage)
    assert found(rep1, "zebra") == {"moved"}


def test_the_search_stays_one_query_however_many_fields(company, fields):
    for n in range(10):
        make_custom_field(f"Extra text {n}", Type.TEXT)
    make_deal(company.rep1, company.sales, custom_fields={"extra_text_7": "needle"})
    with CaptureQueriesContext(connection) as queries:
        assert len(list(deals_filtered(user=company.rep1, filters=BoardFilters(q="needle")))) == 1
    assert len(queries) == 1


def test_the_deals_page_and_the_board_search_values(company, fields, login):
    make_deal(company.rep1, company.sales, title="noted", custom_fields={"competitor_note": "x42"})
    make_deal(company.rep1, company.sales, title="plain")
    client = login(company.rep1)
    assert table_titles(client.get(reverse("deals-list"), {"q": "X42"})) == ["noted"]
    board = client.get(reverse("board-pipeline", args=[company.sales.pk]), {"q": "x42"})
    assert board.context["totals"].count == 1
    exported = b"".join(client.get(reverse("deals-export"), {"q": "x42"}).streaming_content)
    assert len(exported.decode("utf-8-sig").splitlines()) == 2
