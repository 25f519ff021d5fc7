"""CSV export of the deals list (docs/domain/imports.md): exactly the filtered list, streamed,
never a deal the user may not see, in a constant number of queries."""

import csv
import html
import io
import re
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

from django.db import connection
from django.http import StreamingHttpResponse
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from deals.models import Deal, LostReason, Organization, Person
from deals.selectors.lists import DealListFilters, deals_list
from deals.services.moves import deal_mark_lost
from tests.factories import make_deal


def _export(client, **params) -> tuple[StreamingHttpResponse, list[dict]]:
    response = client.get(reverse("deals-export"), params)
    assert response.status_code == 200
    assert isinstance(response, StreamingHttpResponse)
    text = b"".join(response.streaming_content).decode("utf-8")
    assert text.startswith("\ufeff")
    return response, list(csv.DictReader(io.StringIO(text.removeprefix("\ufeff"))))


def test_the_export_is_a_streamed_csv_with_every_column(company, login):
    acme = Organization.objects.create(name="Acme")
    jane = Person.objects.create(name="Jane", email="jane@acme.example")
    make_deal(
        company.rep1,
        company.sales,
        title="Acme expansion",
        value=Decimal("12500.00"),
        organization=acme,
        person=jane,
        external_id="CRM-1",
    )

    response, rows = _export(login(company.rep1))

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="deals-')
    (row,) = rows
    assert row["Title"] == "Acme expansion"
    assert row["External id"] == "CRM-1"
    assert row["Value"] == "12500.00"
    assert row["Currency"] == "EUR"
    assert (row["Pipeline"], row["Stage"], row["Owner"]) == ("Sales", "Prospecting", "rep1")
    assert (row["Organization"], row["Person"], row["Person email"]) == (
        "Acme",
        "Jane",
        "jane@acme.example",
    )
    assert row["Status"] == "open"
    assert row["Probability"] == "10"
    assert row["Weighted value"] == "1250.00"


def test_a_reps_export_never_holds_another_teams_or_a_teammates_private_deals(company, login):
    make_deal(company.rep1, company.sales, title="Mine")
    make_deal(company.rep1, company.private, title="My renewal")
    make_deal(company.rep2, company.sales, title="Teammate's")
    make_deal(company.rep2, company.private, title="Teammate's renewal")
    make_deal(company.rep3, company.sales, title="South's")
    make_deal(company.rep3, company.private, title="South's renewal")

    _, rows = _export(login(company.rep1))
    _, south_rows = _export(login(company.rep3))
    _, admin_rows = _export(login(company.admin))

    assert {r["Title"] for r in rows} == {"Mine", "My renewal", "Teammate's"}
    assert {r["Title"] for r in south_rows} == {"South's", "South's renewal"}
    assert len(admin_rows) == 6


def test_the_export_is_exactly_the_filtered_list_in_its_order(company, login):
    reason = LostReason.objects.create(name="Price")
    for index in range(8):
        deal = make_deal(
            company.rep1 if index % 2 else company.rep2,
            company.sales,
            title=f"Deal {index}",
            value=Decimal(index * 100),
        )
        if index % 3 == 0:
            deal_mark_lost(user=deal.owner, deal=deal, version=None, reason=reason)
    client = login(company.manager)
    params = {"status": "open", "owner": str(company.rep1.pk), "sort": "-value"}

    _, rows = _export(client, **params)

    expected = deals_list(user=company.manager, filters=DealListFilters.from_query(params))
    assert [int(r["Id"]) for r in rows] == list(expected.values_list("pk", flat=True))
    assert [r["Title"] for r in rows] == ["Deal 7", "Deal 5", "Deal 1"]
    # The page offers a link to this very export.
    page = client.get(reverse("deals-list"), params).content.decode()
    link = html.unescape(re.search(r'href="(/deals/export\.csv\?[^"]*)"', page)[1])
    assert parse_qs(urlsplit(link).query) == {key: [value] for key, value in params.items()}


def test_the_export_costs_the_same_queries_for_any_number_of_rows(company, login):
    client = login(company.admin)
    make_deal(company.rep1, company.sales)

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            _export(client)
        return len(queries)

    few = count()
    for index in range(120):
        make_deal(company.rep2, company.sales, title=f"Deal {index}")
    # user (the session comes from the cache), the custom fields (their columns), and the
    # export's one query through a server-side cursor
    assert count() == few == 3


def test_cells_that_a_spreadsheet_would_run_as_formulas_are_defused(company, login):
    make_deal(company.rep1, company.sales, title='=HYPERLINK("http://evil")')
    _, rows = _export(login(company.rep1))
    assert rows[0]["Title"] == '\'=HYPERLINK("http://evil")'
    assert Deal.objects.get().title.startswith("=")
