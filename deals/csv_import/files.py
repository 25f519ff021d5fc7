"""Reading an uploaded CSV file: its encoding, its separator, its rows as a stream.

Nothing here writes; the upload (``upload.py``) stores the file in chunks and reads it back
through these readers, so the file is never held in memory whole.

Choices made for the user, and shown to them:

- Encoding: UTF-8 (with or without BOM), UTF-16 with a BOM; otherwise Windows-1252, then
  Latin-1, with a notice to check accented letters in the preview. It is decided while the
  upload streams past, and the file is read back as a stream, row by row
  (docs/hardening/imports.md).
- Separator between columns: sniffed among ``,`` ``;`` tab and ``|`` (the user may change it).
"""

import codecs
import csv
import io
import itertools
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import TextIO

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop

PREVIEW_ROWS = 5
SNIFF_BYTES = 64 * 1024
# An upload is stored, and read back, in pieces of this size (docs/hardening/imports.md).
CHUNK_BYTES = 512 * 1024
# Rows read at upload to guess the decimal separator.
GUESS_ROWS = 500
DELIMITERS = {
    ",": gettext_lazy("comma (,)"),
    ";": gettext_lazy("semicolon (;)"),
    "\t": gettext_lazy("tab"),
    "|": gettext_lazy("bar (|)"),
}
# Names for forms: a tab in an HTML option's value does not survive every browser.
DELIMITER_CODES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "bar"}


class ImportFileError(Exception):
    """The file as a whole cannot be imported; the message says why and what to do."""


@dataclass
class Encoding:
    codec: str  # Python's name for it
    label: str  # what the page says (an encoding's name, the same in every language)
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
                _(
                    "This looks like an Excel workbook, not a CSV file. Save it as CSV (File › "
                    "Save as › CSV UTF-8) and upload that."
                )
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
            # The page translates the label it shows (the job stores it in English).
            return Encoding("utf-8-sig", gettext_noop("UTF-8 with BOM") if bom else "UTF-8")
        if self.cp1252_ok:
            codec, label = "cp1252", "Windows-1252"
        else:
            codec, label = "latin-1", "Latin-1 (ISO-8859-1)"
        return Encoding(
            codec,
            label,
            notice=(
                _(
                    "The file is not UTF-8 (first non-UTF-8 byte on line %(line)s), so it was "
                    "read as %(encoding)s. Check that accented letters look right in the "
                    "preview; if not, save the file as “CSV UTF-8” and upload it again."
                )
                % {"line": self.utf8_error_line, "encoding": label}
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
                raise ImportFileError(_("The file contains NUL bytes: it is not a text CSV file."))
            if any(cell.strip() for cell in cells):
                yield line, cells
    except csv.Error as error:
        raise ImportFileError(
            _(
                "The file is not valid CSV: the row starting on line %(line)s cannot be read "
                "(%(error)s). Check the quotes on that line."
            )
            % {"line": last_line + 1, "error": error}
        ) from None
    except UnicodeDecodeError:
        raise ImportFileError(
            _(
                "The file cannot be read in its encoding after line %(line)s; save it as "
                "“CSV UTF-8” and upload it again."
            )
            % {"line": last_line}
        ) from None


def open_table(source: str | TextIO, delimiter: str) -> tuple[list[str], Rows]:
    """The header, and the rows as a stream (read as they are consumed)."""
    records = _records(source, delimiter)
    first = next(records, None)
    if first is None:
        raise ImportFileError(_("The file is empty."))
    header = [cell.strip() for cell in first[1]]
    if not any(header):
        raise ImportFileError(_("The first line should name the columns; it is empty."))
    return header, records


def read_table(source: str | TextIO, delimiter: str, *, limit: int | None = None) -> Table:
    """The header and the first ``limit`` rows (all of them without a limit)."""
    header, rows = open_table(source, delimiter)
    return Table(header=header, rows=list(itertools.islice(rows, limit)))
