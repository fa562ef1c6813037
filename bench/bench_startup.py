"""How long do everyday commands take, whole process, next to a plain Python process doing the least of the same?

Run from the repository root:  python bench/bench_startup.py [--repeat 5] [--customers 200000] [--source FILE]

Every figure is a new process, timed from its start to its exit, as a person waits for it; each
command runs right after its baseline, in the same round (the ratio within each round is the
steadier figure on this shared machine). The commands run as ``sys.executable -m planner``: this
interpreter, not the ``delight`` on PATH (under pyenv that is a bash shim that adds its own
start-up: timed in every round too, for reference). In a temporary folder, without DELIGHT_*
settings:

- ``delight --help`` (target 0.25 s), next to ``python -c "import click"``;
- ``delight week`` on a shop like the demo's (2,000 customers, mixed locale, this week planned:
  ``init``, ``seed``, ``plan``; target 0.6 s), next to a process importing SQLAlchemy and
  counting the week's gestures by kind, status and writer in one query;
- ``delight log sent ID --by bench`` on that shop (a different planned gesture each round),
  next to a process importing SQLAlchemy and running one UPDATE of a gesture;
- ``delight facts --format csv -o FILE`` on the 200,000-customer database of ``bench_plan.py``
  (target 3 s), next to the process that runs the facts' aggregate over orders
  (``bench_plan.aggregate_process``: polars, the driver, the one query);
- ``delight explain CUSTOMER --week W`` there (target 1 s), with the week planned and a customer
  it did not choose (so the plan is drawn again to say why: the longer path), next to the same
  aggregate process.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sqlite3
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.bench_plan import (  # noqa: E402
    SEED,
    TODAY,
    WEEK,
    aggregate_process,
    clean_environment,
    seeded_database,
)
from bench.measure import best_median, code_version, print_side_by_side, whole_process  # noqa: E402

DELIGHT = [sys.executable, "-m", "planner"]

WEEK_BASELINE = """\
import sys
import sqlalchemy as sa
engine = sa.create_engine(sys.argv[1])
with engine.connect() as connection:
    rows = connection.execute(
        sa.text("SELECT kind, status, writer, COUNT(*) FROM gestures WHERE week = :week GROUP BY kind, status, writer"),
        {"week": sys.argv[2]},
    ).all()
print(len(rows))
"""

LOG_BASELINE = """\
import sys
import sqlalchemy as sa
engine = sa.create_engine(sys.argv[1])
with engine.begin() as connection:
    connection.execute(
        sa.text("UPDATE gestures SET status = 'sent', sent_at = CURRENT_TIMESTAMP, sent_by = :by WHERE id = :id"),
        {"by": "bench", "id": int(sys.argv[2])},
    )
"""


def make_shop(folder: Path, environment: dict[str, str]) -> tuple[Path, str, list[int]]:
    """A shop like the demo's, this week planned: its file, the week, and its planned gestures' ids."""
    shop = folder / "shop.db"
    for step in (
        ["init"],
        ["seed", "--customers", "2000", "--locale", "mixed", "--seed", SEED],
        ["plan", "--seed", SEED],
    ):
        whole_process([*DELIGHT, "--db", str(shop), *step], env=environment, cwd=folder)
    with sqlite3.connect(shop) as connection:
        week = connection.execute("SELECT week FROM plan_runs ORDER BY id DESC LIMIT 1").fetchone()[0]
        planned = [row[0] for row in connection.execute("SELECT id FROM gestures WHERE status = 'planned' ORDER BY id")]
    return shop, week, planned


def make_big_shop(folder: Path, customers: int, source: Path | None, environment: dict[str, str]) -> tuple[Path, str]:
    """A copy of the big benchmark database with ``WEEK`` planned, and a customer that plan did not choose."""
    big = folder / "big.db"
    shutil.copyfile(seeded_database(customers, source), big)
    whole_process([*DELIGHT, "--db", str(big), "plan", "--week", WEEK, "--seed", SEED], env=environment, cwd=folder)
    with sqlite3.connect(big) as connection:
        (customer,) = connection.execute(
            "SELECT external_id FROM customers WHERE erased_at IS NULL AND NOT do_not_contact AND id NOT IN "
            "(SELECT customer_id FROM gestures WHERE week = ?) ORDER BY id LIMIT 1",
            (WEEK,),
        ).fetchone()
    return big, customer


def launcher() -> str | None:
    """The ``delight`` a person's shell runs: under pyenv its shim (a bash script), else the first on PATH."""
    shim = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "shims" / "delight"
    return str(shim) if shim.exists() else shutil.which("delight")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="rounds")
    parser.add_argument("--customers", type=int, default=200_000, help="the big database's size")
    parser.add_argument("--source", type=Path, help="start the big database from this seeded one (as bench_plan.py)")
    arguments = parser.parse_args()
    environment = clean_environment()
    rounds: dict[str, list[dict]] = defaultdict(list)
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        shop, shop_week, planned = make_shop(folder, environment)
        if len(planned) < 2 * arguments.repeat:
            raise SystemExit(f"the shop planned only {len(planned)} gestures: too few to log one a round")
        big, customer = make_big_shop(folder, arguments.customers, arguments.source, environment)
        os.sync()
        shop_url = f"sqlite:///{shop}"
        print(
            f"shop: 2,000 customers, {shop_week} planned ({len(planned)} gestures); big: {arguments.customers:,} "
            f"customers, {WEEK} planned, explaining {customer}; {arguments.repeat} rounds; {code_version()}; "
            f"load average {os.getloadavg()[0]:.1f}"
        )
        aggregate = aggregate_process(str(big))
        shim = launcher()
        pairs = {
            "python, nothing imported": (["-c", "pass"], [sys.executable, "-c", "pass"]),
            "delight --help": (["--help"], [sys.executable, "-c", "import click"]),
            "delight week (the shop)": (
                ["--db", str(shop), "week"],
                [sys.executable, "-c", WEEK_BASELINE, shop_url, shop_week],
            ),
            "delight log sent ID --by bench (the shop)": (None, None),  # ids change every round: below
            "delight facts --format csv -o FILE (big)": (
                ["--db", str(big), "facts", "--format", "csv", "-o", str(folder / "facts.csv"), "--as-of", str(TODAY)],
                aggregate,
            ),
            "delight explain CUSTOMER --week W (big)": (
                ["--db", str(big), "explain", customer, "--week", WEEK],
                aggregate,
            ),
        }
        for number in range(arguments.repeat):
            for label, (command, baseline) in pairs.items():
                if label.startswith("delight log sent"):
                    gesture, other = planned[2 * number], planned[2 * number + 1]
                    command = ["--db", str(shop), "log", "sent", str(gesture), "--by", "bench"]
                    baseline = [sys.executable, "-c", LOG_BASELINE, shop_url, str(other)]
                full = [sys.executable, *command] if label.startswith("python") else [*DELIGHT, *command]
                rounds[label + " baseline"].append(whole_process(baseline, env=environment, cwd=folder))
                rounds[label].append(whole_process(full, env=environment, cwd=folder))
            if shim:
                rounds["shim baseline"].append(whole_process([*DELIGHT, "--help"], env=environment, cwd=folder))
                rounds["shim"].append(whole_process([shim, "--help"], env=environment, cwd=folder))
            print(
                f"  round {number + 1}: "
                + ", ".join(f"{label.split(' (')[0]} {rounds[label][-1]['seconds']:.2f} s" for label in pairs),
                flush=True,
            )

    targets = {
        "delight --help": 0.25,
        "delight week (the shop)": 0.6,
        "delight facts --format csv -o FILE (big)": 3.0,
        "delight explain CUSTOMER --week W (big)": 1.0,
    }
    print(f"load average after: {os.getloadavg()[0]:.1f}; baselines:")
    print("  python, nothing imported: python -c pass (the row is the same, for the spread)")
    print(
        '  --help: python -c "import click"; week: SQLAlchemy + the week\'s GROUP BY; log sent: SQLAlchemy + one UPDATE'
    )
    print("  facts, explain: python -c importing polars and the driver, reading the facts' aggregate over orders")
    rows = []
    for label in pairs:
        runs = rounds[label]
        target = targets.get(label)
        verdict = ""
        if target is not None:
            _best, median = best_median([run["seconds"] for run in runs])
            verdict = f"<= {target} s: {'met' if median <= target else 'missed'} (median)"
        rows.append((label, runs, rounds[label + " baseline"], verdict))
    print_side_by_side(rows)
    if shim:
        added = sorted(
            a["seconds"] - b["seconds"] for a, b in zip(rounds["shim"], rounds["shim baseline"], strict=True)
        )
        best, median = best_median([run["seconds"] for run in rounds["shim"]])
        print(
            f"for reference, `delight --help` through {shim}: {best:.2f} s best, {median:.2f} s median; "
            f"{added[0]:.2f}-{added[-1]:.2f} s more than `python -m planner --help` in the same round"
        )


if __name__ == "__main__":
    main()
