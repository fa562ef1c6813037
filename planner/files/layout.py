"""How a file's columns become canonical fields: a column index per field, then a format's own fix-ups."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

# One row of a group (one order's rows): line number, the row's cells, its canonical fields.
GroupRow = tuple[int, list[str], dict[str, str]]


@dataclass(frozen=True)
class Layout:
    """How to read one file: where each field is, and what its format does on top.

    ``finish`` completes a row's fields (``derived`` names the fields it adds); ``fold`` turns
    one order's rows into the rows to import, with their order-level fields made alike (it
    raises ``RowError``, or returns no rows for an order to leave out); ``notes`` are lines
    for the summary once the file is read.
    """

    source: str
    indices: dict[str, int]
    finish: Callable[[dict[str, str]], dict[str, str]] | None = None
    derived: frozenset[str] = frozenset()
    fold: Callable[[list[GroupRow]], list[GroupRow]] | None = None
    notes: Callable[[], list[str]] | None = None

    @property
    def fields(self) -> frozenset[str]:
        return frozenset(self.indices) | self.derived

    def record(self, cells: list[str]) -> dict[str, str]:
        """Field → stripped cell text ("" where the row is short)."""
        width = len(cells)
        record = {name: cells[index].strip() if index < width else "" for name, index in self.indices.items()}
        return self.finish(record) if self.finish else record


def positions(header: list[str]) -> dict[str, int]:
    """Column name (trimmed) → its index."""
    return {name.strip().lstrip("\ufeff"): index for index, name in enumerate(header)}


def find_columns(header: list[str], columns: dict[str, tuple[str, ...]]) -> dict[str, int]:
    """Field → index of the first of its candidate column names the header has."""
    where = positions(header)
    found = {}
    for field_name, candidates in columns.items():
        for candidate in candidates:
            if candidate in where:
                found[field_name] = where[candidate]
                break
    return found
