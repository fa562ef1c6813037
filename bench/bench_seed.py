"""How fast does ``delight seed`` make believable data, next to the bare insert of the same rows?

Run from the repository root:  python bench/bench_seed.py [--customers 10000 200000]

For each size, each step in a fresh subprocess (so peak memory is its own):

- delight: ``delight seed`` as the command runs it — Faker pools, a seeded RNG, every
  history, batched driver-level inserts, one transaction — into a new database;
- baseline: the same rows, read back from that database beforehand (not timed), inserted
  with bare ``sqlite3.executemany`` into a fresh database with the same schema: the floor
  for writing these rows at all.

The targets: 10,000 customers in under 10 s, 200,000 (about 2 million orders) in under 2 minutes.
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
import tempfile
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.measure import child_report, in_subprocess  # noqa: E402

TABLES = ("customers", "orders", "order_items", "feedback")
TODAY = date(2026, 11, 30)


def fresh_database(path: Path) -> None:
    from db import schema
    from db.engine import database_url, make_engine

    engine = make_engine(database_url(str(path)))
    schema.upgrade(engine)
    engine.dispose()


def run_delight(path: Path, customers: int) -> int:
    from db.engine import database_url, make_engine, transaction
    from db.seed import SeedOptions, seed_database

    engine = make_engine(database_url(str(path)))
    with transaction(engine) as session:
        summary = seed_database(
            session.connection(), SeedOptions(customers=customers, locale="mixed", seed=1, today=TODAY)
        )
    engine.dispose()
    return summary.customers + summary.orders + summary.order_items + summary.feedback


def run_baseline(source: Path, target: Path) -> int:
    """Insert every row of ``source`` into ``target`` with bare executemany; only the inserts are timed."""
    with sqlite3.connect(source) as reader:
        tables = {table: reader.execute(f"SELECT * FROM {table}").fetchall() for table in TABLES}
    writer = sqlite3.connect(target)
    writer.execute("PRAGMA journal_mode = WAL")
    writer.execute("PRAGMA foreign_keys = ON")
    total = 0

    def insert_all() -> int:
        nonlocal total
        for table, rows in tables.items():
            marks = ", ".join("?" * len(rows[0]))
            writer.executemany(f"INSERT INTO {table} VALUES ({marks})", rows)
            total += len(rows)
        writer.commit()
        return total

    child_report(insert_all)
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, nargs="+", default=[10_000, 200_000])
    parser.add_argument("--child", nargs=3, metavar=("WHICH", "A", "B"), help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.child:
        which, first, second = arguments.child
        if which == "delight":
            child_report(lambda: run_delight(Path(first), int(second)))
        else:
            run_baseline(Path(first), Path(second))
        return
    print(f"{'customers':>10} {'rows':>11} {'delight s':>10} {'peak MB':>8} {'baseline s':>11} {'ratio':>7}")
    for customers in arguments.customers:
        with tempfile.TemporaryDirectory() as folder:
            seeded, bare = Path(folder) / "seeded.db", Path(folder) / "bare.db"
            fresh_database(seeded)
            fresh_database(bare)
            delight = in_subprocess(__file__, "delight", str(seeded), str(customers))
            baseline = in_subprocess(__file__, "baseline", str(seeded), str(bare))
        print(
            f"{customers:>10,} {delight['rows']:>11,} {delight['seconds']:>10.1f} {delight['peak_mb']:>8.0f} "
            f"{baseline['seconds']:>11.1f} {delight['seconds'] / baseline['seconds']:>6.2f}x"
        )


if __name__ == "__main__":
    main()
