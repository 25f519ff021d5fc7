"""Reading the cells of a CSV import: amounts, dates, and the row reader that collects every
problem of a row. The dry run and the run share these readers, so the dry run reports exactly
the rows the run will refuse.

- Amounts: the decimal separator the user picks (``.`` or ``,``); the other one, spaces and
  apostrophes group thousands; ``k`` / ``m`` multiply by a thousand / a million; currency
  symbols and codes are ignored. "12,5k" with ``,`` is 12500, "€1.2m" with ``.`` is 1200000.
  A grouping that does not fit (``12,5`` with ``.`` as decimal separator) is refused rather
  than silently read as 125.
- The decimal separator is guessed at upload from the value column (``guess_decimal_separator``):
  "12.500,00 €", "12,5" or "3.400.000" are evidence of a decimal comma, "1,200.50", "12.50" or
  "1,200,000" of a decimal point. A cell like "1.200" or "1,200" alone is no evidence (1.2 or
  1200?): when the column holds such cells and no evidence, the user must choose; with no
  separator in sight at all, the user's language decides ("," in German and Dutch).
- Dates: ISO (2025-03-31), d.m.Y (31.03.2025, German), d-m-Y (7-12-2026, Dutch), d/m/Y,
  "31 Mar 2025". Slashed dates are read day first unless the column holds a date that only
  fits month first (03/25/2025) and none that only fits day first: then the whole column is
  read month/day/year.
"""

import datetime
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from pipelines import custom_fields as types
from pipelines.models import CustomField

MAX_AMOUNT = Decimal(10) ** 12  # numeric(14, 2)
# What a spreadsheet export may put before a cell to stop it being read as a formula; our
# own export does, and strips nothing else.
FORMULA_GUARD = re.compile(r"^'(?=[=+\-@\t\r])")


class CellError(ValueError):
    """One cell cannot be read; the message is shown next to the row's line number."""


def lower(text: str) -> str:
    return text.strip().lower()


def join_names(names: Iterable[str]) -> str:
    names = list(names)
    return ", ".join(names[:12]) + (", …" if len(names) > 12 else "")


def cells_of(row: list[str], width: int) -> list[str]:
    """The row's cells, padded to the header's width; extra cells must be empty."""
    extra = row[width:]
    if any(cell.strip() for cell in extra):
        raise CellError(
            _("It has %(cells)s cells but the header names %(columns)s columns.")
            % {"cells": len(row), "columns": width}
        )
    return [FORMULA_GUARD.sub("", cell.strip()) for cell in row[:width]] + [""] * (width - len(row))


# The fields a row reader reads, as an error message names them.
FIELD_LABELS = {
    "title": gettext_lazy("title"),
    "external_id": gettext_lazy("external id"),
    "pipeline": gettext_lazy("pipeline"),
    "stage": gettext_lazy("stage"),
    "owner": gettext_lazy("owner"),
    "organization": gettext_lazy("organization"),
    "person": gettext_lazy("contact person"),
    "person_email": gettext_lazy("contact's email"),
    "status": gettext_lazy("status"),
    "lost_reason": gettext_lazy("lost reason"),
    "name": gettext_lazy("name"),
    "email": gettext_lazy("email"),
    "phone": gettext_lazy("phone"),
    "domain": gettext_lazy("domain"),
}


def field_label(name: str) -> str:
    return str(FIELD_LABELS.get(name, name.replace("_", " ")))


CURRENCY_SIGNS = "€$£¥₹₽₩₪₺₴฿₫₦₱"
_CURRENCY = re.compile(
    rf"^\s*(?:[{CURRENCY_SIGNS}]|[A-Za-z]{{3}}(?=[\s\d]))|[{CURRENCY_SIGNS}]\s*$"
)
_CURRENCY_CODE_AFTER = re.compile(r"\s+[A-Za-z]{3}\s*$")
_AMOUNT = re.compile(r"(?P<number>[\d.,' ]*\d[\d.,' ]*)\s*(?P<suffix>[kKmM])?")
MULTIPLIERS = {"k": Decimal(1000), "m": Decimal(1_000_000)}


def parse_amount(text: str, decimal_separator: str) -> Decimal | None:
    text = text.replace("\u00a0", " ").replace("\u202f", " ").strip()
    if not text:
        return None
    if text.startswith(("-", "(")) or "-" in text:
        raise CellError(_("“%(text)s”: a deal's value cannot be negative.") % {"text": text})
    bare = _CURRENCY_CODE_AFTER.sub("", _CURRENCY.sub("", text)).strip()
    bare = re.sub(rf"[{CURRENCY_SIGNS}]", "", bare).strip()
    match = _AMOUNT.fullmatch(bare)
    if not match:
        raise CellError(_("“%(text)s” is not an amount.") % {"text": text})
    number = match["number"].replace(" ", "").replace("'", "")
    grouping = "," if decimal_separator == "." else "."
    whole, _mark, fraction = number.partition(decimal_separator)
    if decimal_separator in fraction or grouping in fraction:
        raise CellError(
            _(
                "“%(text)s” does not read as an amount with “%(separator)s” as the decimal "
                "separator."
            )
            % {"text": text, "separator": decimal_separator}
        )
    groups = whole.split(grouping)
    if len(groups) > 1 and (not 1 <= len(groups[0]) <= 3 or any(len(g) != 3 for g in groups[1:])):
        raise CellError(
            _(
                "“%(text)s” does not read as an amount with “%(separator)s” as the decimal "
                "separator; is the decimal separator “%(other)s”? Change it in the mapping."
            )
            % {"text": text, "separator": decimal_separator, "other": grouping}
        )
    digits = "".join(groups) or "0"
    try:
        amount = Decimal(f"{digits}.{fraction}" if fraction else digits)
    except InvalidOperation:
        raise CellError(_("“%(text)s” is not an amount.") % {"text": text}) from None
    if match["suffix"]:
        amount *= MULTIPLIERS[match["suffix"].lower()]
    amount = amount.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    if amount >= MAX_AMOUNT:
        raise CellError(_("“%(text)s” is too large for a deal's value.") % {"text": text})
    return amount


_SLASHED = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")
_DOTTED = re.compile(r"(\d{1,2})\.(\d{1,2})\.(\d{4})")
_DASHED = re.compile(r"(\d{1,2})-(\d{1,2})-(\d{4})")
_ISO = re.compile(r"(\d{4})[-/](\d{1,2})[-/](\d{1,2})(?:[T ].*)?")
WORDY_FORMATS = ("%d %b %Y", "%d %B %Y", "%b %d %Y", "%B %d %Y", "%d-%b-%Y")


def date_help() -> str:
    return _("Use a date like 2025-03-31, 31.03.2025, 31-3-2025 or 31/03/2025.")


def slashed_date_order(values: Iterable[str]) -> str:
    """ "mdy" when some slashed date only fits month first and none only fits day first."""
    day_first = month_first = False
    for value in values:
        match = _SLASHED.fullmatch(value.strip())
        if match:
            first, second = int(match[1]), int(match[2])
            day_first |= first > 12
            month_first |= second > 12
    return "mdy" if month_first and not day_first else "dmy"


def parse_date(text: str, order: str = "dmy") -> datetime.date | None:
    text = text.strip()
    if not text:
        return None
    try:
        if match := _ISO.fullmatch(text):
            return datetime.date(int(match[1]), int(match[2]), int(match[3]))
        if match := _DOTTED.fullmatch(text) or _DASHED.fullmatch(text):
            return datetime.date(int(match[3]), int(match[2]), int(match[1]))
        if match := _SLASHED.fullmatch(text):
            first, second, year = int(match[1]), int(match[2]), int(match[3])
            day, month = (second, first) if order == "mdy" else (first, second)
            return datetime.date(year, month, day)
    except ValueError:
        raise CellError(
            _("“%(text)s” is not a date that exists.") % {"text": text} + " " + date_help()
        ) from None
    cleaned = text.replace(",", " ").replace("  ", " ")
    for pattern in WORDY_FORMATS:
        try:
            return datetime.datetime.strptime(cleaned, pattern).date()  # noqa: DTZ007
        except ValueError:
            continue
    raise CellError(_("“%(text)s” is not a date.") % {"text": text} + " " + date_help())


def describe_date_order(order: str) -> str:
    if order == "mdy":
        return _("Dates with slashes are read month/day/year (e.g. 03/04/2025 is 4 March 2025).")
    return _("Dates with slashes are read day/month/year (e.g. 03/04/2025 is 3 April 2025).")


# The decimal separator a language writes amounts with, when a file gives no evidence.
LANGUAGE_DECIMAL_SEPARATORS = {"de": ",", "nl": ","}
_NUMBER = re.compile(r"\d[\d.,' ]*")


def separator_evidence(text: str) -> str:
    """What one cell says about the decimal separator: "," or "." when it can only be read
    one way, "?" when it reads either way ("1.200": 1.2 or 1200?), "" when it says nothing
    (no separator, or not an amount)."""
    text = text.replace("\u00a0", " ").replace("\u202f", " ")
    match = _NUMBER.search(text)
    if not match:
        return ""
    number = match[0].replace(" ", "").replace("'", "").rstrip(".,")
    points, commas = number.count("."), number.count(",")
    if points and commas:
        return "," if number.rfind(",") > number.rfind(".") else "."
    if not points and not commas:
        return ""
    mark = "." if points else ","
    other = "," if mark == "." else "."
    if points + commas > 1:
        return other  # 3.400.000: the mark groups thousands
    whole, fraction = number.split(mark)
    if len(fraction) != 3 or whole in ("", "0") or len(whole) > 3:
        return mark  # 12,5 or 12.50 or 0.125 or 1250.000: the mark is the decimal one
    return "?"


@dataclass
class SeparatorGuess:
    """The guessed decimal separator ("," or "."), or "" when the user must choose; and the
    cells that could be read either way, to explain why."""

    separator: str
    ambiguous: list[str] = field(default_factory=list)


def guess_decimal_separator(
    rows: list[tuple[int, list[str]]], mapping: dict[str, int], language: str = "en"
) -> SeparatorGuess:
    """The separator the value column's cells show; the user's language when they show none;
    "" (the user chooses) when some cells read either way and none settles it."""
    default = LANGUAGE_DECIMAL_SEPARATORS.get((language or "en")[:2], ".")
    index = mapping.get("value")
    if index is None:
        return SeparatorGuess(default)
    evidence: dict[str, list[str]] = {",": [], ".": [], "?": []}
    for _line, cells in rows:
        if index < len(cells):
            found = separator_evidence(cells[index])
            if found:
                evidence[found].append(cells[index].strip())
    comma, point, either = evidence[","], evidence["."], evidence["?"]
    if comma and not point:
        return SeparatorGuess(",")
    if point and not comma:
        return SeparatorGuess(".")
    if comma and point:
        return SeparatorGuess("", ambiguous=(comma[:2] + point[:2]))
    if either:
        return SeparatorGuess("", ambiguous=either[:3])
    return SeparatorGuess(default)


@dataclass
class RowReader:
    """Reads the mapped cells of one row into plain values, collecting every problem."""

    mapping: dict[str, int]
    width: int
    decimal_separator: str = "."
    date_order: str = "dmy"
    errors: list[str] = field(default_factory=list)

    def start(self, row: list[str]) -> list[str] | None:
        self.errors = []
        try:
            return cells_of(row, self.width)
        except CellError as error:
            self.errors.append(str(error))
            return None

    def text(self, cells: list[str], name: str, max_length: int = 200) -> str:
        index = self.mapping.get(name)
        value = cells[index] if index is not None else ""
        if len(value) > max_length:
            self.errors.append(
                _("The %(field)s is longer than %(max)s characters.")
                % {"field": field_label(name), "max": max_length}
            )
            return value[:max_length]
        return value

    def amount(self, cells: list[str], name: str) -> Decimal | None:
        try:
            return parse_amount(self.text(cells, name), self.decimal_separator)
        except CellError as error:
            self.errors.append(str(error))
            return None

    def date(self, cells: list[str], name: str) -> datetime.date | None:
        try:
            return parse_date(self.text(cells, name), self.date_order)
        except CellError as error:
            self.errors.append(str(error))
            return None

    def custom(self, field: CustomField, text: str):
        """A custom field's cell as the field's Python value (ValidationError if it is not
        one): dates read as the close-date column is, in the file's date order; the rest
        by the field's type, with the file's decimal separator
        (docs/domain/custom-fields.md)."""
        if field.type == CustomField.Type.DATE:
            try:
                return types.clean(field, parse_date(text, self.date_order))
            except CellError as error:
                raise ValidationError(str(error)) from None
        return types.from_text(field, text, decimal_separator=self.decimal_separator)

    def column_values(self, rows: Iterable[tuple[int, list[str]]], name: str) -> Iterator[str]:
        index = self.mapping.get(name)
        if index is None:
            return iter(())
        return (cells[index] for _, cells in rows if index < len(cells))
