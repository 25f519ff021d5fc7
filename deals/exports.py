"""CSV export of exactly the filtered deals list (docs/domain/imports.md), streamed.

One query whatever the number of rows: a ``values()`` queryset read through a server-side
cursor in chunks, so memory stays flat for any export. The headers are the ones the CSV
import recognises, so an export can be edited and imported back (external id, else title,
organization and pipeline, find the deal again).
"""

import csv
from collections.abc import Iterator
from decimal import Decimal

from django.conf import settings
from django.db.models import QuerySet

from deals.models import Deal
from deals.selectors.filters import deals_with_figures

CHUNK_SIZE = 2000
CENTS = Decimal("0.01")
# (header, values() key)
COLUMNS = [
    ("Id", "id"),
    ("External id", "external_id"),
    ("Title", "title"),
    ("Value", "value"),
    ("Currency", None),
    ("Pipeline", "pipeline__name"),
    ("Stage", "stage__name"),
    ("Owner", "owner__username"),
    ("Organization", "organization__name"),
    ("Person", "person__name"),
    ("Person email", "person__email"),
    ("Expected close date", "expected_close_date"),
    ("Status", "status"),
    ("Lost reason", "lost_reason__name"),
    ("Lost note", "lost_note"),
    ("Probability", "probability"),
    ("Weighted value", "weighted"),
    ("Stalled", "is_stalled"),
    ("Created at", "created_at"),
    ("Updated at", "updated_at"),
    ("Closed at", "closed_at"),
]
# A cell starting with one of these is a formula to a spreadsheet (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class _Echo:
    """A file-like object whose write returns the line, for streaming csv.writer output."""

    def write(self, value: str) -> str:
        return value


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, Decimal):
        return str(value.quantize(CENTS))
    if hasattr(value, "isoformat"):
        return value.isoformat()
    text = str(value)
    if text.startswith(FORMULA_STARTS):
        # A leading apostrophe makes spreadsheets show the text; the import strips it.
        return "'" + text
    return text


def export_rows(deals: QuerySet[Deal]) -> Iterator[list[str]]:
    keys = [key for _, key in COLUMNS if key]
    rows = deals_with_figures(deals).values(*keys).iterator(chunk_size=CHUNK_SIZE)
    yield [header for header, _ in COLUMNS]
    for row in rows:
        yield [_cell(row[key]) if key else settings.CURRENCY for _, key in COLUMNS]


def export_csv(deals: QuerySet[Deal]) -> Iterator[str]:
    """The CSV text in pieces, a UTF-8 BOM first so that spreadsheets pick the encoding."""
    writer = csv.writer(_Echo())
    yield "\ufeff"
    for row in export_rows(deals):
        yield writer.writerow(row)
