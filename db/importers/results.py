"""What an import did: counts, bad rows (with line numbers and reasons) and warnings."""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from planner.errors import RejectedImport

SHOWN_BAD_ROWS = 50
SHOWN_WARNINGS = 20


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
    encoding: str = "utf-8"
    rows: int = 0
    records: Counts = field(default_factory=Counts)
    customers: Counts | None = None
    bad_count: int = 0
    bad_rows: list[BadRow] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    warning_count: int = 0
    dry_run: bool = False
    skip_file: Path | None = None

    def warn(self, message: str) -> None:
        """Keep a warning (the first few) and count them all."""
        self.warning_count += 1
        if len(self.warnings) < SHOWN_WARNINGS:
            self.warnings.append(message)

    def describe(self) -> list[str]:
        """Lines a person reads after the import."""
        encoding = {"utf-8-sig": "UTF-8", "utf-8": "UTF-8", "cp949": "CP949", "utf-16": "UTF-16"}.get(
            self.encoding, self.encoding
        )
        lines = [f"{self.path.name} ({self.source}, {encoding}): {self.rows:,} rows read."]
        lines.append(self.records.describe(self.kind) + ".")
        if self.customers is not None and self.customers.total:
            lines.append(self.customers.describe("customers") + ".")
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
    """Collects bad rows: counts them, keeps the first few, and streams them all to --skip-bad FILE."""

    def __init__(self, summary: ImportSummary, header: list[str], skip_file: TextIO | None) -> None:
        self._summary = summary
        self._handle = skip_file
        if skip_file is not None:
            self._writer = csv.writer(skip_file)
            self._writer.writerow([*header, "line", "reason"])
            self._width = len(header)

    def flush(self) -> None:
        """Write out every bad row recorded so far (a full disk is an error now, not after the commit)."""
        if self._handle is not None:
            self._handle.flush()

    def add(self, line: int, reason: str, cells: list[str] | tuple[str, ...]) -> None:
        """Record one bad row."""
        self._summary.bad_count += 1
        if len(self._summary.bad_rows) < SHOWN_BAD_ROWS:
            self._summary.bad_rows.append(BadRow(line, reason, tuple(cells)))
        if self._handle is not None:
            padded = list(cells[: self._width]) + [""] * (self._width - len(cells))
            self._writer.writerow([*padded, line, reason])
