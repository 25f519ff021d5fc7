"""The deals export in the user's spreadsheet convention (docs/domain/imports.md): German
and Dutch exports open in Excel as columns with decimal commas and local dates; English
uses commas and points; ``format=csv`` is plain CSV for programs. The bytes are parsed here
as a spreadsheet would read them.

Tests marked "(catalogs)" assert German words; "(view)" needs the deals list's export view to
pass ``request.GET["format"]`` to ``export_csv`` (the lead wires it)."""

import csv
import datetime
import io
import re
from decimal import Decimal

from django.urls import reverse
from django.utils import translation

from deals.csv_import.mapping import guess_mapping
from deals.exports import export_csv
from deals.models import Deal
from tests.factories import make_deal


def _deal(company) -> Deal:
    return make_deal(
        company.rep1,
        company.sales,
        title="Acme; expansion",
        value=Decimal("12500.50"),
        expected_close_date=datetime.date(2031, 12, 7),
    )


def _bytes(language: str, export_format: str | None = None) -> bytes:
    with translation.override(language):
        pieces = export_csv(Deal.objects.order_by("pk"), export_format)
    # Streamed after the request's language is gone: the style was fixed at the call.
    with translation.override("en"):
        return "".join(pieces).encode("utf-8")


def _parse(raw: bytes, delimiter: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=delimiter))


def test_a_german_export_opens_in_a_german_excel(company):
    _deal(company)

    raw = _bytes("de")

    assert raw.startswith(b"\xef\xbb\xbf")
    header, row = _parse(raw, ";")
    assert len(header) == len(row) == 21
    assert row[2] == "Acme; expansion"
    assert row[3] == "12500,50"
    assert row[4] == "EUR"
    assert row[11] == "07.12.2031"
    assert row[16] == "1250,05"  # weighted value (10 %)
    assert re.fullmatch(r"\d\d\.\d\d\.\d{4} \d\d:\d\d", row[18])  # created at


def test_a_dutch_export_opens_in_a_dutch_excel(company):
    _deal(company)

    raw = _bytes("nl")

    assert raw.startswith(b"\xef\xbb\xbf")
    _, row = _parse(raw, ";")
    assert (row[3], row[11]) == ("12500,50", "7-12-2031")


def test_an_english_export_uses_commas_and_points(company):
    _deal(company)

    raw = _bytes("en")

    assert raw.startswith(b"\xef\xbb\xbf")
    header, row = _parse(raw, ",")
    assert header[:4] == ["Id", "External id", "Title", "Value"]
    assert (row[2], row[3], row[11]) == ("Acme; expansion", "12500.50", "2031-12-07")
    assert row[17] == "no"


def test_plain_csv_is_the_same_in_every_language(company):
    _deal(company)

    raw = _bytes("de", "csv")

    assert not raw.startswith(b"\xef\xbb\xbf")
    _, row = _parse(raw, ",")
    assert (row[3], row[11], row[16]) == ("12500.50", "2031-12-07", "1250.05")


def test_a_german_users_export_through_the_page_is_in_the_german_style(company, login):
    _deal(company)
    company.rep1.language = "de"
    company.rep1.save(update_fields=["language"])
    client = login(company.rep1)

    response = client.get(reverse("deals-export"))

    raw = b"".join(response.streaming_content)
    _, row = _parse(raw, ";")
    assert (row[3], row[11]) == ("12500,50", "07.12.2031")


def test_plain_csv_through_the_page(company, login):
    """(view)"""
    _deal(company)
    company.rep1.language = "de"
    company.rep1.save(update_fields=["language"])
    client = login(company.rep1)

    response = client.get(reverse("deals-export"), {"format": "csv"})

    raw = b"".join(response.streaming_content)
    assert not raw.startswith(b"\xef\xbb\xbf")
    _, row = _parse(raw, ",")
    assert (row[3], row[11]) == ("12500.50", "2031-12-07")


def test_german_headers_and_they_import_back(company):
    """(catalogs) The export's headers are in the user's language, and the import maps a
    German export's columns by themselves."""
    _deal(company)

    header, row = _parse(_bytes("de"), ";")

    assert header[2:5] == ["Titel", "Wert", "Währung"]
    assert row[17] == "nein"
    mapping = guess_mapping("deals", header)
    # Every column the import knows, found by its German name (Id, Currency and the
    # computed columns are the export's own).
    assert mapping == {
        "title": 2,
        "value": 3,
        "pipeline": 5,
        "stage": 6,
        "owner": 7,
        "organization": 8,
        "person": 9,
        "person_email": 10,
        "expected_close_date": 11,
        "external_id": 1,
        "status": 12,
        "lost_reason": 13,
    }
