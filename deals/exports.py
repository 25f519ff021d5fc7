"""CSV export of exactly the filtered deals list (docs/domain/imports.md), streamed.

One query whatever the number of rows: a ``values()`` queryset read through a server-side
cursor in chunks, so memory stays flat for any export. The headers are the ones the CSV
import recognises (in the user's language, which the import reads too), so an export can be
edited and imported back (external id, else title, organization and pipeline, find the deal
again).

Two styles (``?format=``):

- ``excel`` (the default): what a spreadsheet in the user's language opens as columns and
  numbers. German and Dutch: semicolons between columns, a decimal comma and no thousands
  separator (``12500,50``), dates as ``07.12.2026`` (German) or ``7-12-2026`` (Dutch).
  English: commas, a decimal point, ISO dates. Always UTF-8 with a BOM, so Excel picks the
  encoding.
- ``csv``: plain CSV for programs: commas, a decimal point, ISO dates, no BOM.
"""

import csv
import datetime
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext

from deals.models import Deal
from deals.selectors.filters import deals_with_figures

CHUNK_SIZE = 2000
CENTS = Decimal("0.01")
# (header, values() key)
COLUMNS = [
    (gettext_lazy("Id"), "id"),
    (gettext_lazy("External id"), "external_id"),
    (gettext_lazy("Title"), "title"),
    (gettext_lazy("Value"), "value"),
    (gettext_lazy("Currency"), None),
    (gettext_lazy("Pipeline"), "pipeline__name"),
    (gettext_lazy("Stage"), "stage__name"),
    (gettext_lazy("Owner"), "owner__username"),
    (gettext_lazy("Organization"), "organization__name"),
    (gettext_lazy("Person"), "person__name"),
    (gettext_lazy("Person email"), "person__email"),
    (gettext_lazy("Expected close date"), "expected_close_date"),
    (gettext_lazy("Status"), "status"),
    (gettext_lazy("Lost reason"), "lost_reason__name"),
    (gettext_lazy("Lost note"), "lost_note"),
    (gettext_lazy("Probability"), "probability"),
    (gettext_lazy("Weighted value"), "weighted"),
    (gettext_lazy("Stalled"), "is_stalled"),
    (gettext_lazy("Created at"), "created_at"),
    (gettext_lazy("Updated at"), "updated_at"),
    (gettext_lazy("Closed at"), "closed_at"),
]
# A cell starting with one of these is a formula to a spreadsheet (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
PLAIN, EXCEL = "csv", "excel"
FORMATS = (EXCEL, PLAIN)


@dataclass(frozen=True)
class Style:
    """How an export writes its cells (see the module's docstring)."""

    delimiter: str = ","
    decimal: str = "."
    date_format: str = ""  # a str.format pattern of ``d``; "" for ISO
    bom: bool = True
    language: str = "en"

    def amount(self, value: Decimal) -> str:
        return str(value.quantize(CENTS)).replace(".", self.decimal)

    def day(self, value: datetime.date) -> str:
        return self.date_format.format(d=value) if self.date_format else value.isoformat()

    def moment(self, value: datetime.datetime) -> str:
        if not self.date_format:
            return value.isoformat()
        local = timezone.localtime(value) if timezone.is_aware(value) else value
        return f"{self.day(local.date())} {local:%H:%M}"


# The spreadsheet conventions of each language (Excel's list separator, decimal mark and
# short date in that locale); other languages get the English style.
EXCEL_STYLES = {
    "en": Style(),
    "de": Style(delimiter=";", decimal=",", date_format="{d:%d.%m.%Y}", language="de"),
    "nl": Style(
        delimiter=";", decimal=",", date_format="{d.day}-{d.month}-{d.year}", language="nl"
    ),
}


def export_style(export_format: str | None = None, language: str | None = None) -> Style:
    """The style of an export: plain CSV, or the spreadsheet style of ``language`` (the
    active language by default)."""
    language = (language or translation.get_language() or settings.LANGUAGE_CODE)[:2]
    if export_format == PLAIN:
        return Style(bom=False, language=language)
    return EXCEL_STYLES.get(language, Style(language=language))


class _Echo:
    """A file-like object whose write returns the line, for streaming csv.writer output."""

    def write(self, value: str) -> str:
        return value


def _cell(value, style: Style, words: dict) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return words[value]
    if isinstance(value, Decimal):
        return style.amount(value)
    if isinstance(value, datetime.datetime):
        return style.moment(value)
    if isinstance(value, datetime.date):
        return style.day(value)
    text = str(value)
    if text.startswith(FORMULA_STARTS):
        # A leading apostrophe makes spreadsheets show the text; the import strips it.
        return "'" + text
    return text


def export_rows(deals: QuerySet[Deal], style: Style | None = None) -> Iterator[list[str]]:
    """The header and the rows, in ``style`` (the active language's spreadsheet style by
    default). The header and the yes/no words are read in the style's language when this is
    called, as the rows are streamed after the request's language is gone."""
    style = style or export_style()
    with translation.override(style.language):
        header = [str(label) for label, _key in COLUMNS]
        # Translators: the "Stalled" column of the CSV export.
        words = {True: pgettext("export", "yes"), False: pgettext("export", "no")}
    keys = [key for _label, key in COLUMNS if key]

    def rows() -> Iterator[list[str]]:
        yield header
        for row in deals_with_figures(deals).values(*keys).iterator(chunk_size=CHUNK_SIZE):
            yield [
                _cell(row[key], style, words) if key else settings.CURRENCY
                for _label, key in COLUMNS
            ]

    return rows()


def export_csv(deals: QuerySet[Deal], export_format: str | None = None) -> Iterator[str]:
    """The CSV text in pieces: ``export_format`` "csv" for plain CSV, else the spreadsheet
    style of the active language, with a UTF-8 BOM so that spreadsheets pick the encoding."""
    style = export_style(export_format)
    lines = export_rows(deals, style)
    writer = csv.writer(_Echo(), delimiter=style.delimiter)

    def pieces() -> Iterator[str]:
        if style.bom:
            yield "\ufeff"
        for row in lines:
            yield writer.writerow(row)

    return pieces()


def export_file_name(stamp: str) -> str:
    # Translators: the file name of the deals export, without its extension.
    return _("deals-%(stamp)s") % {"stamp": stamp}
