"""Open a table a shop exported: CSV or tab-separated text, or an Excel workbook; stream its rows.

Text: Korean shops' files come from Excel as CP949 (a superset of EUC-KR), UTF-8 with or
without a byte-order mark, or UTF-16 ("Unicode Text", tab-separated); lines may end in CRLF,
LF or a bare CR. The first megabyte decides the encoding; a file that turns out to be
otherwise further on gets a clear error naming the line. A line longer than
``MAX_LINE_BYTES`` is refused with its number before it is held in memory.

Workbooks (``.xlsx``): the first sheet, read by openpyxl in read-only (streaming) mode;
line numbers are the sheet's row numbers. A password-protected workbook is opened with
``password`` through msoffcrypto-tool, or refused in one line.

The header is the first row of the first few with two or more filled cells (a title row
above it, as SmartStore writes one, is skipped); a layout may choose another of those
rows. Blank rows are skipped; a row with filled cells beyond the header's last column is
reported to ``on_ragged`` instead of losing them; a column name used twice is refused.
"""

from __future__ import annotations

import codecs
import csv
import io
import warnings
import zipfile
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time
from pathlib import Path
from typing import IO, Any
from xml.etree.ElementTree import ParseError

from planner.core.errors import InputError

FORMATS = ("auto", "shopify", "smartstore", "csv")  # what a file may be: auto recognises the exports
ENCODINGS = ("auto", "utf-8", "cp949", "utf-16")
SAMPLE_BYTES = 1 << 20
DELIMITERS = ",;\t|"
HEADER_SCAN_ROWS = 10
# Excel cells hold at most 32,767 characters; a line far longer than a wide row of them is not a row.
MAX_LINE_BYTES = 1 << 23
csv.field_size_limit(1 << 20)
ENCODING_NAMES = {"utf-8-sig": "UTF-8", "utf-8": "UTF-8", "cp949": "CP949", "utf-16": "UTF-16", "": "xlsx"}

Record = tuple[int, list[str]]
RaggedHandler = Callable[[int, str, list[str]], None]


@dataclass(frozen=True)
class SourceFile:
    """A readable table: its kind (csv or xlsx), encoding and dialect, header and where it is."""

    path: Path
    format: str
    encoding: str
    delimiter: str
    header: list[str]
    header_line: int = 1
    # The first non-blank rows, for a layout that looks for its header among them.
    leading: tuple[Record, ...] = ()
    # A workbook, opened (read-only) once: openpyxl reads a whole sheet to size it when the file does not say.
    workbook: Any = field(default=None, repr=False, compare=False)
    size: int = 0  # bytes, shared out over the rows a workbook says it has, for a progress bar
    rows_said: int = 1

    @property
    def encoding_name(self) -> str:
        """How people call the file's encoding: UTF-8, CP949, UTF-16, or xlsx for a workbook."""
        return ENCODING_NAMES.get(self.encoding, self.encoding)

    def close(self) -> None:
        """Let go of an open workbook (a text file is opened only while its rows are read)."""
        if self.workbook is not None:
            self.workbook.close()

    def __enter__(self) -> SourceFile:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def with_header_at(self, line: int) -> SourceFile:
        """The same file with its header on ``line`` (one of ``leading``)."""
        cells = next(cells for number, cells in self.leading if number == line)
        return replace(self, header=_checked_header(self.path, line, cells), header_line=line)


class _LineTooLong(Exception):
    """A line longer than ``MAX_LINE_BYTES``."""


class _RawFile(io.RawIOBase):
    """A raw file that reports the bytes read (for a progress bar by size) and refuses an endless line.

    It sees every byte before the text layer does, so a line longer than ``MAX_LINE_BYTES`` stops the
    read before it is held whole — at the cost of two searches per 64 KB read, not one per line.
    """

    def __init__(self, raw: IO[bytes], progress: Callable[[int], None] | None) -> None:
        self._raw = raw
        self._progress = progress
        self._since_line_end = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        data = self._raw.read(len(buffer))
        count = len(data)
        if not count:
            return 0
        buffer[:count] = data
        last_end = max(data.rfind(b"\n"), data.rfind(b"\r"))
        self._since_line_end = self._since_line_end + count if last_end < 0 else count - last_end - 1
        if self._since_line_end > MAX_LINE_BYTES:
            raise _LineTooLong
        if self._progress is not None:
            self._progress(count)
        return count

    def close(self) -> None:
        self._raw.close()
        super().close()


def inspect_file(path: Path, encoding: str = "auto", password: str | None = None) -> SourceFile:
    """Check ``path`` is a non-empty table and return how to read it; one clear error if not.

    The caller closes what it returns once its rows are read (``with inspect_file(…) as source:``).
    """
    if encoding not in ENCODINGS:
        raise InputError(f'unknown encoding "{encoding}": use one of {", ".join(ENCODINGS)}')
    try:
        with path.open("rb") as handle:
            sample = handle.read(SAMPLE_BYTES)
            complete = not handle.read(1)
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise InputError(f"{path}: is a folder, not a file") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read it ({exc.strerror})") from None
    if sample.startswith((b"PK\x03\x04", b"\xd0\xcf\x11\xe0")):
        content = _workbook_content(path, sample, password)
        size = len(content) if content is not None else path.stat().st_size
        workbook = _open_workbook(path, content)
        sheet = workbook.worksheets[0]
        rows_said = max(sheet.max_row or 1, 1)
        sheet.reset_dimensions()  # some writers store wrong dimensions: read every row there is
        source = SourceFile(path, "xlsx", "", "", [], workbook=workbook, size=size, rows_said=rows_said)
        try:
            return _with_leading(source, _leading_rows(_workbook_records(source)))
        except InputError:
            source.close()
            raise
    if not sample.strip(b" \t\r\n\xef\xbb\xbf"):
        raise InputError(f"{path.name}: the file is empty (expected a header line and rows)")
    bom_utf16 = sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))
    if not bom_utf16 and encoding != "utf-16" and (b"\x00" in sample[:8192] or sample.startswith(b"%PDF")):
        raise InputError(f"{path.name}: not a text file or an Excel workbook")
    if encoding == "auto":
        chosen = "utf-16" if bom_utf16 else _detect_encoding(path, sample, complete)
    else:
        chosen = _python_codec(encoding)
    text = _decode_sample(path, sample, chosen, complete)
    if not text.strip(" \t\r\n\ufeff"):
        raise InputError(f"{path.name}: the file is empty (expected a header line and rows)")
    source = SourceFile(
        path, "csv", chosen, _detect_delimiter(text.lstrip("\ufeff").splitlines()[:HEADER_SCAN_ROWS]), []
    )
    # The first rows, from the sample (a row cut at its end is only ever a late one of them).
    leading = _leading_rows(_csv_records(source, io.StringIO(text.lstrip("\ufeff"), newline="")))
    return _with_leading(source, leading)


def _with_leading(source: SourceFile, leading: list[Record]) -> SourceFile:
    if not leading:
        raise InputError(f"{source.path.name}: the file is empty (expected a header line and rows)")
    # The header: the first row with two or more filled cells; rows above it are a title.
    line = next((number for number, cells in leading if sum(1 for c in cells if c.strip()) >= 2), leading[0][0])
    return replace(source, leading=tuple(leading)).with_header_at(line)


def _leading_rows(records: Generator[Record, None, None]) -> list[Record]:
    leading = []
    try:
        for line, cells in records:
            if _blank(cells):
                continue
            leading.append((line, cells))
            if len(leading) == HEADER_SCAN_ROWS:
                break
    finally:
        records.close()
    return leading


def _checked_header(path: Path, line: int, cells: list[str]) -> list[str]:
    header = [cell.strip().lstrip("\ufeff").strip() for cell in cells]
    first_seen: dict[str, int] = {}
    for position, name in enumerate(header, start=1):
        if not name:
            continue
        key = name.casefold()
        if key in first_seen:
            earlier = header[first_seen[key] - 1]
            raise InputError(
                f'{path.name}: line {line}: the columns "{earlier}" (column {first_seen[key]}) and "{name}" '
                f"(column {position}) have the same name, so it is unclear which one to read: rename or remove one"
            )
        first_seen[key] = position
    return header


def _python_codec(encoding: str) -> str:
    return "utf-8-sig" if encoding == "utf-8" else encoding


def _detect_encoding(path: Path, sample: bytes, complete: bool) -> str:
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    for candidate in ("utf-8-sig", "cp949"):
        try:
            codecs.getincrementaldecoder(candidate)().decode(sample, final=complete)
        except UnicodeDecodeError:
            continue
        return candidate
    raise InputError(f"{path.name}: neither UTF-8 nor CP949 text: save it as CSV UTF-8, or pass --encoding")


def _decode_sample(path: Path, sample: bytes, codec: str, complete: bool) -> str:
    try:
        return codecs.getincrementaldecoder(codec)().decode(sample, final=complete)
    except UnicodeError as exc:  # UTF-16 without a byte order mark is a plain UnicodeError, at its start
        line = sample[: exc.start].count(b"\n") + 1 if isinstance(exc, UnicodeDecodeError) else 1
        raise InputError(
            f"{path.name}: line {line} is not {ENCODING_NAMES.get(codec, codec)} text: try --encoding auto"
        ) from None


def _detect_delimiter(lines: list[str]) -> str:
    """The delimiter that splits some early line the most (a title line may have none)."""
    counts = {delimiter: max((line.count(delimiter) for line in lines), default=0) for delimiter in DELIMITERS}
    best = max(counts, key=lambda delimiter: counts[delimiter])
    return best if counts[best] else ","


def _blank(cells: list[str]) -> bool:
    return not any(cell and not cell.isspace() for cell in cells)


def read_rows(
    source: SourceFile, progress: Callable[[int], None] | None = None, on_ragged: RaggedHandler | None = None
) -> Iterator[Record]:
    """Yield ``(line number, cells)`` for each non-blank row after the header.

    The line number is where the row starts in the file (a quoted cell spanning lines
    still points at its row), or the sheet's row number. ``progress`` is called with the
    number of bytes read since its last call. A row with filled cells beyond the header's
    last column goes to ``on_ragged(line, reason, cells)`` (and is not yielded); without a
    handler it is an error.
    """
    width, header_line = len(source.header), source.header_line
    records = _workbook_records(source, progress) if source.format == "xlsx" else _file_records(source, progress)
    for line, cells in records:
        if line <= header_line:
            continue
        first = cells[0] if cells else ""
        if (not first or first.isspace()) and _blank(cells):  # the first cell filled: not blank, cheaply
            continue
        if len(cells) > width:
            if any(cell.strip() for cell in cells[width:]):
                reason = (
                    f"{len(cells)} cells, but the header has {width} columns: "
                    "the cells past the last column have no column name"
                )
                if on_ragged is None:
                    raise InputError(f"{source.path.name}: line {line}: {reason}")
                on_ragged(line, reason, cells)
                continue
            cells = cells[:width]
        yield line, cells


# --- Text -----------------------------------------------------------------------------------------


def _file_records(source: SourceFile, progress: Callable[[int], None] | None) -> Iterator[Record]:
    raw = _RawFile(source.path.open("rb", buffering=0), progress)
    text = io.TextIOWrapper(io.BufferedReader(raw, 1 << 16), encoding=source.encoding, newline="")
    with text:
        yield from _csv_records(source, text)


def _csv_records(source: SourceFile, text: IO[str]) -> Generator[Record, None, None]:
    """Records with the line each starts on (lines may end in CRLF, LF or a bare CR)."""
    reader = csv.reader(text, delimiter=source.delimiter)
    previous_end = 0
    try:
        for cells in reader:
            start, previous_end = previous_end + 1, reader.line_num
            yield start, cells
    except _LineTooLong:
        raise InputError(
            f"{source.path.name}: line {reader.line_num + 1} is longer than {MAX_LINE_BYTES >> 20} MB: "
            "not a row of a table (is it the right file?)"
        ) from None
    except UnicodeDecodeError:
        raise InputError(
            f"{source.path.name}: line {reader.line_num + 1} is not {source.encoding_name} text: "
            "pass --encoding to say what it is"
        ) from None
    except csv.Error as exc:
        raise InputError(f"{source.path.name}: line {previous_end + 1}: not valid CSV ({exc})") from None


# --- Workbooks ------------------------------------------------------------------------------------


def _workbook_content(path: Path, sample: bytes, password: str | None) -> bytes | None:
    """``None`` for a plain .xlsx (read from its path); the decrypted bytes of a protected one."""
    name = path.name
    if sample.startswith(b"PK"):
        if not zipfile.is_zipfile(path):
            raise InputError(f"{name}: a damaged ZIP file or workbook: save it again from Excel")
        with zipfile.ZipFile(path) as archive:
            if "xl/workbook.xml" not in archive.namelist():
                raise InputError(f"{name}: a ZIP file, not an Excel workbook or a text file")
        return None
    import msoffcrypto
    from msoffcrypto.exceptions import FileFormatError, InvalidKeyError

    with path.open("rb") as handle:
        try:
            office = msoffcrypto.OfficeFile(handle)
            encrypted = office.is_encrypted()
        except (FileFormatError, OSError, ValueError):
            encrypted = False
            office = None
        if office is None or not encrypted or office.format != "ooxml":
            raise InputError(
                f"{name}: an Excel 97-2003 workbook (.xls) or another Office file: save it as .xlsx or CSV UTF-8"
            )
        if password is None:
            raise InputError(
                f"{name}: the workbook is password-protected: pass --password, or save it again without a password"
            )
        decrypted = io.BytesIO()
        try:
            office.load_key(password=password)
            office.decrypt(decrypted)
        except (InvalidKeyError, ValueError):
            raise InputError(f"{name}: wrong password for this workbook") from None
    return decrypted.getvalue()


def _open_workbook(path: Path, content: bytes | None) -> Any:
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    target: Path | IO[bytes] = io.BytesIO(content) if content is not None else path
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # openpyxl warns about styles and extensions it does not read
            workbook = load_workbook(target, read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise InputError(f"{path.name}: not a readable Excel workbook ({exc})") from None
    if not workbook.worksheets:
        workbook.close()
        raise InputError(f"{path.name}: the workbook has no sheet")
    return workbook


def _workbook_records(
    source: SourceFile, progress: Callable[[int], None] | None = None
) -> Generator[Record, None, None]:
    """The first sheet's rows, numbered as the sheet numbers them."""
    per_row = source.size / source.rows_said
    reported = 0.0
    rows = enumerate(source.workbook.worksheets[0].iter_rows(values_only=True), start=1)
    while True:
        try:
            number, values = next(rows)
        except StopIteration:
            break
        except (zipfile.BadZipFile, KeyError, ValueError, OSError, ParseError) as exc:
            raise InputError(f"{source.path.name}: not a readable Excel workbook ({exc})") from None
        if progress is not None and number % 256 == 0 and reported < source.size:
            step = min(per_row * 256, source.size - reported)
            progress(int(step))
            reported += step
        yield number, [_cell_text(value) for value in values]
    if progress is not None and reported < source.size:
        progress(int(source.size - reported))


def _cell_text(value: object) -> str:
    """A cell as the text a CSV of it would hold: whole numbers without ".0", dates in ISO form."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    if isinstance(value, datetime):
        if value.time() == time(0) and value.tzinfo is None:
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, date | time):
        return value.isoformat()
    return str(value)
