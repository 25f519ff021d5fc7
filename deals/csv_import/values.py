"""Reading the cells of a CSV import: amounts, dates, and the row reader that collects every
problem of a row. The dry run and the run share these readers, so the dry run reports exactly
the rows the run will refuse.

- Amounts: the decimal separator the user picks (``.`` or ``,``); the other one, spaces and
  apostrophes group thousands; ``k`` / ``m`` multiply by a thousand / a million; currency
  symbols and codes are ignored. "12,5k" with ``,`` is 12500, "€1.2m" with ``.`` is 1200000.
  A grouping that does not fit (``12,5`` with ``.`` as decimal separator) is refused rather
  than silently read as 125.
- Dates: ISO (2025-03-31), d.m.Y (31.03.2025), d/m/Y, "31 Mar 2025". Slashed dates are read
  day first unless the column holds a date that only fits month first (03/25/2025) and none
  that only fits day first: then the whole column is read month/day/year.
"""

import datetime
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

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
        raise CellError(f"It has {len(row)} cells but the header names {width} columns.")
    return [FORMULA_GUARD.sub("", cell.strip()) for cell in row[:width]] + [""] * (width - len(row))


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
        raise CellError(f"“{text}”: a deal's value cannot be negative.")
    bare = _CURRENCY_CODE_AFTER.sub("", _CURRENCY.sub("", text)).strip()
    bare = re.sub(rf"[{CURRENCY_SIGNS}]", "", bare).strip()
    match = _AMOUNT.fullmatch(bare)
    if not match:
        raise CellError(f"“{text}” is not an amount.")
    number = match["number"].replace(" ", "").replace("'", "")
    grouping = "," if decimal_separator == "." else "."
    whole, _, fraction = number.partition(decimal_separator)
    if decimal_separator in fraction or grouping in fraction:
        raise CellError(
            f"“{text}” does not read as an amount with “{decimal_separator}” as the decimal "
            "separator."
        )
    groups = whole.split(grouping)
    if len(groups) > 1 and (not 1 <= len(groups[0]) <= 3 or any(len(g) != 3 for g in groups[1:])):
        raise CellError(
            f"“{text}” does not read as an amount with “{decimal_separator}” as the decimal "
            f"separator; is the decimal separator “{grouping}”? Change it in the mapping."
        )
    digits = "".join(groups) or "0"
    try:
        amount = Decimal(f"{digits}.{fraction}" if fraction else digits)
    except InvalidOperation:
        raise CellError(f"“{text}” is not an amount.") from None
    if match["suffix"]:
        amount *= MULTIPLIERS[match["suffix"].lower()]
    amount = amount.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    if amount >= MAX_AMOUNT:
        raise CellError(f"“{text}” is too large for a deal's value.")
    return amount


_SLASHED = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")
_DOTTED = re.compile(r"(\d{1,2})\.(\d{1,2})\.(\d{4})")
_ISO = re.compile(r"(\d{4})[-/](\d{1,2})[-/](\d{1,2})(?:[T ].*)?")
WORDY_FORMATS = ("%d %b %Y", "%d %B %Y", "%b %d %Y", "%B %d %Y", "%d-%b-%Y")
DATE_HELP = "Use a date like 2025-03-31, 31.03.2025 or 31/03/2025."


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
        if match := _DOTTED.fullmatch(text):
            return datetime.date(int(match[3]), int(match[2]), int(match[1]))
        if match := _SLASHED.fullmatch(text):
            first, second, year = int(match[1]), int(match[2]), int(match[3])
            day, month = (second, first) if order == "mdy" else (first, second)
            return datetime.date(year, month, day)
    except ValueError:
        raise CellError(f"“{text}” is not a date that exists. {DATE_HELP}") from None
    cleaned = text.replace(",", " ").replace("  ", " ")
    for pattern in WORDY_FORMATS:
        try:
            return datetime.datetime.strptime(cleaned, pattern).date()  # noqa: DTZ007
        except ValueError:
            continue
    raise CellError(f"“{text}” is not a date. {DATE_HELP}")


def describe_date_order(order: str) -> str:
    if order == "mdy":
        return "Dates with slashes are read month/day/year (e.g. 03/04/2025 is 4 March 2025)."
    return "Dates with slashes are read day/month/year (e.g. 03/04/2025 is 3 April 2025)."


_DECIMAL_COMMA = re.compile(r"\d,\d{1,2}(?:\s*[kKmM])?\s*$")
_DECIMAL_POINT = re.compile(r"\d\.\d{1,2}(?:\s*[kKmM])?\s*$")


def guess_decimal_separator(rows: list[tuple[int, list[str]]], mapping: dict[str, int]) -> str:
    """ "," when the value column's amounts look like 12,50 and none like 12.50."""
    index = mapping.get("value")
    if index is None:
        return "."
    values = [cells[index] for _, cells in rows if index < len(cells)]
    comma = any(_DECIMAL_COMMA.search(v) for v in values)
    point = any(_DECIMAL_POINT.search(v) for v in values)
    return "," if comma and not point else "."


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
            self.errors.append(f"The {name.replace('_', ' ')} is longer than {max_length}.")
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

    def column_values(self, rows: Iterable[tuple[int, list[str]]], name: str) -> Iterator[str]:
        index = self.mapping.get(name)
        if index is None:
            return iter(())
        return (cells[index] for _, cells in rows if index < len(cells))
