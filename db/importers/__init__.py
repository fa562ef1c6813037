"""Import a shop's customers, orders and feedback from Shopify exports or any CSV with a mapping.

One call, one transaction: ``import_file`` reads and checks the whole file, upserts
by external id, and either commits everything good (with ``skip_bad``) or nothing at
all when a row is bad. A dry run does all the work and rolls it back.

Module map: ``reading`` (encoding, delimiter, rows with line numbers), ``parsing``
(dates, amounts), ``mapping`` (fields, ``--map``, TOML), ``shopify`` (export layouts),
``customers`` / ``orders`` / ``feedback`` (the upserts), ``store`` (batched database
work), ``results`` (summary, bad rows).
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Engine

from db import summaries
from db.engine import database_path, transaction
from db.importers import shopify
from db.importers.customers import import_customers
from db.importers.feedback import import_feedback
from db.importers.mapping import FIELDS, KINDS, Mapping, load_mapping, resolve_columns
from db.importers.orders import import_orders
from db.importers.reading import ENCODINGS, SourceFile, inspect_file
from db.importers.results import BadRow, BadRowSink, Counts, ImportSummary, rejection
from db.importers.shopify import Layout
from planner.errors import InputError
from planner.output_files import open_output_file

__all__ = [
    "ENCODINGS",
    "FIELDS",
    "FORMATS",
    "KINDS",
    "BadRow",
    "Counts",
    "ImportOptions",
    "ImportSummary",
    "Mapping",
    "import_file",
    "load_mapping",
]

FORMATS = ("auto", "shopify", "csv")
IMPORTERS = {"customers": import_customers, "orders": import_orders, "feedback": import_feedback}
# At least one field of each tuple must have a column, or the file is not of that kind.
REQUIRED: dict[str, tuple[tuple[str, ...], ...]] = {
    "customers": (("customer_id", "email"),),
    "orders": (("customer_id", "email"), ("placed_at",), ("total", "unit_price")),
    "feedback": (("customer_id",), ("received_at",)),
}


@dataclass(frozen=True)
class ImportOptions:
    """How to read the file and what to do with bad rows."""

    format: str = "auto"
    encoding: str = "auto"
    mapping: Mapping = field(default_factory=Mapping)
    dry_run: bool = False
    skip_bad: Path | None = None


class _DryRun(Exception):
    """Raised inside the transaction so that it rolls back."""


def import_file(
    engine: Engine,
    kind: str,
    path: Path,
    options: ImportOptions | None = None,
    progress: Callable[[int], None] | None = None,
) -> ImportSummary:
    """Import ``path`` as ``kind`` (customers, orders or feedback) in one transaction.

    ``progress`` is called with the number of bytes read since its last call.
    Raises ``planner.errors.RejectedImport`` (listing the bad rows) when a row is bad
    and ``options.skip_bad`` is not set; the database is then unchanged.
    """
    options = options or ImportOptions()
    if kind not in IMPORTERS:
        raise InputError(f'cannot import "{kind}": use one of {", ".join(KINDS)}')
    source = inspect_file(path, options.encoding)
    layout = choose_layout(kind, source, options)
    summary = ImportSummary(
        kind, path, layout.source, source.encoding, dry_run=options.dry_run, skip_file=options.skip_bad
    )
    with ExitStack() as files:
        skip_file = None
        if options.skip_bad is not None:
            # UTF-8 with a BOM, so Excel opens Korean text in it correctly. Moved into place once
            # the import is done; never over the database or the file being imported.
            skip_file = files.enter_context(
                open_output_file(
                    options.skip_bad, "csv", database=database_path(engine), reading=[path], encoding="utf-8-sig"
                )
            )
        sink = BadRowSink(summary, source.header, skip_file)
        try:
            with transaction(engine, write=True) as session:
                IMPORTERS[kind](session.connection(), source, layout, options.mapping, sink, summary, progress)
                if summary.bad_count and options.skip_bad is None:
                    raise rejection(summary)
                sink.flush()  # the bad rows are safe in their file before the good ones are committed
                if options.dry_run:
                    raise _DryRun
                summaries.refresh(session.connection())
        except _DryRun:
            pass
    return summary


def choose_layout(kind: str, source: SourceFile, options: ImportOptions) -> Layout:
    """Shopify's layout when asked for or recognised, else the file's columns through the mapping."""
    if options.format not in FORMATS:
        raise InputError(f'unknown format "{options.format}": use one of {", ".join(FORMATS)}')
    name = source.path.name
    if options.format == "shopify":
        if kind == "feedback":
            raise InputError("Shopify has no feedback export: use --format csv with --map")
        if not shopify.detect(kind, source.header):
            missing = ", ".join(shopify.missing_columns(kind, source.header)) or "Accepts Email Marketing"
            raise InputError(f"{name}: not a Shopify {kind} export (no column {missing})")
        return shopify.layout(kind, source.header)
    if options.format == "auto" and not options.mapping.columns and shopify.detect(kind, source.header):
        return shopify.layout(kind, source.header)
    indices = resolve_columns(kind, source.header, options.mapping, name)
    for alternatives in REQUIRED[kind]:
        if not any(field_name in indices for field_name in alternatives):
            wanted = " or ".join(alternatives)
            article = "an" if kind == "orders" else "a"
            columns = ", ".join(column for column in source.header if column)
            if len(columns) > 120:
                columns = columns[:117] + "..."
            raise InputError(
                f"{name}: not {article} {kind} file: no column for {wanted} (its columns: {columns}); "
                f'name one with --map "COLUMN={alternatives[0]}"'
            )
    return Layout("CSV", indices)
