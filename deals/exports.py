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

Then one column per active custom field of the list (docs/domain/custom-fields.md, "Lists,
filters, CSV"), headed by the field's name (the import maps it back by name or key), written
in the same style: numbers and money with the style's decimal mark, dates as the style's
dates, options by label (several as "CRM; BI"), yes/no as the "Stalled" column writes them
(the export's yes/no in the language), users by username. A deal shows no value of a field
its pipeline does not have.
"""

import csv
import datetime
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext

from accounts.models import User
from deals.models import Deal
from deals.selectors.filters import deals_with_figures
from pipelines import custom_fields as types
from pipelines.models import CustomField

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


def custom_cell(
    field: CustomField, stored: Any, style: Style, words: dict, usernames: dict[int, str]
) -> str:
    """A custom field's value in the export's ``style`` (see the module's docstring)."""
    value = types.to_python(field, stored)
    if value is None:
        return ""
    if field.type == CustomField.Type.MONEY:
        return style.amount(value)
    if field.type == CustomField.Type.NUMBER:
        return format(value, "f").replace(".", style.decimal)
    if field.type == CustomField.Type.DATE:
        return style.day(value)
    if field.type == CustomField.Type.YES_NO:
        return words[value]
    if field.type == CustomField.Type.USER:
        return usernames.get(value, str(value))
    if field.type in types.CHOICE_TYPES:
        labels = types.option_labels(field)
        keys = value if isinstance(value, list) else [value]
        value = "; ".join(labels.get(key, key) for key in keys)
    return _cell(str(value), style, words)


def export_rows(
    deals: QuerySet[Deal], style: Style | None = None, fields: Sequence[CustomField] = ()
) -> Iterator[list[str]]:
    """The header and the rows, in ``style`` (the active language's spreadsheet style by
    default), with a column per custom field of ``fields``. The header and the yes/no words
    are read in the style's language when this is called, as the rows are streamed after the
    request's language is gone."""
    style = style or export_style()
    with translation.override(style.language):
        header = [str(label) for label, _key in COLUMNS] + [field.name for field in fields]
        # Translators: the "Stalled" column of the CSV export, and yes/no custom fields.
        words = {True: pgettext("export", "yes"), False: pgettext("export", "no")}
    keys = [key for _label, key in COLUMNS if key]
    if fields:
        keys += ["pipeline_id", "custom_fields"]
    usernames: dict[int, str] = {}
    if any(field.type == CustomField.Type.USER for field in fields):
        # Every user a user field may name, once: not a query per row.
        usernames = dict(User.objects.values_list("pk", "username"))

    def rows() -> Iterator[list[str]]:
        yield header
        for row in deals_with_figures(deals).values(*keys).iterator(chunk_size=CHUNK_SIZE):
            cells = [
                _cell(row[key], style, words) if key else settings.CURRENCY
                for _label, key in COLUMNS
            ]
            for field in fields:
                # A value of a field the deal's pipeline lacks (kept from another pipeline)
                # is hidden here as everywhere.
                shown = field.pipeline_id in (None, row["pipeline_id"])
                stored = row["custom_fields"].get(field.key) if shown else None
                cells.append(custom_cell(field, stored, style, words, usernames))
            yield cells

    return rows()


def export_csv(
    deals: QuerySet[Deal],
    export_format: str | None = None,
    fields: Sequence[CustomField] = (),
) -> Iterator[str]:
    """The CSV text in pieces: ``export_format`` "csv" for plain CSV, else the spreadsheet
    style of the active language, with a UTF-8 BOM so that spreadsheets pick the encoding;
    a column per custom field of ``fields``."""
    style = export_style(export_format)
    lines = export_rows(deals, style, fields)
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
