"""How fast does ``delight import orders`` load a big CSV, next to a bare csv + sqlite3 loader?

Run from the repository root:  python bench/bench_import.py [--rows 1000000] [--customers 100000]

Generates an orders CSV (one row per order: order_id, customer_id, placed_at, total,
currency, status; customers already in the database), then, each in a fresh
subprocess so that peak memory is its own:

- baseline: ``csv.reader`` + a customer dict + ``sqlite3.executemany`` into the same
  schema (same indexes), converting dates to UTC and amounts to integers — the least a
  correct loader does;
- delight: ``db.importers.import_file`` (validation, upsert by external id, bad-row
  handling, one transaction);
- delight again on the same file: every row unchanged (the idempotent re-import).

Prints rows/s, peak resident memory, and the ratio to the baseline.
"""

from __future__ import annotations

import argparse
import csv
import random
import sqlite3
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.measure import child_step, in_subprocess, print_results  # noqa: E402

SEOUL = ZoneInfo("Asia/Seoul")
INSERT = (
    "INSERT INTO orders (id, external_id, customer_id, placed_at, total_minor, currency, status) "
    "VALUES (?, ?, ?, ?, ?, ?, ?)"
)


def make_csv(path: Path, rows: int, customers: int, seed: int = 7) -> None:
    """One row per order, in the shape a Korean shop's export has (local times, won)."""
    rng = random.Random(seed)
    start = datetime(2024, 1, 1, 9, 0, 0)
    statuses = ["paid"] * 18 + ["refunded", "cancelled"]
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["order_id", "customer_id", "placed_at", "total", "currency", "status"])
        for number in range(rows):
            moment = start + timedelta(seconds=number * 61 + rng.randrange(60))
            writer.writerow(
                [
                    f"O{number:08d}",
                    f"C{rng.randrange(customers):07d}",
                    moment.strftime("%Y-%m-%d %H:%M:%S"),
                    rng.randrange(5, 300) * 1000,
                    "KRW",
                    rng.choice(statuses),
                ]
            )


def make_database(path: Path, customers: int) -> None:
    """A migrated delight database holding ``customers`` customers."""
    from db import schema
    from db.engine import bulk_insert, database_url, make_engine
    from db.models import Customer

    engine = make_engine(database_url(str(path)))
    schema.upgrade(engine)
    now = datetime.now(UTC)
    rows = [(number + 1, f"C{number:07d}", "ko", False, now) for number in range(customers)]
    with engine.begin() as connection:
        columns = ("id", "external_id", "language", "do_not_contact", "created_at")
        bulk_insert(connection, Customer.__table__, columns, rows)
    engine.dispose()


def run_baseline(database: Path, source: Path) -> int:
    """The bare loader: csv + dict + executemany, one transaction."""
    connection = sqlite3.connect(database)
    connection.execute("PRAGMA journal_mode = WAL")
    connection.execute("PRAGMA synchronous = NORMAL")
    customers = dict(connection.execute("SELECT external_id, id FROM customers"))
    count = 0

    def rows():
        nonlocal count
        with source.open(encoding="utf-8", newline="") as handle:
            reader = csv.reader(handle)
            next(reader)
            for order_id, customer, placed_at, total, currency, status in reader:
                count += 1
                moment = datetime.fromisoformat(placed_at).replace(tzinfo=SEOUL).astimezone(UTC)
                yield (
                    count,
                    order_id,
                    customers[customer],
                    moment.isoformat(" ", "microseconds")[:26],
                    int(total),
                    currency,
                    status,
                )

    with connection:
        connection.executemany(INSERT, rows())
    connection.close()
    return count


def run_delight(database: Path, source: Path) -> int:
    """The importer, exactly as ``delight import orders FILE`` runs it."""
    from db.engine import database_url, make_engine
    from db.importers import import_file

    engine = make_engine(database_url(str(database)))
    summary = import_file(engine, "orders", source)
    engine.dispose()
    return summary.rows


def measure(which: str, database: Path, source: Path) -> dict:
    return in_subprocess(__file__, which, str(database), str(source))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--child", nargs=3, metavar=("WHICH", "DB", "CSV"), help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if child_step(arguments.child, {"baseline": run_baseline, "delight": run_delight}):
        return
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        source = work / "orders.csv"
        started = time.perf_counter()
        make_csv(source, arguments.rows, arguments.customers)
        make_database(work / "baseline.db", arguments.customers)
        make_database(work / "delight.db", arguments.customers)
        print(
            f"{arguments.rows:,} orders ({source.stat().st_size / 1e6:.0f} MB CSV), "
            f"{arguments.customers:,} customers; setup {time.perf_counter() - started:.1f} s"
        )
        results = [
            ("baseline: csv + sqlite3 executemany", measure("baseline", work / "baseline.db", source)),
            ("delight import orders", measure("delight", work / "delight.db", source)),
            ("delight import orders, again (unchanged)", measure("delight", work / "delight.db", source)),
        ]
    print_results("loader", results)


if __name__ == "__main__":
    main()
