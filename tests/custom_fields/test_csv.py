"""Custom fields in the CSV export and import (docs/domain/custom-fields.md, "Lists,
filters, CSV"; docs/domain/imports.md): a column per active field, each type written in the
export's style and read back per type and locale; bad cells are row errors naming the
field; an exported file imports back to the same values."""

import csv
import datetime
import io
from decimal import Decimal

import pytest
from django.urls import reverse

from deals.models import Deal, DealEvent
from pipelines.models import CustomField
from tests.custom_fields import list_data
from tests.deals.test_import import _text, check, import_file, run_now, uploaded_job
from tests.factories import make_custom_field, make_deal, reload, speaking

Type = CustomField.Type
fields = list_data.fields


@pytest.fixture
def values(company):
    """A value of every type, as the services take them."""
    return {
        "competitor_note": "=SUM(A1) is no formula",
        "background": "Met at the fair;\nliked the demo",
        "term_months": Decimal("-3.5"),
        "budget": Decimal("12500.50"),
        "tender_deadline": datetime.date(2026, 12, 7),
        "competitor": "globex",
        "products": ["crm", "bi"],
        "budget_confirmed": True,
        "technical_contact": company.rep2.pk,
        "tender_page": "https://tenders.example/4711",
    }


def exported(client, **params) -> tuple[str, list[dict]]:
    response = client.get(reverse("deals-export"), params)
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode("utf-8").removeprefix("\ufeff")
    delimiter = ";" if text.split("\n", 1)[0].count(";") > 3 else ","
    return text, list(csv.DictReader(io.StringIO(text), delimiter=delimiter))


def test_the_plain_export_writes_each_type_plainly(company, fields, values, login):
    make_deal(company.rep1, company.sales, title="typed", custom_fields=values)
    make_deal(company.rep1, company.sales, title="bare")
    _, rows = exported(login(company.rep1), format="csv", sort="title")
    bare, typed = rows
    assert list(typed)[-10:] == [
        "Competitor note",
        "Background",
        "Term months",
        "Budget",
        "Tender deadline",
        "Competitor",
        "Products",
        "Budget confirmed",
        "Technical contact",
        "Tender page",
    ]
    assert typed["Competitor note"] == "'=SUM(A1) is no formula"  # never a formula
    assert typed["Background"] == "Met at the fair;\nliked the demo"
    assert typed["Term months"] == "-3.5"
    assert typed["Budget"] == "12500.50"
    assert typed["Tender deadline"] == "2026-12-07"
    assert typed["Competitor"] == "Globex"
    assert typed["Products"] == "CRM; BI"
    assert typed["Budget confirmed"] == "yes"
    assert typed["Technical contact"] == "rep2"
    assert typed["Tender page"] == "https://tenders.example/4711"
    assert all(bare[name] == "" for name in list(bare)[-10:])


def test_the_excel_export_writes_them_the_languages_way(company, fields, values, login):
    speaking(company.rep1, "de")
    make_deal(company.rep1, company.sales, title="typed", custom_fields=values)
    text, (row,) = exported(login(company.rep1))
    assert text.split("\n", 1)[0].startswith("ID;")
    assert row["Budget"] == "12500,50"
    assert row["Term months"] == "-3,5"
    assert row["Tender deadline"] == "07.12.2026"
    assert row["Budget confirmed"] == "ja"
    assert row["Products"] == "CRM; BI"


def test_archived_fields_and_hidden_values_are_not_exported(company, fields, values, login):
    notes = make_custom_field("Renewal notes", Type.TEXT, pipeline=company.private)
    make_deal(company.rep1, company.sales, title="sales", custom_fields=values)
    fields["background"].is_archived = True
    fields["background"].save()
    moved = make_deal(company.rep1, company.private, title="moved", custom_fields={notes.key: "x"})
    Deal.objects.filter(pk=moved.pk).update(
        pipeline=company.sales, stage=company.stages[0], position=99
    )
    client = login(company.rep1)
    _, rows = exported(client, format="csv", sort="title")
    assert "Background" not in rows[0]
    assert {row["Title"]: row["Renewal notes"] for row in rows} == {"moved": "", "sales": ""}
    # Filtered by a pipeline: that pipeline's fields and those of every pipeline.
    _, rows = exported(client, format="csv", pipeline=company.private.pk)
    assert rows == []
    header = client.get(reverse("deals-export"), {"format": "csv", "pipeline": company.private.pk})
    first_line = b"".join(header.streaming_content).decode().split("\r\n")[0]
    assert first_line.endswith(",Budget,Competitor,Renewal notes")


@pytest.mark.parametrize("style", ["csv", "excel"])
def test_an_export_imports_back_to_the_same_values(company, fields, values, login, style):
    speaking(company.rep1, "de")
    deals = [
        make_deal(company.rep1, company.sales, title="typed", custom_fields=values),
        make_deal(
            company.rep1,
            company.sales,
            title="some",
            custom_fields={"budget": Decimal("900"), "budget_confirmed": False},
        ),
    ]
    before = {deal.pk: reload(deal).custom_fields for deal in deals}
    client = login(company.rep1)
    text, _rows = exported(client, format=style)
    Deal.objects.update(custom_fields={})

    job = import_file(client, text)

    assert (job.updated_count, job.failed_count, job.errors) == (2, 0, [])
    assert {deal.pk: reload(deal).custom_fields for deal in deals} == before


GERMAN_FILE = (
    "Titel;Pipeline;Competitor note;Background;Term months;Budget;Tender deadline;Competitor;"
    "Products;budget_confirmed;Technical contact;Tender page\n"
    "Erster;Sales;günstiger;lang;-3,5;12.500,50;07.12.2026;globex;CRM; BI;ja;rep2;"
    "tenders.example/1\n"
    "Zweiter;Sales;;;24;900;7-1-2027;Initech;erp;nein;rep1@example.com;\n"
)


def test_a_german_file_is_read_per_type_and_locale(company, fields, login):
    speaking(company.rep1, "de")
    client = login(company.rep1)
    job = uploaded_job(client, GERMAN_FILE.replace("CRM; BI", '"CRM; BI"'))
    # Every field is offered and guessed from its name or key (budget_confirmed).
    assert {f"cf_{field.key}" for field in fields.values()} <= set(job.mapping)
    # No value column: the decimal separator is the language's.
    assert job.options["decimal_separator"] == ","
    response = check(client, job)
    assert response.status_code == 302, _text(response)
    job.refresh_from_db()
    assert job.errors == []
    page = client.get(reverse("import-job", args=[job.pk])).content.decode()
    assert 'data-testid="parsed-custom">12.500,50' in page  # the dry run shows what it read
    assert 'data-testid="parsed-custom">07.12.2026' in page

    job = run_now(client, job)

    assert (job.created_count, job.failed_count) == (2, 0)
    first = Deal.objects.get(title="Erster").custom_fields
    assert first == {
        "competitor_note": "günstiger",
        "background": "lang",
        "term_months": "-3.5",
        "budget": "12500.5",
        "tender_deadline": "2026-12-07",
        "competitor": "globex",
        "products": ["crm", "bi"],
        "budget_confirmed": True,
        "technical_contact": company.rep2.pk,
        "tender_page": "https://tenders.example/1",
    }
    second = Deal.objects.get(title="Zweiter").custom_fields
    assert second == {
        "term_months": "24",
        "budget": "900",
        "tender_deadline": "2027-01-07",
        "competitor": "initech",
        "products": ["erp"],
        "budget_confirmed": False,
        "technical_contact": company.rep1.pk,
    }


def test_a_bad_cell_is_a_row_error_naming_the_field_and_the_good_rows_are_kept(
    company, fields, login
):
    make_custom_field("Renewal term", Type.NUMBER, pipeline=company.private)
    client = login(company.rep1)
    job = uploaded_job(
        client,
        "Title,Pipeline,Budget,Competitor,Budget confirmed,Technical contact,Renewal term\n"
        "good,Sales,100,Acme,yes,rep2,\n"
        "money,Sales,lots,,,,\n"
        "option,Sales,,Hooli,,,\n"
        "yesno,Sales,,,maybe,,\n"
        "user,Sales,,,,nobody,\n"
        "other pipeline,Sales,,,,,12\n",
    )
    assert check(client, job).status_code == 302
    job.refresh_from_db()
    reasons = {error["line"]: error["reason"] for error in job.errors}
    assert reasons == {
        3: "Budget “lots”: Enter a number.",
        4: "Competitor “Hooli”: “Hooli” is not an option of Competitor.",
        5: "Budget confirmed “maybe”: Write yes or no.",
        6: "Technical contact “nobody”: No active user “nobody”.",
        7: "Renewal term is not a field of the pipeline Sales.",
    }
    job = run_now(client, job)
    assert (job.created_count, job.failed_count) == (1, 5)
    assert Deal.objects.get().custom_fields == {
        "budget": "100",
        "competitor": "acme",
        "budget_confirmed": True,
        "technical_contact": company.rep2.pk,
    }


def test_an_update_by_external_id_sets_values_through_the_edit_path(company, fields, login):
    deal = make_deal(
        company.rep1,
        company.sales,
        external_id="CRM-1",
        custom_fields={"budget": Decimal("100"), "competitor": "acme"},
    )
    client = login(company.rep1)
    job = import_file(client, "External id,Budget,Competitor\nCRM-1,250,\n", company.sales)
    assert (job.updated_count, job.failed_count) == (1, 0)
    # An empty cell leaves the value as it is.
    assert reload(deal).custom_fields == {"budget": "250", "competitor": "acme"}
    event = DealEvent.objects.filter(deal=deal, kind=DealEvent.Kind.EDITED).get()
    assert event.data["custom_field"] == "budget"
    assert (event.data["old_value"], event.data["new_value"]) == ("100", "250")
    again = import_file(client, "External id,Budget\nCRM-1,250\n", company.sales)
    assert job.results[0]["outcome"] == "updated"
    assert again.results[0]["outcome"] == "unchanged"


def test_the_mapping_step_offers_the_fields_with_their_type_and_pipeline(company, fields, login):
    client = login(company.rep1)
    job = uploaded_job(client, "Title,Pipeline,Spalte\nA,Sales,1\n")
    page = client.get(reverse("import-job", args=[job.pk])).content.decode()
    assert 'name="map_cf_budget"' in page
    assert 'name="map_cf_term_months"' in page
    assert "Number; on the deals of Sales only" in page
    assert job.mapping == {"title": 0, "pipeline": 1}
    fields["budget"].is_archived = True
    fields["budget"].save()
    page = client.get(reverse("import-job", args=[job.pk])).content.decode()
    assert 'name="map_cf_budget"' not in page


def test_a_field_archived_after_the_check_fails_the_rows_that_fill_it(company, fields, login):
    client = login(company.rep1)
    job = uploaded_job(client, "Title,Pipeline,Budget\nA,Sales,100\nB,Sales,\n")
    assert check(client, job).status_code == 302
    job.refresh_from_db()
    fields["budget"].is_archived = True
    fields["budget"].save()
    job = run_now(client, job)
    assert (job.created_count, job.failed_count) == (1, 1)
    assert job.errors == [
        {
            "line": 2,
            "reason": "The custom field “budget” is archived or deleted: it cannot be imported.",
        }
    ]
