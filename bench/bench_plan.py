"""How long does ``delight plan`` take on a big shop, next to the one aggregate query over orders it needs?

Run from the repository root:

    python bench/bench_plan.py [--customers 200000] [--repeat 5] [--source FILE]  # SQLite
    python bench/bench_plan.py --url postgresql+psycopg://USER@HOST/DB [--repeat 5]

SQLite: a seeded database (about 10 orders per customer; made once and kept in the temp folder,
named by this code's schema revision; ``--source FILE`` starts it from a copy of a seeded
database instead of seeding) is copied afresh for every plan. PostgreSQL: the database at ``--url``,
already seeded (``delight --db URL init && delight --db URL seed --customers 200000 --seed 1
--today 2026-11-30``); the week's gestures and plan runs are deleted before every plan, so each
plans from the same state. Nothing is precomputed: the facts are worked out from the orders.

Each round runs, one after the other and each in a fresh process (so its peak memory is its own):

- baseline, in process: the aggregate over every order the facts need (``_ORDER_TOTALS_SQL``,
  counts and sums per customer with their windows) with its parameters, read through
  ``db.frames.reading`` as the facts read it (PostgreSQL: ADBC into polars; SQLite: each column
  as one JSON array, decoded by polars); its modules imported before the clock;
- delight, in process: ``plan_week`` for the week, as ``delight plan`` calls it: the facts of
  every customer, every rule, the plan, stored in one transaction. Its modules are imported
  before the clock too, rule-engine included (its import builds its PLY parser tables, 0.4-1 s
  here, paid once per process: timed and printed apart);
- baseline, whole process: ``python -c`` importing polars and the driver (ADBC's, or sqlite3)
  and reading the same aggregate the same way (what a Python program doing only that pays:
  start-up, imports, the query);
- delight, whole command: ``python -m planner --db URL plan --week W --seed 1``, a new process:
  start-up, imports, the plan, storing and printing.

Targets: in process at most 1.3x the baseline, whole command at most 1.5x; peak memory under
400 MB. This machine is shared: besides the best and median of each, the ratio is given within
each round (the two run one after the other, so a slow spell slows both), its median and range.
The commands are run with this interpreter (``sys.executable -m planner``), not a ``delight``
launcher on PATH, which may be a shell script that adds its own start-up.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from contextlib import closing, contextmanager
from datetime import date
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.measure import child_report, code_version, in_subprocess, print_side_by_side, whole_process  # noqa: E402

WEEK = "2026-W49"
SEED = "1"
TODAY = date(2026, 11, 30)  # what the benchmark databases are seeded up to

# A Python process that runs the aggregate and nothing else, read the way ``db.frames.reading``
# reads it: PostgreSQL through ADBC into polars; SQLite with each column handed over as one JSON
# array (the query arrives wrapped so), decoded by polars. Arguments: the driver module, its
# connection string, the query, the columns' types as SQLite hands them over (JSON), then the
# parameters (instants in ISO form; SQLite gets them as the text it stores).
AGGREGATE_PROCESS = """\
import importlib, json, sys
from datetime import datetime
import polars as pl
module, target, sql, types, *parameters = sys.argv[1:]
instants = [datetime.fromisoformat(value) for value in parameters[:-1]]
if module == "sqlite3":
    import sqlite3
    values = [value.strftime("%Y-%m-%d %H:%M:%S.%f") for value in instants] + parameters[-1:]
    count, *columns = sqlite3.connect(target, uri=True).execute(sql, values).fetchone()
    schema = {name: getattr(pl, dtype) for name, dtype in json.loads(types).items()}
    frame = pl.DataFrame({name: [column] for name, column in zip(schema, columns)}).select(
        pl.col(name).str.json_decode(pl.List(dtype)).explode() for name, dtype in schema.items()
    )
else:
    import adbc_driver_manager as adbc
    connection = adbc.AdbcConnection(importlib.import_module(module).connect(target))
    statement = adbc.AdbcStatement(connection)
    statement.set_sql_query(sql)
    statement.bind_stream(pl.DataFrame({f"p{n}": [v] for n, v in enumerate([*instants, parameters[-1]])}))
    stream, _ = statement.execute_query()
    frame = pl.DataFrame(stream)
print(frame.height)
"""


def seeded_database(customers: int, source: Path | None = None) -> Path:
    """A seeded SQLite database of this size, made once and kept in the temp folder.

    Its name carries this code's schema revision, so a checkout with other migrations keeps its
    own and never upgrades this one under a running benchmark. ``source``: a seeded database of
    that size to start from instead of seeding (several minutes): it is copied, the copy upgraded
    and vacuumed; the source is not modified.
    """
    from db import schema
    from db.engine import database_url, make_engine, transaction
    from db.seed import SeedOptions, seed_database

    path = Path(tempfile.gettempdir()) / f"delight-bench-{customers}-{schema.head_revision()}.db"
    if path.exists():
        return path
    partial = path.with_suffix(".partial")
    for leftover in partial.parent.glob(partial.name + "*"):
        leftover.unlink()
    if source is not None:
        shutil.copyfile(source, partial)
    engine = make_engine(database_url(str(partial)))
    schema.upgrade(engine)
    if source is None:
        with transaction(engine) as session:
            seed_database(session.connection(), SeedOptions(customers=customers, seed=1, today=TODAY))
    engine.dispose()
    with closing(sqlite3.connect(partial, isolation_level=None)) as connection:
        (found,) = connection.execute("SELECT COUNT(*) FROM customers").fetchone()
        if found != customers:
            raise SystemExit(f"{source} holds {found:,} customers, not {customers:,}: give --customers {found}")
        if source is not None:
            connection.execute("VACUUM")  # what an upgrade dropped, given back: as if seeded so
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    partial.rename(path)
    return path


def aggregate_parameters(week: str = WEEK) -> list:
    """The aggregate's parameters as the plan of ``week`` binds them (the shipped rules' time zone)."""
    from planner.core.facts_frame import PAID, moments
    from planner.core.rules import load_rules
    from planner.core.weeks import monday

    instants = moments(monday(week), load_rules(None).timezone)
    return [instants.until, instants.orders_since, instants.spend_since, PAID]


def aggregate_process(url: str, week: str = WEEK) -> list[str]:
    """The command line of the plain Python process that runs the aggregate on ``url``."""
    from sqlalchemy.engine import make_url

    from db.engine import database_url
    from db.frames import _ORDER_TOTALS_SQL, _as_json_arrays, _as_sqlite_hands_over
    from planner.core.facts_frame import ORDER_TOTALS_SCHEMA

    parsed = make_url(database_url(url))
    if parsed.get_backend_name() == "sqlite":
        module, target = "sqlite3", f"file:{quote(str(parsed.database))}?mode=ro"
        sql = _as_json_arrays(_ORDER_TOTALS_SQL, ORDER_TOTALS_SCHEMA)
    else:
        module = "adbc_driver_postgresql"
        target = parsed.set(drivername="postgresql").render_as_string(hide_password=False)
        sql = _ORDER_TOTALS_SQL
    *instants, paid = aggregate_parameters(week)
    return [
        sys.executable,
        "-c",
        AGGREGATE_PROCESS,
        module,
        target,
        sql,
        json.dumps({name: str(dtype) for name, dtype in _as_sqlite_hands_over(ORDER_TOTALS_SCHEMA).items()}),
        *(value.isoformat() for value in instants),
        paid,
    ]


def clean_environment() -> dict[str, str]:
    """This environment without delight's own settings (DELIGHT_DB, DELIGHT_RULES...): the defaults apply."""
    return {name: value for name, value in os.environ.items() if not name.startswith("DELIGHT_")}


def prepare_baseline(url: str) -> Callable[[], int]:
    from sqlalchemy.engine import make_url

    from db.frames import _ORDER_TOTALS_SQL, reading
    from planner.core.facts_frame import ORDER_TOTALS_SCHEMA

    parameters = aggregate_parameters()
    parsed = make_url(url)

    def work() -> int:
        with reading(parsed) as read:
            return read(_ORDER_TOTALS_SQL, parameters, ORDER_TOTALS_SCHEMA).height

    return work


def prepare_delight(url: str) -> Callable[[], int]:
    started = time.perf_counter()
    import rule_engine  # noqa: F401  (builds its parser tables: paid once per process)

    rule_engine_import = time.perf_counter() - started
    from db import frames
    from db.engine import make_engine
    from planner.services import planning
    from planner.services.planning import PlanOptions, plan_week

    # Where the facts step goes: each query read, the frame worked out from them, and the rest.
    parts: dict[str, float] = defaultdict(float)
    queries = {
        frames._CUSTOMERS_SQL: "read customers",
        frames._ORDER_TOTALS_SQL: "read orders aggregate",
        frames._FEEDBACK_SQL: "read feedback",
        frames._GESTURES_SQL: "read gestures",
        frames._last_items_sql(): "read last items (everyone's)",
        frames._last_items_sql(backend="postgresql"): "read last items (everyone's)",
    }

    def timed(name: str, function: Callable) -> Callable:
        def run(*arguments, **options):
            started = time.perf_counter()
            try:
                return function(*arguments, **options)
            finally:
                parts[name] += time.perf_counter() - started

        return run

    reading = frames.reading

    @contextmanager
    def timed_reading(url):
        with reading(url) as read:
            yield lambda sql, *rest: timed(queries.get(sql, "read other"), read)(sql, *rest)

    frames.reading = timed_reading
    frames.facts_frame = timed("facts frame from the tables", frames.facts_frame)
    # The rest of the facts step: the templates (and their tone check), the week so far, history, listening, gifts.
    planning.load_templates = timed("templates", planning.load_templates)
    planning._planning_request = timed("history, listening, gifts", planning._planning_request)

    def work() -> int:
        engine = make_engine(url)
        result = plan_week(engine, PlanOptions(week=WEEK, seed=int(SEED)))
        engine.dispose()
        print(json.dumps({"steps": result.seconds, "parts": parts, "rule_engine_import": rule_engine_import}))
        return len(result.gestures) + result.held_out

    return work


def reset_week(url: str) -> None:
    """Delete ``WEEK``'s plan runs and gestures (and the runs' audit events): the store as before any plan of it."""
    from sqlalchemy import text

    from db.engine import make_engine

    engine = make_engine(url)
    runs = "SELECT id FROM plan_runs WHERE week = :week"
    with engine.begin() as connection:
        connection.execute(
            text(f"DELETE FROM audit_events WHERE entity = 'plan_run' AND entity_id IN ({runs})"), {"week": WEEK}
        )
        connection.execute(text("DELETE FROM gestures WHERE week = :week"), {"week": WEEK})
        connection.execute(text("DELETE FROM plan_runs WHERE week = :week"), {"week": WEEK})
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.exec_driver_sql("VACUUM ANALYZE gestures, plan_runs, audit_events")
    engine.dispose()


def describe(url: str) -> str:
    from sqlalchemy import text

    from db.engine import make_engine

    engine = make_engine(url)
    with engine.connect() as connection:
        customers, orders = (
            connection.execute(text(f"SELECT COUNT(*) FROM {table}")).scalar_one() for table in ("customers", "orders")
        )
    engine.dispose()
    return f"{customers:,} customers, {orders:,} orders"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=200_000, help="the SQLite database's size")
    parser.add_argument("--repeat", type=int, default=5, help="rounds")
    parser.add_argument("--url", help="a seeded PostgreSQL database instead of SQLite")
    parser.add_argument(
        "--source", type=Path, help="SQLite: start from this seeded database (copied) instead of seeding"
    )
    parser.add_argument("--child", nargs=2, metavar=("WHICH", "URL"), help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.child:
        which, url = arguments.child
        child_report({"baseline": prepare_baseline, "delight": prepare_delight}[which](url))
        return

    from db.engine import database_url

    environment = clean_environment()
    rounds: dict[str, list[dict]] = defaultdict(list)
    with tempfile.TemporaryDirectory() as folder:
        if arguments.url:
            url = database_url(arguments.url)
            print(f"{url}: {describe(url)}")

            def fresh() -> str:
                reset_week(url)
                return url

        else:
            source = seeded_database(arguments.customers, arguments.source)
            size = f"{source.stat().st_size / 1e6:.0f} MB"
            print(f"{source}: {describe(database_url(str(source)))} ({size}), copied afresh for every plan")
            copy = Path(folder) / "plan.db"

            def fresh() -> str:
                for leftover in Path(folder).glob("plan.db*"):
                    leftover.unlink()
                shutil.copyfile(source, copy)
                os.sync()  # the copy's pages written out now, not while the plan runs
                return database_url(str(copy))

        print(
            f"week {WEEK}, seed {SEED}, {arguments.repeat} rounds; {code_version()}; "
            f"load average {os.getloadavg()[0]:.1f}"
        )
        for number in range(arguments.repeat):
            store = fresh()
            rounds["baseline"].append(in_subprocess(__file__, "baseline", store))
            rounds["delight"].append(in_subprocess(__file__, "delight", store))
            store = fresh()
            rounds["baseline process"].append(whole_process(aggregate_process(store), env=environment, cwd=folder))
            command = [sys.executable, "-m", "planner", "--db", store, "plan", "--week", WEEK, "--seed", SEED]
            rounds["command"].append(whole_process(command, env=environment, cwd=folder))
            print(
                f"  round {number + 1}: in process {rounds['delight'][-1]['seconds']:.2f} s "
                f"vs {rounds['baseline'][-1]['seconds']:.2f} s; whole {rounds['command'][-1]['seconds']:.2f} s "
                f"vs {rounds['baseline process'][-1]['seconds']:.2f} s",
                flush=True,
            )
        if arguments.url:
            reset_week(url)

    print(f"load average after: {os.getloadavg()[0]:.1f}")
    print_side_by_side(
        [
            ("in process: plan_week / the aggregate", rounds["delight"], rounds["baseline"], "<= 1.3x"),
            (
                "whole: `python -m planner plan` / python -c",
                rounds["command"],
                rounds["baseline process"],
                "<= 1.5x",
            ),
        ]
    )
    delight = rounds["delight"]
    peaks = ", ".join(
        f"{name} {max(run['peak_mb'] for run in rounds[name]):.0f} MB"
        for name in ("baseline", "delight", "baseline process", "command")
    )
    print(f"peak memory (target < 400 MB): {peaks}")
    steps = {name: statistics.median(run["steps"][name] for run in delight) for name in delight[0]["steps"]}
    print("plan_week steps, median: " + ", ".join(f"{name} {seconds:.2f} s" for name, seconds in steps.items()))
    parts = {name: statistics.median(run["parts"].get(name, 0.0) for run in delight) for name in delight[0]["parts"]}
    print("  within facts, median: " + ", ".join(f"{name} {seconds:.2f} s" for name, seconds in parts.items()))
    print(
        "rule-engine's import (parser tables), before the clock, median: "
        f"{statistics.median(run['rule_engine_import'] for run in delight):.2f} s"
    )
    print(f"rows: baseline {rounds['baseline'][0]['rows']:,} customers; plan {delight[0]['rows']:,} gestures")


if __name__ == "__main__":
    main()
