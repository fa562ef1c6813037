"""Faults: a command killed halfway, and a database missing what keeps it right.

An interrupted `seed` once left the summary triggers dropped for good (on SQLite the drop was a
committed step of its own): later imports never reached the facts, and `init` said "up to date".
Facts are now worked out from the rows themselves and the triggers are gone (migration 0009); a
killed seed must still change nothing, and what is seeded later must reach the facts.
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

# Runs `delight ARGS...` with the seed's batch insert slowed down: after the first batch is in
# it says so in a file, then dawdles.
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
    assert our_triggers(store) == []  # nothing precomputed, nothing to keep current
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
    assert our_triggers(store) == []
    assert count(store, "customers") == 0
    init = initialised("init")
    assert init.exit_code == 0
    assert "already up to date" in init.output and "Repaired" not in init.output
    # What is seeded later reaches the facts.
    seeded = initialised("seed", "--customers", "20", "--today", "2026-11-30")
    assert seeded.exit_code == 0, seeded.output
    facts = initialised("facts", "--as-of", "2026-11-30")
    assert facts.exit_code == 0 and len(facts.output.splitlines()) == 21


def test_init_repairs_a_missing_index(initialised: Callable[..., Result], store: Engine) -> None:
    with store.begin() as connection:
        connection.execute(text("DROP INDEX ix_gestures_week_status"))
    result = initialised("init")
    assert result.output.splitlines()[1] == "Repaired: made again what was missing (index ix_gestures_week_status)."
    assert "Repaired" not in initialised("init").output
