"""CSV import (docs/domain/imports.md): reading the file, reading its values, the column mapping.

Everything here is about understanding the file; nothing writes. The dry run and the run
itself (``deals/services/imports.py``) share these readers, so the dry run reports exactly
the rows the run will refuse.

Choices made for the user, and shown to them:

- Encoding: UTF-8 (with or without BOM), UTF-16 with a BOM; otherwise Windows-1252, then
  Latin-1, with a notice to check accented letters in the preview. It is decided while the
  upload streams past, and the file is read back as a stream, row by row
  (docs/hardening/imports.md).
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

import codecs
import csv
import datetime
import io
import itertools
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import TextIO

from deals.models import ImportJob

PREVIEW_ROWS = 5
SNIFF_BYTES = 64 * 1024
# An upload is stored, and read back, in pieces of this size (docs/hardening/imports.md).
CHUNK_BYTES = 512 * 1024
# Rows read at upload to guess the decimal separator.
GUESS_ROWS = 500
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
class Encoding:
    codec: str  # Python's name for it
    label: str  # what the page says
    notice: str = ""


class EncodingSniffer:
    """Decides a file's encoding while its bytes stream past once, chunk by chunk, so the
    file never has to be held in memory: UTF-8 (with or without BOM), UTF-16 with a BOM,
    else Windows-1252, else Latin-1, with a notice naming the first line that is not UTF-8.
    """

    def __init__(self) -> None:
        self.head = b""
        self.utf8 = codecs.getincrementaldecoder("utf-8")()
        self.cp1252 = codecs.getincrementaldecoder("cp1252")()
        self.cp1252_ok = True
        self.utf8_error_line: int | None = None
        self.lines = 0

    def feed(self, data: bytes) -> None:
        if len(self.head) < 4:
            self.head += data[: 4 - len(self.head)]
        if self.utf8_error_line is None:
            try:
                self.utf8.decode(data)
            except UnicodeDecodeError as error:
                self.utf8_error_line = self.lines + data[: max(error.start, 0)].count(b"\n") + 1
        if self.cp1252_ok:
            try:
                self.cp1252.decode(data)
            except UnicodeDecodeError:
                self.cp1252_ok = False
        self.lines += data.count(b"\n")

    def result(self) -> Encoding:
        if self.head.startswith(b"PK\x03\x04"):
            raise ImportFileError(
                "This looks like an Excel workbook, not a CSV file. Save it as CSV (File › Save "
                "as › CSV UTF-8) and upload that."
            )
        if self.head.startswith((b"\xff\xfe", b"\xfe\xff")):
            return Encoding("utf-16", "UTF-16")
        if self.utf8_error_line is None:
            try:
                self.utf8.decode(b"", final=True)
            except UnicodeDecodeError:
                self.utf8_error_line = self.lines + 1
        if self.utf8_error_line is None:
            bom = self.head.startswith(codecs.BOM_UTF8)
            return Encoding("utf-8-sig", "UTF-8 with BOM" if bom else "UTF-8")
        if self.cp1252_ok:
            codec, label = "cp1252", "Windows-1252"
        else:
            codec, label = "latin-1", "Latin-1 (ISO-8859-1)"
        return Encoding(
            codec,
            label,
            notice=(
                f"The file is not UTF-8 (first non-UTF-8 byte on line {self.utf8_error_line}), "
                f"so it was read as {label}. Check that accented letters look right in the "
                "preview; if not, save the file as “CSV UTF-8” and upload it again."
            ),
        )


def sniff_encoding(chunks: Iterable[bytes]) -> Encoding:
    sniffer = EncodingSniffer()
    for chunk in chunks:
        sniffer.feed(chunk)
    return sniffer.result()


class ChunkStream(io.RawIOBase):
    """A stored file read back chunk by chunk: ``fetch(index)`` returns the chunk's bytes,
    or None past the last one. At most one chunk is in memory at a time."""

    def __init__(self, fetch: Callable[[int], bytes | None]) -> None:
        super().__init__()
        self.fetch, self.index, self.pending = fetch, 0, memoryview(b"")

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        while not self.pending:
            data = self.fetch(self.index)
            if data is None:
                return 0
            self.index += 1
            self.pending = memoryview(bytes(data))
        size = min(len(buffer), len(self.pending))
        buffer[:size] = self.pending[:size]
        self.pending = self.pending[size:]
        return size


def text_of(raw: io.RawIOBase, codec: str) -> TextIO:
    """The file's text as a stream; ``newline=""`` as the csv module wants it."""
    return io.TextIOWrapper(io.BufferedReader(raw), encoding=codec, newline="")


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


Rows = Iterator[tuple[int, list[str]]]


def _records(source: str | TextIO, delimiter: str) -> Rows:
    """Non-blank rows with the line each starts on (quoted cells may span lines)."""
    if isinstance(source, str):
        source = io.StringIO(source, newline="")
    reader = csv.reader(source, delimiter=delimiter, strict=True)
    last_line = 0
    try:
        for cells in reader:
            line, last_line = last_line + 1, reader.line_num
            if any("\x00" in cell for cell in cells):
                raise ImportFileError("The file contains NUL bytes: it is not a text CSV file.")
            if any(cell.strip() for cell in cells):
                yield line, cells
    except csv.Error as error:
        raise ImportFileError(
            f"The file is not valid CSV: the row starting on line {last_line + 1} cannot be "
            f"read ({error}). Check the quotes on that line."
        ) from None
    except UnicodeDecodeError:
        raise ImportFileError(
            f"The file cannot be read in its encoding after line {last_line}; save it as "
            "“CSV UTF-8” and upload it again."
        ) from None


def open_table(source: str | TextIO, delimiter: str) -> tuple[list[str], Rows]:
    """The header, and the rows as a stream (read as they are consumed)."""
    records = _records(source, delimiter)
    first = next(records, None)
    if first is None:
        raise ImportFileError("The file is empty.")
    header = [cell.strip() for cell in first[1]]
    if not any(header):
        raise ImportFileError("The first line should name the columns; it is empty.")
    return header, records


def read_table(source: str | TextIO, delimiter: str, *, limit: int | None = None) -> Table:
    """The header and the first ``limit`` rows (all of them without a limit)."""
    header, rows = open_table(source, delimiter)
    return Table(header=header, rows=list(itertools.islice(rows, limit)))


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
