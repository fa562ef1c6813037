"""Import a shop's customers, orders and feedback: Shopify and SmartStore exports, or any table with a mapping.

One call, one transaction: ``import_file`` reads and checks the whole file, upserts
by external id, and either commits everything good (with ``skip_bad``) or nothing at
all when a row is bad. A dry run does all the work and rolls it back.

Module map: ``reading`` (CSV and xlsx, encoding, delimiter, header, rows with line numbers),
``parsing`` (dates, amounts), ``mapping`` (fields, ``--map``, TOML), ``layout`` (columns to
fields), ``shopify`` and ``smartstore`` (export layouts), ``customers`` / ``orders`` /
``feedback`` (the upserts), ``store`` (batched database work), ``results`` (summary, bad rows).
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Engine

from db.engine import database_path, transaction
from db.importers.customers import import_customers
from db.importers.feedback import import_feedback
from db.importers.orders import import_orders
from db.importers.results import BadRow, BadRowSink, Counts, ImportSummary, rejection
from planner.core.errors import InputError
from planner.files import shopify, smartstore
from planner.files.layout import Layout
from planner.files.mapping import FIELDS, KINDS, Mapping, load_mapping, resolve_columns
from planner.files.output_files import open_output_file
from planner.files.reading import ENCODINGS, FORMATS, SourceFile, inspect_file
from planner.files.spreadsheet import sheet_format

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
    password: str | None = None


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
    Raises ``planner.core.errors.RejectedImport`` (listing the bad rows) when a row is bad
    and ``options.skip_bad`` is not set; the database is then unchanged.
    """
    options = options or ImportOptions()
    if kind not in IMPORTERS:
        raise InputError(f'cannot import "{kind}": use one of {", ".join(KINDS)}')
    with inspect_file(path, options.encoding, options.password) as opened, ExitStack() as files:
        source, layout = choose_layout(kind, opened, options)
        summary = ImportSummary(
            kind,
            path,
            layout.source,
            source.encoding_name,
            source.header_line,
            dry_run=options.dry_run,
            skip_file=options.skip_bad,
        )
        skip_file = None
        if options.skip_bad is not None:
            # Moved into place once the import is done; never over the database or the file read.
            skip_file = files.enter_context(
                open_output_file(
                    options.skip_bad, sheet_format(options.skip_bad), database=database_path(engine), reading=[path]
                )
            )
        sink = BadRowSink(summary, source.header, skip_file, sheet_format(options.skip_bad))
        try:
            with transaction(engine, write=True) as session:
                IMPORTERS[kind](session.connection(), source, layout, options.mapping, sink, summary, progress)
                if summary.bad_count and options.skip_bad is None:
                    raise rejection(summary)
                sink.finish()  # the bad rows are safe in their file before the good ones are committed
                if options.dry_run:
                    raise _DryRun
        except _DryRun:
            pass
    return summary


def choose_layout(kind: str, source: SourceFile, options: ImportOptions) -> tuple[SourceFile, Layout]:
    """The export's layout when asked for or recognised (Shopify, SmartStore), else the file's columns.

    Returns the file too: a SmartStore export's header may sit below a title row.
    """
    if options.format not in FORMATS:
        raise InputError(f'unknown format "{options.format}": use one of {", ".join(FORMATS)}')
    name = source.path.name
    if options.format == "shopify":
        if kind == "feedback":
            raise InputError("Shopify has no feedback export: use --format csv with --map")
        if not shopify.detect(kind, source.header):
            missing = ", ".join(shopify.missing_columns(kind, source.header)) or "Accepts Email Marketing"
            raise InputError(f"{name}: not a Shopify {kind} export (no column {missing})")
        return source, shopify.layout(kind, source.header)
    smartstore_header = smartstore.detect(source) if kind == "orders" else None
    if options.format == "smartstore":
        if kind != "orders":
            raise InputError(f"SmartStore's order export holds orders: import it with `delight import orders {name}`")
        if smartstore_header is None:
            missing = ", ".join(smartstore.missing_columns(source))
            raise InputError(f"{name}: not a SmartStore order export (no column {missing})")
    automatic = options.format == "auto" and not options.mapping.columns
    if smartstore_header is not None and (automatic or options.format == "smartstore"):
        source = source.with_header_at(smartstore_header)
        return source, smartstore.layout(source.header, options.mapping)
    if automatic and shopify.detect(kind, source.header):
        return source, shopify.layout(kind, source.header)
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
    return source, Layout("CSV" if source.format == "csv" else "Excel", indices)
