"""CSV import of files written in German and Dutch (docs/domain/imports.md): decimal commas,
European dates, Windows-1252 and German/Dutch column names read right by default; an amount
that reads two ways ("1.200": 1.2 or 1200?) is asked about, never guessed; the dry run shows
how the first rows were read.

Tests marked "(catalogs)" in their docstring assert German words: they pass once the lead
has compiled the translations (locale/de)."""

import datetime
import re
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import translation

from deals.csv_import.checking import import_check_start
from deals.csv_import.mapping import guess_mapping
from deals.csv_import.values import (
    guess_decimal_separator,
    parse_amount,
    parse_date,
    separator_evidence,
)
from deals.models import Deal, ImportJob
from pipelinecrm.exceptions import InvalidRequest
from tests.deals.test_import import _text, check, run_now, uploaded_job
from tests.factories import speaking


@pytest.mark.parametrize(
    ("text", "evidence"),
    [
        ("12.500,00 €", ","),
        ("1.200,50", ","),
        ("3.400.000", ","),
        ("12,5", ","),
        ("12,5k", ","),
        ("1,200.50", "."),
        ("1,200,000", "."),
        ("12.50", "."),
        ("€1.2m", "."),
        ("€ 1.200", "?"),
        ("1,200", "?"),
        ("1200", ""),
        ("EUR 1 500", ""),
        ("", ""),
    ],
)
def test_each_amount_says_what_it_can_about_the_decimal_separator(text, evidence):
    assert separator_evidence(text) == evidence


def _rows(*values):
    return [(line, ["x", value]) for line, value in enumerate(values, start=2)]


def test_the_guess_follows_the_evidence_then_the_language_and_asks_when_it_cannot_tell():
    mapping = {"value": 1}
    # "€ 1.200" alone could be 1.2; "3.400.000" in the same column settles it.
    assert guess_decimal_separator(_rows("€ 1.200", "3.400.000"), mapping).separator == ","
    assert guess_decimal_separator(_rows("1.200", "12,5"), mapping, "en").separator == ","
    assert guess_decimal_separator(_rows("1,200", "12.50"), mapping, "de").separator == "."
    # No separator in sight: the user's language decides.
    assert guess_decimal_separator(_rows("1200", "300"), mapping, "de").separator == ","
    assert guess_decimal_separator(_rows("1200", "300"), mapping, "nl").separator == ","
    assert guess_decimal_separator(_rows("1200", "300"), mapping, "en").separator == "."
    # Only amounts that read either way: nobody guesses, the user chooses.
    for language in ("en", "de", "nl"):
        guess = guess_decimal_separator(_rows("1.200", "€ 2.500", "800"), mapping, language)
        assert guess.separator == ""
        assert guess.ambiguous == ["1.200", "€ 2.500"]
    # Contradicting evidence is asked about too.
    assert guess_decimal_separator(_rows("12,5", "12.50"), mapping).separator == ""


def test_european_amounts_and_dates_are_read():
    assert parse_amount("12.500,00 €", ",") == Decimal("12500.00")
    assert parse_amount("€\u00a01.200", ",") == Decimal("1200.00")
    assert parse_amount("1.200 EUR", ",") == Decimal("1200.00")
    assert parse_amount("3.400.000", ",") == Decimal("3400000.00")
    assert parse_date("07.12.2026") == datetime.date(2026, 12, 7)
    assert parse_date("7-12-2026") == datetime.date(2026, 12, 7)
    assert parse_date("07-12-2026") == datetime.date(2026, 12, 7)
    assert parse_date("2026-12-07") == datetime.date(2026, 12, 7)


def test_german_and_dutch_column_names_are_mapped(db):
    # The database: a deals import also offers the custom fields (none here).
    german = ["Titel", "Wert", "Phase", "Organisation", "Abschlussdatum", "Verantwortlich"]
    german += ["Person", "Externe ID", "Verlustgrund"]
    assert guess_mapping("deals", german) == {
        "title": 0,
        "value": 1,
        "stage": 2,
        "owner": 5,
        "organization": 3,
        "person": 6,
        "expected_close_date": 4,
        "external_id": 7,
        "lost_reason": 8,
    }
    assert guess_mapping("deals", ["Betrag", "Inhaber"]) == {"value": 0, "owner": 1}
    dutch = ["titel", "waarde", "fase", "organisatie", "sluitingsdatum", "eigenaar", "persoon"]
    assert guess_mapping("deals", dutch) == {
        "title": 0,
        "value": 1,
        "stage": 2,
        "owner": 5,
        "organization": 3,
        "person": 6,
        "expected_close_date": 4,
    }
    assert guess_mapping("deals", ["Bedrag"]) == {"value": 0}
    assert guess_mapping("people", ["Naam", "E-Mail", "Telefon", "Firma"]) == {
        "name": 0,
        "email": 1,
        "phone": 2,
        "organization": 3,
    }


GERMAN_FILE = (
    "Titel;Wert;Phase;Organisation;Abschlussdatum\n"
    "Café Müller;12.500,00 €;Proposal;Bäckerei Groß;07.12.2031\n"
    "Zweiter Deal;800,50 €;;Bäckerei Groß;31.01.2032\n"
)


def test_a_german_excel_file_imports_right_without_asking(company, login):
    client = login(speaking(company.rep1, "de"))

    job = uploaded_job(client, GERMAN_FILE.encode("cp1252"))

    assert (job.encoding, job.delimiter) == ("Windows-1252", ";")
    assert job.mapping == {
        "title": 0,
        "value": 1,
        "stage": 2,
        "organization": 3,
        "expected_close_date": 4,
    }
    assert job.options["decimal_separator"] == ","
    assert job.options["decimal_ambiguous"] == []
    # The form as the page offers it: the guessed separator is already chosen.
    page = client.get(reverse("import-job", args=[job.pk])).content.decode()
    assert re.search(r'<input[^>]*name="decimal_separator"[^>]*value=","[^>]*checked', page)
    response = check(client, job, pipeline=company.sales.pk)
    assert response.status_code == 302, _text(response)
    job = run_now(client, job)
    assert (job.created_count, job.failed_count) == (2, 0)
    deal = Deal.objects.get(title="Café Müller")
    assert deal.value == Decimal("12500.00")
    assert deal.expected_close_date == datetime.date(2031, 12, 7)
    assert deal.organization.name == "Bäckerei Groß"
    assert Deal.objects.get(title="Zweiter Deal").value == Decimal("800.50")


def test_a_thousands_point_is_read_as_such_when_other_rows_show_a_decimal_comma(company, login):
    client = login(company.rep1)  # English: the file's evidence wins over the language
    content = "Title;Value\nSmall;€ 1.200\nBig;€ 3.400.000\nOdd;12,5\n"

    job = uploaded_job(client, content)
    assert job.options["decimal_separator"] == ","
    response = check(client, job, pipeline=company.sales.pk)
    assert response.status_code == 302, _text(response)
    run_now(client, job)

    assert Deal.objects.get(title="Small").value == Decimal("1200.00")
    assert Deal.objects.get(title="Big").value == Decimal("3400000.00")
    assert Deal.objects.get(title="Odd").value == Decimal("12.50")


def test_amounts_that_read_two_ways_are_asked_about_and_the_dry_run_waits(company, login):
    client = login(company.rep1)
    content = "Title,Value\nA,1.200\nB,€ 2.500\n"
    job = uploaded_job(client, content)
    assert job.options["decimal_separator"] == ""

    page = client.get(reverse("import-job", args=[job.pk])).content.decode()
    assert 'data-testid="decimal-ambiguous"' in page
    assert "1.200, € 2.500" in page
    assert not re.search(r'<input[^>]*name="decimal_separator"[^>]*checked', page)

    # Without a choice the dry run refuses to start, in the form and in the service.
    response = check(client, job, pipeline=company.sales.pk)
    assert response.status_code == 422
    assert "Choose the decimal separator" in _text(response)
    job.refresh_from_db()
    assert job.status == ImportJob.Status.UPLOADED
    with pytest.raises(InvalidRequest):
        import_check_start(
            job=job, mapping={"title": 0, "value": 1}, options={"decimal_separator": ""}
        )

    response = check(client, job, pipeline=company.sales.pk, decimal_separator=",")
    assert response.status_code == 302, _text(response)
    run_now(client, job)
    assert Deal.objects.get(title="A").value == Decimal("1200.00")
    assert Deal.objects.get(title="B").value == Decimal("2500.00")


def test_the_dry_run_shows_how_the_first_rows_were_read(company, login):
    client = login(company.rep1)
    content = "Title,Value,Close date\nA,€ 1.200,7-12-2031\nB,3.400.000,\nC,12abc,01.02.2032\n"
    job = uploaded_job(client, content)
    check(client, job, pipeline=company.sales.pk)

    page = client.get(reverse("import-job", args=[job.pk]))
    text = _text(page)

    assert 'data-testid="parsed-values"' in page.content.decode()
    assert "€ 1.200 → €1,200.00" in text.replace("\u00a0", " ")
    assert "3.400.000 → €3,400,000.00" in text
    assert "12abc → cannot be read" in text
    assert "7-12-2031 → Dec. 7, 2031" in text


def test_a_german_user_sees_the_parsed_amounts_in_german(company, login):
    client = login(speaking(company.rep1, "de"))
    job = uploaded_job(client, "Titel;Wert\nA;1.200,50\n")
    check(client, job, pipeline=company.sales.pk)

    text = _text(client.get(reverse("import-job", args=[job.pk]))).replace("\u00a0", " ")

    assert "1.200,50 → 1.200,50 €" in text


def test_a_dutch_file_maps_itself_and_imports(company, login):
    client = login(speaking(company.manager, "nl"))
    content = (
        "titel;waarde;fase;organisatie;sluitingsdatum;eigenaar;persoon\n"
        "Fietsen BV;€ 1.250,00;Proposal;Fietsen BV;7-12-2031;rep1;Jan Jansen\n"
    )
    job = uploaded_job(client, content)

    assert job.mapping == {
        "title": 0,
        "value": 1,
        "stage": 2,
        "owner": 5,
        "organization": 3,
        "person": 6,
        "expected_close_date": 4,
    }
    response = check(client, job, pipeline=company.sales.pk)
    assert response.status_code == 302, _text(response)
    run_now(client, job)
    deal = Deal.objects.get()
    assert (deal.value, deal.owner) == (Decimal("1250.00"), company.rep1)
    assert deal.expected_close_date == datetime.date(2031, 12, 7)


def test_the_mapping_page_speaks_german(company, login):
    """(catalogs)"""
    client = login(speaking(company.rep1, "de"))
    job = uploaded_job(client, GERMAN_FILE.encode("cp1252"))

    text = _text(client.get(reverse("import-job", args=[job.pk])))

    assert "Welche Spalte enthält was?" in text
    assert "Dezimaltrennzeichen" in text
    assert "Which column holds what?" not in text


def test_a_german_users_bad_rows_are_explained_in_german_also_by_the_worker(company, login):
    """(catalogs) The run's reasons are stored in the importer's language, though the
    worker has no request."""
    client = login(speaking(company.rep1, "de"))
    job = uploaded_job(client, "Titel;Wert\nA;100\nB;12abc\n")
    check(client, job, pipeline=company.sales.pk)
    job.refresh_from_db()
    assert job.errors[0]["reason"] == "„12abc“ ist kein Betrag."

    with translation.override("en"):
        job = run_now(client, job)

    assert job.errors == [{"line": 3, "reason": "„12abc“ ist kein Betrag."}]
