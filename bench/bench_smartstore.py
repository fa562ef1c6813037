"""How fast does ``delight import orders`` read a Naver SmartStore export (.xlsx), next to openpyxl reading it?

Run from the repository root:  python bench/bench_smartstore.py [--customers 5000]

Seeds a Korean shop and writes its orders as a SmartStore order export
(``delight seed --export-smartstore``: a title row, 49 columns, one row per product order,
as openpyxl's write-only mode writes it), then, each in a fresh subprocess so that peak
memory is its own:

- baseline: openpyxl opening the same file read-only and reading every row's values
  (``iter_rows(values_only=True)``) — the least any importer of the file does;
- delight: ``db.importers.import_file`` into an empty database (SmartStore recognised by its
  headers, statuses, totals, customers and addresses, one transaction);
- delight again on the same file: every order unchanged (the idempotent re-import).

Prints rows/s, peak resident memory, and the ratio to the baseline.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.measure import child_step, in_subprocess, print_results  # noqa: E402


def make_export(target: Path, export: Path) -> int:
    """A seeded Korean shop's orders as a SmartStore export, and an empty database to import them into.

    Run in a child process like the steps measured, so that the parent stays small: a child's peak
    memory starts from its parent's size.
    """
    from db import schema
    from db.engine import database_url, make_engine, transaction
    from db.seed import SeedOptions, seed_database

    customers = int(export.stem.rsplit("-", 1)[1])  # a child step takes two paths: the count rides in the name
    seeded = make_engine(database_url(str(target.with_name("seeded.db"))))
    schema.upgrade(seeded)
    options = SeedOptions(customers=customers, seed=7, today=date(2026, 11, 30), export_smartstore=export)
    with transaction(seeded) as session:
        summary = seed_database(session.connection(), options)
    seeded.dispose()
    empty = make_engine(database_url(str(target)))
    schema.upgrade(empty)
    empty.dispose()
    return summary.exported_rows


def run_baseline(_database: Path, export: Path) -> int:
    """openpyxl alone: open read-only, read every row's values."""
    from openpyxl import load_workbook

    workbook = load_workbook(export, read_only=True, data_only=True)
    rows = sum(1 for _values in workbook.worksheets[0].iter_rows(values_only=True))
    workbook.close()
    return rows - 2  # the title row and the header


def run_delight(database: Path, export: Path) -> int:
    """The importer, exactly as ``delight import orders FILE`` runs it."""
    from db.engine import database_url, make_engine
    from db.importers import import_file

    engine = make_engine(database_url(str(database)))
    summary = import_file(engine, "orders", export)
    engine.dispose()
    return summary.rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=5_000)
    parser.add_argument("--child", nargs=3, metavar=("WHICH", "DB", "XLSX"), help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if child_step(arguments.child, {"setup": make_export, "baseline": run_baseline, "delight": run_delight}):
        return
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        export = work / f"스마트스토어_주문-{arguments.customers}.xlsx"
        target = work / "imported.db"
        setup = in_subprocess(__file__, "setup", str(target), str(export))
        print(
            f"{arguments.customers:,} customers seeded, {setup['rows']:,} rows exported "
            f"({export.stat().st_size / 1e6:.1f} MB xlsx) in {setup['seconds']:.1f} s"
        )
        results = [
            (label, in_subprocess(__file__, step, str(target), str(export)))
            for label, step in (
                ("baseline: openpyxl read-only, every row", "baseline"),
                ("delight import orders", "delight"),
                ("delight import orders, again (unchanged)", "delight"),
            )
        ]
    print_results("reader", results)


if __name__ == "__main__":
    main()
