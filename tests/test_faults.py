"""Faults: a command killed halfway, and a database missing what keeps it right.

An interrupted `seed` once left the summary triggers dropped for good (on SQLite the drop was a
committed step of its own): later imports never reached the facts, and `init` said "up to date".
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result
from sqlalchemy import Engine, text

from db import schema, summaries

# Runs `delight ARGS...` with the seed's batch insert slowed down: after the first batch is in
# (the triggers already dropped inside the transaction) it says so in a file, then dawdles.
SLOW_SEED = """
import pathlib, sys, time
import db.seed
from planner.cli import main
real_insert, started = db.seed._Batch.insert, pathlib.Path(sys.argv[1])
def insert(batch, connection):
    real_insert(batch, connection)
    started.write_text("first batch inserted")
    time.sleep(120)
db.seed._Batch.insert = insert
db.seed.BATCH_CUSTOMERS = 10
sys.argv = ["delight", *sys.argv[2:]]
main()
"""

TRIGGERS = {"sqlite": 9, "postgresql": 3}


def our_triggers(engine: Engine) -> list[str]:
    with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            return sorted(connection.exec_driver_sql("SELECT name FROM sqlite_master WHERE type = 'trigger'").scalars())
        return sorted(
            connection.exec_driver_sql(
                "SELECT t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
                "WHERE NOT t.tgisinternal AND c.relnamespace = current_schema()::regnamespace"
            ).scalars()
        )


def count(engine: Engine, table: str) -> int:
    with engine.connect() as connection:
        return connection.execute(text(f"SELECT COUNT(*) FROM {table}")).scalar_one()


@pytest.mark.parametrize("how", [signal.SIGKILL, signal.SIGINT], ids=["kill -9", "Ctrl-C"])
def test_a_seed_killed_halfway_changes_nothing(
    initialised: Callable[..., Result], store: Engine, db_url: str, tmp_path: Path, how: signal.Signals
) -> None:
    before = our_triggers(store)
    assert len(before) == TRIGGERS[store.dialect.name]
    started = tmp_path / "started"
    seeding = subprocess.Popen(
        [sys.executable, "-c", SLOW_SEED, str(started), "--db", db_url, "seed", "--customers", "40"],
        cwd=Path(__file__).parent.parent,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 60
        while not started.exists():
            assert seeding.poll() is None, seeding.stderr.read().decode() if seeding.stderr else ""
            assert time.monotonic() < deadline, "the seed never started"
            time.sleep(0.05)
        os.kill(seeding.pid, how)
        seeding.wait(timeout=30)
    finally:
        if seeding.poll() is None:
            seeding.kill()
            seeding.wait()
    assert our_triggers(store) == before
    assert count(store, "customers") == 0
    init = initialised("init")
    assert init.exit_code == 0
    assert "already up to date" in init.output and "Repaired" not in init.output
    # Change tracking works: what is imported later reaches the facts.
    seeded = initialised("seed", "--customers", "20", "--today", "2026-11-30")
    assert seeded.exit_code == 0, seeded.output
    facts = initialised("facts", "--as-of", "2026-11-30")
    assert facts.exit_code == 0 and len(facts.output.splitlines()) == 21


def test_init_repairs_missing_triggers_and_recounts(initialised: Callable[..., Result], store: Engine) -> None:
    assert initialised("seed", "--customers", "20", "--today", "2026-11-30").exit_code == 0
    # What an older delight's interrupted seed left: the triggers dropped and committed, then rows
    # written that no trigger marked.
    with store.begin() as connection:
        summaries.drop_triggers(connection)
        connection.execute(
            text("INSERT INTO customers (external_id, name, language, do_not_contact, created_at) "
                 "VALUES ('LATE', 'Late Comer', 'en', false, '2026-11-01 00:00:00')")
        )  # fmt: skip
        connection.execute(text("DELETE FROM stale_summaries"))
    assert len(our_triggers(store)) == (1 if store.dialect.name == "sqlite" else 0)
    damaged = initialised("explain", "LATE", "--week", "2026-W49")
    assert damaged.output == 'Error: customer "LATE" has no summary: run `delight init` to repair the database\n'
    result = initialised("init")
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert lines[0].endswith(f"already up to date (schema {schema.head_revision()}).")
    assert lines[1].startswith("Repaired: made again what was missing (trigger customers_stale")
    assert lines[1].endswith("); every customer's summary worked out again.")
    assert len(our_triggers(store)) == TRIGGERS[store.dialect.name]
    assert count(store, "customer_summaries") == 21
    assert initialised("explain", "LATE", "--week", "2026-W49").exit_code == 0
    assert "Repaired" not in initialised("init").output


def test_init_repairs_a_missing_index(initialised: Callable[..., Result], store: Engine) -> None:
    with store.begin() as connection:
        connection.execute(text("DROP INDEX ix_gestures_week_status"))
    result = initialised("init")
    assert result.output.splitlines()[1] == "Repaired: made again what was missing (index ix_gestures_week_status)."
    assert "Repaired" not in initialised("init").output
