"""What an import did: counts, bad rows (with line numbers and reasons) and warnings."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from planner.core.errors import RejectedImport
from planner.files.spreadsheet import SheetWriter

SHOWN_BAD_ROWS = 50
SHOWN_WARNINGS = 20


class RowError(Exception):
    """A row (or a group of rows, such as one order's) that cannot be imported: the line to blame and why."""

    def __init__(self, line: int, reason: str) -> None:
        super().__init__(reason)
        self.line = line
        self.reason = reason


@dataclass(frozen=True)
class BadRow:
    """A row that cannot be imported: where it is, why, and its original cells."""

    line: int
    reason: str
    cells: tuple[str, ...] = ()

    def __str__(self) -> str:
        return f"line {self.line}: {self.reason}"


@dataclass
class Counts:
    """Rows of one table an import added, updated, left as they were, or skipped."""

    added: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped_erased: int = 0

    @property
    def total(self) -> int:
        return self.added + self.updated + self.unchanged + self.skipped_erased

    def describe(self, noun: str) -> str:
        text = f"{self.total:,} {noun}: {self.added:,} added, {self.updated:,} updated, {self.unchanged:,} unchanged"
        if self.skipped_erased:
            text += f", {self.skipped_erased:,} skipped (erased)"
        return text


@dataclass
class ImportSummary:
    """The outcome of one import, for the CLI to print."""

    kind: str
    path: Path
    source: str = "CSV"
    encoding: str = "UTF-8"
    header_line: int = 1
    rows: int = 0
    records: Counts = field(default_factory=Counts)
    customers: Counts | None = None
    bad_count: int = 0
    bad_rows: list[BadRow] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    warning_count: int = 0
    notes: list[str] = field(default_factory=list)
    dry_run: bool = False
    skip_file: Path | None = None

    def warn(self, message: str) -> None:
        """Keep a warning (the first few) and count them all."""
        self.warning_count += 1
        if len(self.warnings) < SHOWN_WARNINGS:
            self.warnings.append(message)

    def describe(self) -> list[str]:
        """Lines a person reads after the import."""
        header = f", header on line {self.header_line}" if self.header_line != 1 else ""
        lines = [f"{self.path.name} ({self.source}, {self.encoding}{header}): {self.rows:,} rows read."]
        lines.append(self.records.describe(self.kind) + ".")
        if self.customers is not None and self.customers.total:
            lines.append(self.customers.describe("customers") + ".")
        lines += self.notes
        if self.bad_count:
            where = f", written to {self.skip_file}" if self.skip_file else ""
            lines.append(f"{self.bad_count:,} bad rows skipped{where}.")
        if self.dry_run:
            lines.append("Dry run: nothing was written to the database.")
        return lines

    def describe_warnings(self) -> list[str]:
        """Warning lines, with a count of those not shown."""
        lines = [f"Warning: {message}" for message in self.warnings]
        if self.warning_count > len(self.warnings):
            lines.append(f"Warning: … and {self.warning_count - len(self.warnings):,} more like these")
        return lines

    def describe_bad_rows(self) -> list[str]:
        """Each bad row shown (up to a cap), then how many more there are."""
        lines = [str(bad) for bad in self.bad_rows]
        if self.bad_count > len(self.bad_rows):
            lines.append(f"… and {self.bad_count - len(self.bad_rows):,} more bad rows")
        return lines


def rejection(summary: ImportSummary) -> RejectedImport:
    """The error for a file with bad rows imported without --skip-bad: nothing was written."""
    return RejectedImport(
        f"{summary.path.name}: {summary.bad_count:,} bad rows, so nothing was imported: "
        "fix them, or pass --skip-bad FILE to import the good rows and set the bad ones aside",
        summary.describe_bad_rows(),
    )


class BadRowSink:
    """Collects bad rows: counts them, keeps the first few, and streams them all to --skip-bad FILE.

    FILE is for a person to fix in Excel: an .xlsx workbook if it is named so, else CSV with a
    BOM; its cells are formula-safe like every table delight writes (``planner.files.spreadsheet``).
    """

    def __init__(
        self, summary: ImportSummary, header: list[str], skip_file: IO[bytes] | None, file_format: str = "csv"
    ) -> None:
        """``skip_file``: the open --skip-bad file (``file_format`` "csv" or "xlsx"), or None."""
        self._summary = summary
        self._handle = skip_file
        if skip_file is not None:
            self._writer = SheetWriter(skip_file, file_format, [*header, "line", "reason"], bom=True, title="bad rows")
            self._width = len(header)

    def finish(self) -> None:
        """Write out every bad row (a full disk is an error now, not after the commit)."""
        if self._handle is not None:
            self._writer.close()
            self._handle.flush()
            self._handle = None

    def add(self, line: int, reason: str, cells: list[str] | tuple[str, ...]) -> None:
        """Record one bad row."""
        self._summary.bad_count += 1
        if len(self._summary.bad_rows) < SHOWN_BAD_ROWS:
            self._summary.bad_rows.append(BadRow(line, reason, tuple(cells)))
        if self._handle is not None:
            padded = list(cells[: self._width]) + [""] * (self._width - len(cells))
            # Cells past the header's last column (a ragged row) follow the reason, so none is lost.
            self._writer.write([*padded, line, reason, *cells[self._width :]])

    def ragged(self, line: int, reason: str, cells: list[str]) -> None:
        """A row with cells past the header's last column: read, and bad."""
        self._summary.rows += 1
        self.add(line, reason, cells)
