"""How long do every customer's facts take as a polars frame, next to one plain aggregate query?

Run from the repository root, on a seeded store (``delight seed --customers 200000 --seed 1
--today 2026-11-29``; it is only read):

    python bench/bench_facts.py --db /work/bench-data/bench200k.db [--db postgresql://...] [--repeat 3]

For each store, each round runs these one after the other, each in a fresh process (so its peak
memory is its own; modules are imported before the clock starts, as a command has them):

- baseline, rows: one plain aggregate over the orders (count, sum, min, max per customer, paid
  only) fetched as the driver's rows (sqlite3 / psycopg): the floor a planner reading every
  customer's orders approaches, as ``bench_plan.py`` measures it;
- baseline, ADBC: the same query read into polars through ADBC, the fastest way to run it here;
- order totals (the facts' one aggregate over the orders, with its windows) through each reader:
  the driver's rows made into a frame, ADBC, and connectorx when it is installed (it is not a
  dependency: it needs pyarrow, and takes no query parameters);
- frame: every fact for every customer (``db.frames.load_facts``), items included;
- frame + rules: the facts the default rules and their reasons use, and each rule's matches
  (conditions compiled to polars, rule-engine imported before the clock);
- frame, orders grouped by polars: the same totals from every order read into polars and
  grouped there, instead of the aggregate in SQL (the other way to make the frame);
- today: ``load_fact_table`` with the default rules (today's compiled form) over the stored
  summaries (precomputed state), for comparison;

and, as whole commands in a new process (Python starting, imports and all): a Python process
running the baseline aggregate; ``delight facts --format csv`` as it is today; and the same CSV
from the frame (what ``delight facts`` becomes). Ratios are the medians of the ratios within
each round, where a slow spell of this shared machine slows both sides.
"""

from __future__ import annotations

import argparse
import json
import re
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.measure import child_report, in_subprocess  # noqa: E402

AS_OF = date(2026, 11, 30)
TIMEZONE = "Asia/Seoul"
CURRENCY = "KRW"
BASELINE_SQL = (
    "SELECT customer_id, COUNT(*) AS orders, CAST(SUM(total_minor) AS BIGINT) AS spent, MIN(placed_at) AS first_at, "
    "MAX(placed_at) AS last_at FROM orders WHERE status = 'paid' GROUP BY customer_id"
)

# A command that writes every customer's facts as CSV from the frame: what `delight facts --format csv` becomes.
FRAME_CSV = """
import sys
from datetime import date, datetime
from db.engine import database_url, make_engine
from planner.core.facts_frame import with_money
from db.frames import load_facts
from planner.core.facts import FACTS
engine = make_engine(database_url(sys.argv[1]))
frame = with_money(load_facts(engine.url, as_of=date(2026, 11, 30), timezone="Asia/Seoul"), "KRW")
columns = ["external_id", *(fact.name for fact in FACTS)]
frame = frame.select(columns).with_columns(last_order_items=frame["last_order_items"].list.join(", "))
frame.rename({"external_id": "customer_id"}).write_csv(sys.stdout)
"""

BASELINE_PROCESS = """
import sys
if sys.argv[1].startswith("postgresql"):
    import psycopg
    connection = psycopg.connect(sys.argv[1].replace("postgresql+psycopg", "postgresql"))
else:
    import sqlite3
    connection = sqlite3.connect(sys.argv[1])
print(len(connection.execute(sys.argv[2]).fetchall()))
"""


def _url(db: str):  # type: ignore[no-untyped-def]
    from db.engine import database_url, make_engine

    return make_engine(database_url(db)).url


# Each step imports what it needs and returns the work to time.


def baseline_rows(db: str) -> Callable[[], int]:
    if db.startswith("postgresql"):
        import psycopg

        def fetch() -> int:
            with psycopg.connect(db.replace("postgresql+psycopg", "postgresql")) as connection:
                return len(connection.execute(BASELINE_SQL).fetchall())

        return fetch
    import sqlite3

    def fetch_sqlite() -> int:
        with sqlite3.connect(db) as connection:
            return len(connection.execute(BASELINE_SQL).fetchall())

    return fetch_sqlite


def baseline_adbc(db: str) -> Callable[[], int]:
    import polars as pl

    from db.frames import reading

    url = _url(db)
    schema = {"customer_id": pl.Int64, "orders": pl.Int64, "spent": pl.Int64}

    def read_into_polars() -> int:
        with reading(url) as read:
            return read(BASELINE_SQL, [], schema).height

    return read_into_polars


def _order_totals_query(db: str):  # type: ignore[no-untyped-def]
    """The order totals query of ``db.frames`` with its parameters, for the readers compared below."""
    from db import frames
    from planner.core.facts_frame import PAID, moments

    when = moments(AS_OF, TIMEZONE)
    return frames._ORDER_TOTALS_SQL, [when.until, when.orders_since, when.spend_since, PAID]


def orders_rows(db: str) -> Callable[[], int]:
    """The order totals as the driver's rows, made into a polars frame."""
    import polars as pl

    from db.engine import _sqlite_utc_text

    sql, parameters = _order_totals_query(db)
    if db.startswith("postgresql"):
        import psycopg

        def fetch() -> int:
            with psycopg.connect(db.replace("postgresql+psycopg", "postgresql")) as connection:
                rows = connection.execute(re.sub(r"\$(\d)", r"%(p\1)s", sql), _named(parameters)).fetchall()
                return pl.DataFrame(rows, orient="row", infer_schema_length=None).height

        return fetch
    import sqlite3

    texts = [_sqlite_utc_text(value) if isinstance(value, datetime) else value for value in parameters]

    def fetch_sqlite() -> int:
        with sqlite3.connect(db) as connection:
            rows = connection.execute(re.sub(r"\$(\d)", r"?\1", sql), texts).fetchall()
            return pl.DataFrame(rows, orient="row", infer_schema_length=None).height

    return fetch_sqlite


def _named(parameters: list) -> dict:
    return {f"p{number}": value for number, value in enumerate(parameters, start=1)}


def orders_adbc(db: str) -> Callable[[], int]:
    from db.frames import reading
    from planner.core.facts_frame import ORDER_TOTALS_SCHEMA

    url = _url(db)
    sql, parameters = _order_totals_query(db)

    def read_into_polars() -> int:
        with reading(url) as read:
            return read(sql, parameters, ORDER_TOTALS_SCHEMA).height

    return read_into_polars


def orders_connectorx(db: str) -> Callable[[], int]:
    """connectorx takes no parameters: the values are written into the query."""
    import connectorx  # not a dependency: `pip install connectorx pyarrow` to compare

    from db.engine import _sqlite_utc_text

    sql, parameters = _order_totals_query(db)
    postgresql = db.startswith("postgresql")
    instant = datetime.isoformat if postgresql else _sqlite_utc_text
    values = [f"'{instant(value) if isinstance(value, datetime) else value}'" for value in parameters]
    source = db.replace("postgresql+psycopg", "postgresql") if postgresql else f"sqlite://{db}"
    query = re.sub(r"\$(\d)", lambda found: values[int(found.group(1)) - 1], sql)
    return lambda: connectorx.read_sql(source, query, return_type="polars").height


def frame(db: str) -> Callable[[], int]:
    from db.frames import load_facts

    url = _url(db)
    return lambda: load_facts(url, as_of=AS_OF, timezone=TIMEZONE).height


def frame_and_rules(db: str) -> Callable[[], int]:
    import rule_engine  # noqa: F401  (imported before the clock, as the rules loader has it by then)

    from db.frames import load_facts
    from planner.core.conditions import compile_condition, matches
    from planner.core.rules import load_rules

    url, rules = _url(db), load_rules().rules

    def facts_and_matches() -> int:
        started = time.perf_counter()
        conditions = {rule.name: compile_condition(rule.name, rule.when, CURRENCY) for rule in rules}
        compiled = time.perf_counter()
        used = [condition.facts_used for condition in conditions.values()] + [rule.reason_facts for rule in rules]
        facts = load_facts(url, as_of=AS_OF, timezone=TIMEZONE, facts=sorted({"has_open_complaint"}.union(*used)))
        loaded = time.perf_counter()
        matched = sum(matches(facts, conditions).sum().row(0))
        _say(steps={"compile": compiled - started, "facts": loaded - compiled, "match": time.perf_counter() - loaded})
        return matched

    return facts_and_matches


def frame_grouped_by_polars(db: str) -> Callable[[], int]:
    """The frame with the order totals worked out by polars from every order, not by SQL."""
    import polars as pl

    from db import frames
    from planner.core.facts_frame import ORDER_TOTALS_SCHEMA, FactTables, facts_frame, moments

    url, when = _url(db), moments(AS_OF, TIMEZONE)
    instant = ORDER_TOTALS_SCHEMA["last_purchase_at"]
    schema = {"customer_id": pl.Int64, "paid": pl.Boolean, "total_minor": pl.Int64, "placed_at": instant}
    orders_sql = "SELECT customer_id, status = 'paid' AS paid, total_minor, placed_at FROM orders WHERE placed_at < $1"
    paid, placed = pl.col("paid"), pl.col("placed_at")
    totals = {
        "purchases": paid.sum().cast(pl.Int64),
        "spent_minor": pl.col("total_minor").filter(paid).sum(),
        "first_purchase_at": placed.filter(paid).min(),
        "last_purchase_at": placed.filter(paid).max(),
        "refunds": (~paid).sum().cast(pl.Int64),
        "recent_purchases": (paid & (placed >= when.orders_since)).sum().cast(pl.Int64),
        "recent_spent_minor": pl.col("total_minor").filter(paid & (placed >= when.spend_since)).sum(),
    }

    def group_in_polars() -> int:
        with frames.reading(url) as read:
            orders = read(orders_sql, [when.until], schema)
            customers = read(frames._CUSTOMERS_SQL, [], frames.CUSTOMERS_SCHEMA)
            feedback = read(frames._FEEDBACK_SQL, [when.until], frames.FEEDBACK_SCHEMA)
            gestures = read(frames._GESTURES_SQL, [when.until], frames.GESTURES_SCHEMA)
            items = read(frames._LAST_ITEMS_SQL, [when.until, "paid"], frames.LAST_ITEMS_SCHEMA)
        per_customer = orders.group_by("customer_id").agg(**totals).select(list(ORDER_TOTALS_SCHEMA))
        tables = FactTables(customers, per_customer, feedback, gestures, items)
        return facts_frame(tables, as_of=AS_OF, timezone=TIMEZONE).height

    return group_in_polars


def today(db: str) -> Callable[[], int]:
    from zoneinfo import ZoneInfo

    from db.engine import database_url, make_engine
    from planner.core.facts_frame import load_fact_table
    from planner.core.rules import load_rules
    from planner.services.planning import load_history

    engine, rules = make_engine(database_url(db)), load_rules().rules

    def fact_table_and_rules() -> int:
        with engine.connect() as connection:
            history = load_history(connection, "", ZoneInfo(TIMEZONE))
            table = load_fact_table(
                connection, as_of=AS_OF, timezone=ZoneInfo(TIMEZONE), currency=CURRENCY, history=history
            )
            return sum(sum(rule.matches_all(table)) for rule in rules)

    return fact_table_and_rules


def command(which: str, db: str) -> Callable[[], int]:
    """A whole command in a new process: its wall time, and its peak memory as the child's."""
    facts_today = ["-m", "planner", "--db", db, "facts", "--as-of", str(AS_OF), "--format", "csv"]
    commands = {
        "baseline_process": [sys.executable, "-c", BASELINE_PROCESS, db, BASELINE_SQL],
        "facts_csv_today": [sys.executable, *facts_today],
        "facts_csv_frame": [sys.executable, "-c", FRAME_CSV, db],
    }

    def run() -> int:
        started = time.perf_counter()
        result = subprocess.run(commands[which], check=True, capture_output=True, cwd=ROOT)
        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        _say(wall_seconds=time.perf_counter() - started, command_peak_mb=peak)
        return result.stdout.count(b"\n")

    return run


def _say(**figures: object) -> None:
    print(json.dumps(figures))


STEPS = {
    "baseline_rows": ("baseline: one GROUP BY, driver rows", baseline_rows),
    "baseline_adbc": ("baseline: one GROUP BY, ADBC", baseline_adbc),
    "orders_rows": ("order totals: driver rows -> polars", orders_rows),
    "orders_adbc": ("order totals: ADBC -> polars", orders_adbc),
    "orders_connectorx": ("order totals: connectorx -> polars", orders_connectorx),
    "frame": ("frame: every fact", frame),
    "frame_rules": ("frame: rules' facts + default rules", frame_and_rules),
    "frame_polars_groupby": ("frame: orders grouped by polars", frame_grouped_by_polars),
    "today": ("today: fact table + default rules", today),
}
COMMANDS = {
    "baseline_process": "process: python + the GROUP BY",
    "facts_csv_today": "`delight facts --format csv` today",
    "facts_csv_frame": "facts CSV from the frame",
}


# Start-up: what importing the pieces costs a new process (`--startup`).
STARTUP = {
    "python, nothing imported": "pass",
    "import polars": "import polars",
    "import rule_engine (builds its parser)": "import rule_engine",
    "import planner.ruleengine (today: tables patched in)": "import planner.ruleengine",
    "import planner.core.facts (FACTS; SQLAlchemy, until the swap)": "import planner.core.facts",
    "import planner.core.conditions": "import planner.core.conditions",
    "compile one condition (imports rule_engine)": (
        "from planner.core.conditions import compile_condition; compile_condition('x', 'orders_count > 1', 'KRW')"
    ),
}


def startup(repeat: int) -> None:
    print(f"\nstart-up, whole process, median of {repeat}")
    for label, code in STARTUP.items():
        seconds = []
        for _ in range(repeat):
            started = time.perf_counter()
            subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)
            seconds.append(time.perf_counter() - started)
        print(f"{label:55} {statistics.median(seconds):>6.2f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", action="append", default=[], help="a seeded store (repeatable)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--startup", action="store_true", help="also time importing the pieces in a new process")
    parser.add_argument("--child", nargs=2, metavar=("WHICH", "DB"), help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.child:
        which, db = arguments.child
        child_report(command(which, db) if which in COMMANDS else STEPS[which][1](db))
        return
    for db in arguments.db:
        runs: dict[str, list[dict]] = {name: [] for name in (*STEPS, *COMMANDS)}
        failures: dict[str, list[str]] = {}
        for _ in range(arguments.repeat):
            for name in runs:
                try:
                    runs[name].append(in_subprocess(__file__, name, db))
                except subprocess.CalledProcessError as error:  # connectorx not installed, or failing
                    failures[name] = (error.stderr or "").strip().splitlines()[-1:] or ["failed"]
        _report(db, {name: found for name, found in runs.items() if found}, failures)
    if arguments.startup:
        startup(max(5, arguments.repeat))


def _report(db: str, runs: dict[str, list[dict]], failures: dict[str, list[str]]) -> None:
    customers, rounds = runs["frame"][0]["rows"], len(runs["frame"])
    print(f"\n{db.split('@')[-1]}: facts as of {AS_OF}, {customers:,} customers, {rounds} rounds")
    print(f"{'':40} {'best s':>7} {'median s':>9} {'peak MB':>8} {'median ratio to rows':>21} {'to ADBC':>8}")
    for name, runs_of in runs.items():
        label = STEPS[name][0] if name in STEPS else COMMANDS[name]
        key = "wall_seconds" if name in COMMANDS else "seconds"
        base = runs["baseline_process"] if name in COMMANDS else runs["baseline_rows"]
        if len(runs_of) != len(base):  # some rounds failed
            continue
        seconds = [run[key] for run in runs_of]
        peak = max(run.get("command_peak_mb", run["peak_mb"]) for run in runs_of)
        to_rows = statistics.median(r[key] / b[key] for r, b in zip(runs_of, base, strict=True))
        adbc = ""
        if name in STEPS:
            pairs = zip(runs_of, runs["baseline_adbc"], strict=True)
            adbc = f"{statistics.median(r['seconds'] / b['seconds'] for r, b in pairs):>7.2f}x"
        best, median = min(seconds), statistics.median(seconds)
        print(f"{label:40} {best:>7.2f} {median:>9.2f} {peak:>8.0f} {to_rows:>20.2f}x {adbc:>8}")
    for name, reason in failures.items():
        print(f"{STEPS[name][0] if name in STEPS else COMMANDS[name]:40} failed: {reason[0][:120]}")
    steps = runs["frame_rules"][0].get("steps", {})
    medians = {step: statistics.median(run["steps"][step] for run in runs["frame_rules"]) for step in steps}
    print("frame + rules, median per step: " + ", ".join(f"{step} {value:.2f} s" for step, value in medians.items()))
    print("(commands are compared with the Python process running the GROUP BY; the rest with the GROUP BY in process)")


if __name__ == "__main__":
    main()
