"""How long does ``delight plan`` take on a big shop, next to one plain aggregate query?

Run from the repository root:  python bench/bench_plan.py [--customers 200000] [--repeat 3]

Seeds a database once (about 10 orders per customer; cached in the temp folder between
runs), then alternates, each in a fresh subprocess so peak memory is its own:

- baseline: one plain SQL query aggregating orders per customer (count, sum, min, max),
  fetched in full — the floor any planner reading every customer's orders approaches;
- delight: planning a week as ``delight plan`` does (``plan_week``) on a fresh copy of the
  database: facts for every customer, every rule, the plan, stored in one transaction. Its
  modules are imported before the clock starts, as ``sqlite3`` is for the baseline;
- the ``delight plan`` command end to end, in a new process: Python starting and importing
  SQLAlchemy and the rest (about a second on this machine) plus the same planning.

The target: planning takes at most 2x the baseline and stays under 500 MB. This machine is
shared, so besides the best and median of each, the ratio is also given within each round
(baseline and plan run one after the other), where a slow spell slows both.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.measure import child_report, in_subprocess  # noqa: E402
from db.engine import database_url, make_engine  # noqa: E402
from planner.services.planning import PlanOptions, plan_week  # noqa: E402

BASELINE_SQL = (
    "SELECT customer_id, COUNT(*), SUM(total_minor), MIN(placed_at), MAX(placed_at) FROM orders GROUP BY customer_id"
)
WEEK = "2026-W49"


def seeded_database(customers: int) -> Path:
    """A seeded database of this size, made once and kept in the temp folder (upgraded when reused)."""
    from db import schema
    from db.engine import database_url, make_engine, transaction
    from db.seed import SeedOptions, seed_database

    path = Path(tempfile.gettempdir()) / f"delight-bench-{customers}.db"
    if path.exists():
        engine = make_engine(database_url(str(path)))
        schema.upgrade(engine)  # a no-op unless this code has newer migrations than the file
        engine.dispose()
        return path

    partial = path.with_suffix(".partial")
    for leftover in partial.parent.glob(partial.name + "*"):
        leftover.unlink()
    engine = make_engine(database_url(str(partial)))
    schema.upgrade(engine)
    with transaction(engine) as session:
        seed_database(session.connection(), SeedOptions(customers=customers, seed=1, today=date(2026, 11, 30)))
    with engine.connect() as connection:
        connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    partial.rename(path)
    return path


def run_baseline(path: Path) -> int:
    with sqlite3.connect(path) as connection:
        return len(connection.execute(BASELINE_SQL).fetchall())


def run_delight(path: Path) -> int:
    engine = make_engine(database_url(str(path)))
    result = plan_week(engine, PlanOptions(week=WEEK, seed=1))
    engine.dispose()
    print(json.dumps({"steps": result.seconds}))
    return len(result.gestures) + result.held_out


def run_command(path: Path) -> int:
    """`delight plan` as a person runs it: a new process, imports and all."""
    command = [sys.executable, "-m", "planner", "--db", str(path), "plan", "--week", WEEK, "--seed", "1"]
    subprocess.run(command, check=True, capture_output=True)
    print(json.dumps({"command_peak_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024}))
    return 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--child", nargs=2, metavar=("WHICH", "DB"), help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.child:
        which, database = arguments.child
        runner = {"baseline": run_baseline, "delight": run_delight, "command": run_command}[which]
        child_report(lambda: runner(Path(database)))
        return
    source = seeded_database(arguments.customers)
    with sqlite3.connect(source) as connection:
        orders = connection.execute("SELECT COUNT(*) FROM orders").fetchone()[0]
    print(f"{arguments.customers:,} customers, {orders:,} orders ({source.stat().st_size / 1e6:.0f} MB)")
    baseline, delight, command = [], [], []
    with tempfile.TemporaryDirectory() as folder:
        for _ in range(arguments.repeat):
            baseline.append(in_subprocess(__file__, "baseline", str(source)))
            for which, runs in (("delight", delight), ("command", command)):
                copy = Path(folder) / "plan.db"
                shutil.copyfile(source, copy)
                os.sync()  # the copy's pages written out now, not while the plan runs
                runs.append(in_subprocess(__file__, which, str(copy)))
                copy.unlink()
    print(f"{'':34} {'best s':>7} {'median s':>9} {'peak MB':>8}")
    rows = (("baseline: one GROUP BY", baseline), ("delight: planning a week", delight))
    for label, runs in (*rows, ("`delight plan` command, end to end", command)):
        seconds = [run["seconds"] for run in runs]
        peak = max(run.get("command_peak_mb", run["peak_mb"]) for run in runs)
        print(f"{label:34} {min(seconds):>7.2f} {statistics.median(seconds):>9.2f} {peak:>8.0f}")
    steps = {name: statistics.median(run["steps"][name] for run in delight) for name in delight[0]["steps"]}
    print("delight plan, median per step: " + ", ".join(f"{name} {seconds:.2f} s" for name, seconds in steps.items()))
    best = min(r["seconds"] for r in delight) / min(r["seconds"] for r in baseline)
    median = statistics.median(r["seconds"] for r in delight) / statistics.median(r["seconds"] for r in baseline)
    # Each round runs the two one after the other, so a slow spell of this shared machine
    # slows both: the ratio within a round is the steadier figure.
    paired = sorted(d["seconds"] / b["seconds"] for d, b in zip(delight, baseline, strict=True))
    print(f"ratio delight / baseline: best {best:.2f}x, median {median:.2f}x")
    print(f"ratio within each round: median {statistics.median(paired):.2f}x, worst {paired[-1]:.2f}x")


if __name__ == "__main__":
    main()
