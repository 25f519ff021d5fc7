"""CSV import (PRODUCT.md §9): reading the file, reading its values, the column mapping.

Everything here is about understanding the file; nothing writes. The dry run and the run
itself (``deals/services/imports.py``) share these readers, so the dry run reports exactly
the rows the run will refuse.

Choices made for the user, and shown to them:

- Encoding: UTF-8 (with or without BOM), UTF-16 with a BOM; otherwise Windows-1252, then
  Latin-1, with a notice to check accented letters in the preview.
- Separator between columns: sniffed among ``,`` ``;`` tab and ``|`` (the user may change it).
- Amounts: the decimal separator the user picks (``.`` or ``,``); the other one, spaces and
  apostrophes group thousands; ``k`` / ``m`` multiply by a thousand / a million; currency
  symbols and codes are ignored. "12,5k" with ``,`` is 12500, "€1.2m" with ``.`` is 1200000.
  A grouping that does not fit (``12,5`` with ``.`` as decimal separator) is refused rather
  than silently read as 125.
- Dates: ISO (2025-03-31), d.m.Y (31.03.2025), d/m/Y, "31 Mar 2025". Slashed dates are read
  day first unless the column holds a date that only fits month first (03/25/2025) and none
  that only fits day first: then the whole column is read month/day/year.
"""

import csv
import datetime
import io
import re
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from deals.models import ImportJob

PREVIEW_ROWS = 5
SNIFF_BYTES = 64 * 1024
DELIMITERS = {",": "comma (,)", ";": "semicolon (;)", "\t": "tab", "|": "bar (|)"}
# Names for forms: a tab in an HTML option's value does not survive every browser.
DELIMITER_CODES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "bar"}
MAX_AMOUNT = Decimal(10) ** 12  # numeric(14, 2)
# What a spreadsheet export may put before a cell to stop it being read as a formula; our
# own export does, and strips nothing else.
FORMULA_GUARD = re.compile(r"^'(?=[=+\-@\t\r])")


class ImportFileError(Exception):
    """The file as a whole cannot be imported; the message says why and what to do."""


class CellError(ValueError):
    """One cell cannot be read; the message is shown next to the row's line number."""


# -- the file -----------------------------------------------------------------------------


@dataclass
class DecodedFile:
    text: str
    encoding: str
    notice: str = ""


def decode(raw: bytes) -> DecodedFile:
    if raw.startswith(b"PK\x03\x04"):
        raise ImportFileError(
            "This looks like an Excel workbook, not a CSV file. Save it as CSV (File › Save "
            "as › CSV UTF-8) and upload that."
        )
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return DecodedFile(raw.decode("utf-16"), "UTF-16")
        except UnicodeDecodeError:
            raise ImportFileError("The file starts like UTF-16 but is not valid UTF-16.") from None
    try:
        encoding = "UTF-8 with BOM" if raw.startswith(b"\xef\xbb\xbf") else "UTF-8"
        return DecodedFile(raw.decode("utf-8-sig"), encoding)
    except UnicodeDecodeError as error:
        position = error.start
    line = raw[:position].count(b"\n") + 1
    try:
        text, encoding = raw.decode("cp1252"), "Windows-1252"
    except UnicodeDecodeError:
        text, encoding = raw.decode("latin-1"), "Latin-1 (ISO-8859-1)"
    return DecodedFile(
        text,
        encoding,
        notice=(
            f"The file is not UTF-8 (first non-UTF-8 byte on line {line}), so it was read as "
            f"{encoding}. Check that accented letters look right in the preview; if not, "
            "save the file as “CSV UTF-8” and upload it again."
        ),
    )


def sniff_delimiter(text: str) -> str:
    sample = text[:SNIFF_BYTES]
    try:
        return csv.Sniffer().sniff(sample, delimiters="".join(DELIMITERS)).delimiter
    except csv.Error:
        first_line = sample.split("\n", 1)[0]
        counts = {d: first_line.count(d) for d in DELIMITERS}
        best = max(counts, key=counts.get)
        return best if counts[best] else ","


@dataclass
class Table:
    header: list[str]
    rows: list[tuple[int, list[str]]]  # (line number in the file, cells)


def read_table(text: str, delimiter: str, *, limit: int | None = None) -> Table:
    """Rows with the line each starts on (quoted cells may span lines); blank rows skipped."""
    if "\x00" in text:
        raise ImportFileError("The file contains NUL bytes: it is not a text CSV file.")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    header: list[str] | None = None
    rows: list[tuple[int, list[str]]] = []
    last_line = 0
    try:
        for cells in reader:
            line, last_line = last_line + 1, reader.line_num
            if not any(cell.strip() for cell in cells):
                continue
            if header is None:
                header = [cell.strip() for cell in cells]
                continue
            rows.append((line, cells))
            if limit is not None and len(rows) >= limit:
                break
    except csv.Error as error:
        raise ImportFileError(
            f"The file is not valid CSV: the row starting on line {last_line + 1} cannot be "
            f"read ({error}). Check the quotes on that line."
        ) from None
    if header is None:
        raise ImportFileError("The file is empty.")
    if not any(header):
        raise ImportFileError("The first line should name the columns; it is empty.")
    return Table(header=header, rows=rows)


def cells_of(row: list[str], width: int) -> list[str]:
    """The row's cells, padded to the header's width; extra cells must be empty."""
    extra = row[width:]
    if any(cell.strip() for cell in extra):
        raise CellError(f"It has {len(row)} cells but the header names {width} columns.")
    return [FORMULA_GUARD.sub("", cell.strip()) for cell in row[:width]] + [""] * (width - len(row))


# -- values -------------------------------------------------------------------------------

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


def slashed_date_order(values: list[str]) -> str:
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


# -- mapping --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """A field a CSV column can be mapped to."""

    name: str
    label: str
    aliases: tuple[str, ...] = ()
    required: bool = False
    help: str = ""
    managers_only: bool = False
    # Not required when this other target is mapped (a file of updates by external id).
    unless: str = ""


DEAL_TARGETS = (
    Target(
        "title",
        "Title",
        ("title", "deal", "deal name", "deal title", "name"),
        required=True,
        help="Needed for new deals; a file of updates by external id may leave it out.",
        unless="external_id",
    ),
    Target(
        "value",
        "Value",
        ("value", "amount", "deal value", "price"),
        help="Amounts like 12500, 12,5k, €1.2m.",
    ),
    Target(
        "pipeline",
        "Pipeline",
        ("pipeline",),
        help="A pipeline's name; empty cells use the pipeline chosen below.",
    ),
    Target(
        "stage",
        "Stage",
        ("stage", "deal stage"),
        help="A stage's name; empty: the first stage (new deals) or unchanged (updates).",
    ),
    Target(
        "owner",
        "Owner",
        ("owner", "deal owner", "assigned to", "sales rep"),
        help="A username or email; empty: you.",
        managers_only=True,
    ),
    Target("organization", "Organization", ("organization", "organisation", "company")),
    Target("person", "Contact person", ("person", "contact", "contact person", "contact name")),
    Target("person_email", "Contact's email", ("person email", "email", "contact email")),
    Target(
        "expected_close_date",
        "Expected close date",
        ("expected close date", "close date", "expected close", "closing date"),
    ),
    Target(
        "external_id",
        "External id",
        ("external id", "external_id", "ext id", "reference"),
        help="A row whose external id exists updates that deal.",
    ),
    Target("status", "Status", ("status",), help="open, won or lost; empty: open/unchanged."),
    Target("lost_reason", "Lost reason", ("lost reason", "reason lost", "loss reason")),
)
ORGANIZATION_TARGETS = (
    Target("name", "Name", ("name", "organization", "organisation", "company"), True),
    Target("domain", "Domain", ("domain", "website", "web site", "url")),
)
PERSON_TARGETS = (
    Target("name", "Name", ("name", "person", "full name", "contact", "contact name"), True),
    Target("email", "Email", ("email", "e-mail", "email address")),
    Target("phone", "Phone", ("phone", "telephone", "mobile", "phone number")),
    Target("organization", "Organization", ("organization", "organisation", "company")),
)
TARGETS = {
    ImportJob.Kind.DEALS: DEAL_TARGETS,
    ImportJob.Kind.ORGANIZATIONS: ORGANIZATION_TARGETS,
    ImportJob.Kind.PEOPLE: PERSON_TARGETS,
}


def _normalised(header: str) -> str:
    return re.sub(r"[\s_\-]+", " ", header.strip().lower())


def guess_mapping(kind: str, header: list[str]) -> dict[str, int]:
    """Map each target to the first column whose name is one of its aliases."""
    columns = [_normalised(name) for name in header]
    mapping: dict[str, int] = {}
    used: set[int] = set()
    for target in TARGETS[kind]:
        for alias in target.aliases:
            index = next((i for i, c in enumerate(columns) if c == alias and i not in used), None)
            if index is not None:
                mapping[target.name] = index
                used.add(index)
                break
    return mapping


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

    def column_values(self, rows: list[tuple[int, list[str]]], name: str) -> list[str]:
        index = self.mapping.get(name)
        if index is None:
            return []
        return [cells[index] for _, cells in rows if index < len(cells)]
