"""Tables delight writes for people's spreadsheets: CSV that Excel opens safely, and Excel workbooks.

Every CSV and ``.xlsx`` file delight writes goes through ``SheetWriter`` — lists, facts, the
inbox, cheer messages, the rows an import set aside (``--skip-bad``), the demo's SmartStore
export — so customer text is data everywhere:

- CSV: UTF-8, with a byte-order mark when a person's Excel will open the file (a file named
  with ``-o``, or stdout redirected to a regular file) and without one when a program reads
  it from a pipe; a cell that starts with ``=``, ``+``, ``-``, ``@``, a tab, a carriage
  return or ``|`` gets a leading apostrophe, so it is shown as text and never run.
- xlsx (openpyxl's write-only mode, streamed, for big outputs): text is always a text cell,
  never a formula or an error value, whatever it starts with; characters a workbook cannot
  hold (control characters) are left out; numbers stay numbers.

``open_output`` is the one place delight opens a file it writes tables to.
"""

from __future__ import annotations

import csv
import io
import os
import re
import stat
import sys
from collections.abc import Iterable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from planner.core.errors import InputError
from planner.files.output_files import open_output_file

if TYPE_CHECKING:
    import polars as pl

FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "|")
SHEET_FORMATS = ("csv", "xlsx")
FORMAT_BY_SUFFIX = {".csv": "csv", ".xlsx": "xlsx", ".json": "json", ".txt": "table"}


@dataclass(frozen=True)
class Sheet:
    """A table to write: column names and rows (any iterable, consumed once)."""

    headers: Sequence[str]
    rows: Iterable[Sequence[object]]
    title: str = "delight"


def spreadsheet_safe(value: object) -> object:
    """A CSV cell that Excel and Google Sheets show as text, never run as a formula."""
    kind = type(value)  # exact types first: this runs for every cell of 200,000-row exports
    if kind is int or kind is Decimal:
        return value
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | Decimal):
        return value
    if isinstance(value, tuple | list):
        value = "; ".join(str(item) for item in value)
    text = str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def format_for(given: str | None, output: Path | None, default: str, allowed: Sequence[str]) -> str:
    """The output format: as given, else by ``output``'s extension, else ``default``; one of ``allowed``.

    A format that contradicts the file's extension (``--format csv -o week.xlsx``) is an error.
    """
    if output is None:
        return given or default
    by_suffix = FORMAT_BY_SUFFIX.get(output.suffix.lower())
    if given is not None:
        if by_suffix is not None and by_suffix != given:
            raise InputError(f"--format {given} does not match the file name {output.name}: use one or the other")
        return given
    if by_suffix not in allowed:
        suffixes = ", ".join(suffix for suffix, name in FORMAT_BY_SUFFIX.items() if name in allowed)
        raise InputError(
            f"-o {output.name}: cannot tell the format from the name: add --format, or end it in {suffixes}"
        )
    return by_suffix


def sheet_format(path: Path | None) -> str:
    """The table format a file's name asks for: "xlsx" for a workbook, else "csv"."""
    return "xlsx" if path is not None and path.suffix.lower() == ".xlsx" else "csv"


def open_output(
    path: Path, *, database: Path | None = None, reading: Iterable[Path] = ()
) -> AbstractContextManager[IO[bytes]]:
    """Open ``path`` to write a table to, guarded and whole (``planner.files.output_files.open_output_file``)."""
    return open_output_file(path, sheet_format(path), database=database, reading=reading)


def stdout_is_a_file() -> bool:
    """True when stdout is redirected to a regular file (which Excel may open), not a pipe or a terminal."""
    try:
        return stat.S_ISREG(os.fstat(sys.stdout.fileno()).st_mode)
    except (OSError, ValueError, io.UnsupportedOperation, AttributeError):
        return False


class SheetWriter:
    """Writes rows to a CSV or ``.xlsx`` stream one at a time; ``close`` finishes the file (not the stream)."""

    def __init__(
        self, handle: IO[bytes], file_format: str, headers: Sequence[str], *, bom: bool, title: str = "delight"
    ):
        self._handle = handle
        self.format = file_format
        if file_format == "csv":
            self._text = io.TextIOWrapper(handle, encoding="utf-8-sig" if bom else "utf-8", newline="")  # type: ignore[arg-type]
            self._csv = csv.writer(self._text, lineterminator="\r\n")
        elif file_format == "xlsx":
            from openpyxl import Workbook
            from openpyxl.cell import WriteOnlyCell
            from openpyxl.cell.cell import ERROR_CODES, ILLEGAL_CHARACTERS_RE

            self._cell, self._error_codes, self._illegal = WriteOnlyCell, ERROR_CODES, ILLEGAL_CHARACTERS_RE
            self._book = Workbook(write_only=True)
            self._sheet = self._book.create_sheet(_sheet_title(title))
        else:
            raise InputError(f'cannot write a table as "{file_format}": use one of {", ".join(SHEET_FORMATS)}')
        self.write(headers)

    def write(self, row: Sequence[object]) -> None:
        """Write one row."""
        if self.format == "csv":
            self._csv.writerow([spreadsheet_safe(value) for value in row])
        else:
            self._sheet.append([self._xlsx_cell(value) for value in row])

    def close(self) -> None:
        """Finish the file; the stream stays open for its owner."""
        if self.format == "csv":
            self._text.flush()
            self._text.detach()
        else:
            self._book.save(self._handle)
        self._handle.flush()

    def _xlsx_cell(self, value: object) -> Any:
        kind = type(value)
        if kind is int or kind is Decimal or kind is float or kind is bool:
            return value
        if value is None:
            return None
        if isinstance(value, datetime):
            # Excel has no time zones: an instant is written as the text a CSV holds.
            return self._text(str(value)) if value.tzinfo is not None else value
        if isinstance(value, date):
            return value
        if isinstance(value, tuple | list):
            value = "; ".join(str(item) for item in value)
        return self._text(str(value))

    def _text(self, text: str) -> Any:
        """Text as a text cell: as it is when openpyxl keeps it text, else a cell typed as text."""
        if not text.startswith("=") and text not in self._error_codes and not self._illegal.search(text):
            return text
        cell = self._cell(self._sheet, value=self._illegal.sub("", text))
        cell.data_type = "s"  # openpyxl makes "=…" a formula and "#N/A" an error; customer text is text
        return cell


def _safe_column(name: str, dtype: pl.DataType) -> pl.Expr:
    """``spreadsheet_safe`` for a whole column: numbers, dates and booleans as they are; lists joined
    with "; "; text that would start a formula gets a leading apostrophe."""
    import polars as pl

    column = pl.col(name)
    if isinstance(dtype, pl.List):
        column = column.list.join("; ")
    elif dtype != pl.String:
        return column
    starts_a_formula = column.str.contains("^[" + re.escape("".join(FORMULA_START)) + "]")
    empty = column == ""  # written as nothing, as csv.writer does, not as ""
    return pl.when(starts_a_formula).then(pl.lit("'") + column).when(~empty).then(column).alias(name)


def _sheet_title(title: str) -> str:
    # Excel: at most 31 characters, none of []:*?/\
    return "".join(" " if char in "[]:*?/\\" else char for char in title)[:31] or "delight"


@dataclass(frozen=True)
class FrameSheet:
    """A table held as a polars DataFrame (every customer's facts): polars writes its CSV."""

    frame: pl.DataFrame
    title: str = "delight"


def write_sheet(sheet: Sheet | FrameSheet, file_format: str, handle: IO[bytes], *, bom: bool) -> None:
    """Write a whole table to ``handle`` as CSV or xlsx."""
    if isinstance(sheet, FrameSheet):
        if file_format == "csv":
            safe = sheet.frame.select(_safe_column(name, dtype) for name, dtype in sheet.frame.schema.items())
            safe.write_csv(handle, include_bom=bom, line_terminator="\r\n", null_value="")
            handle.flush()
            return
        sheet = Sheet(sheet.frame.columns, sheet.frame.iter_rows(), sheet.title)
    writer = SheetWriter(handle, file_format, sheet.headers, bom=bom, title=sheet.title)
    for row in sheet.rows:
        writer.write(row)
    writer.close()


def csv_text(sheet: Sheet, *, bom: bool = False) -> str:
    """A table as CSV text (for a caller that prints it)."""
    buffer = io.BytesIO()
    write_sheet(sheet, "csv", buffer, bom=bom)
    return buffer.getvalue().decode("utf-8")
