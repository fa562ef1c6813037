"""The store: schema creation and upgrade, one transaction per command, and clear errors."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest
import sqlmodel
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from click.testing import Result
from sqlalchemy import Engine, func, inspect, select, text
from sqlalchemy.exc import StatementError
from sqlmodel import SQLModel

import db.engine
from db import schema
from db.engine import make_engine, transaction
from db.frames import load_facts
from db.models import Customer, Order
from planner.core.errors import SchemaOutOfDate, SchemaTooNew


def count(engine: Engine, table: type[SQLModel]) -> int:
    with engine.connect() as connection:
        return connection.execute(select(func.count()).select_from(table)).scalar_one()


def test_init_creates_the_schema_then_leaves_it_alone(run: Callable[..., Result], db_url: str) -> None:
    first = run("init")
    assert first.exit_code == 0
    assert f"created (schema {schema.head_revision()})" in first.output
    second = run("init")
    assert second.exit_code == 0
    assert "already up to date" in second.output
    engine = make_engine(db_url)
    with engine.connect() as connection:
        assert schema.current_revision(connection) == schema.head_revision()
    engine.dispose()


def test_migrations_build_exactly_the_models(engine: Engine) -> None:
    with engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), SQLModel.metadata)
    assert differences == []


def test_upgrading_step_by_step_keeps_data(db_url: str) -> None:
    engine = make_engine(db_url)
    config = schema._alembic_config()
    walk = schema._scripts().walk_revisions()
    revisions = [script.revision for script in reversed(list(walk))]

    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revisions[0])
        connection.execute(
            text(
                "INSERT INTO customers (external_id, language, do_not_contact, created_at) VALUES (:e, 'ko', false, :t)"
            ),
            {"e": "C-OLD", "t": "2026-01-01 00:00:00"},
        )
        connection.execute(
            text(
                "INSERT INTO orders (external_id, customer_id, placed_at, total_minor, currency, status) "
                "SELECT 'O-OLD', id, :t, 12000, 'KRW', 'paid' FROM customers"
            ),
            {"t": "2026-01-02 03:04:05"},
        )
    assert schema.upgrade(engine) == schema.Upgrade(revisions[0], schema.head_revision())
    with engine.connect() as connection:
        assert connection.execute(select(Customer.external_id)).scalars().all() == ["C-OLD"]
        # The summaries 0002 to 0004 kept are gone since 0009, triggers and all: facts come from the rows.
        tables = set(inspect(connection).get_table_names())
        assert not tables & {"customer_summaries", "stale_summaries", "summary_arrays"}
    facts = load_facts(engine.url, as_of=date(2026, 1, 5), timezone="Asia/Seoul").row(0, named=True)
    assert (facts["external_id"], facts["orders_count"], facts["total_spent"]) == ("C-OLD", 1, 12000)
    engine.dispose()


def test_an_out_of_date_database_says_to_run_init(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    # Stands in for a release whose code has a newer migration than this database.
    current = schema.head_revision()
    monkeypatch.setattr(schema, "HEAD", "0099")
    with pytest.raises(SchemaOutOfDate, match=rf"at schema {current}, this delight needs 0099: run `delight init`"):
        schema.check(engine)


def test_the_head_every_command_checks_is_the_newest_migration() -> None:
    assert schema.head_revision() == schema.HEAD


def test_a_newer_database_is_refused(engine: Engine, run: Callable[..., Result]) -> None:
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = 'f00d'"))
    with pytest.raises(SchemaTooNew):
        schema.check(engine)
    result = run("seed", "--customers", "5")
    assert result.exit_code == 1
    assert "was written by a newer delight (schema f00d): upgrade delight-planner" in result.output
    assert "Traceback" not in result.output


def test_missing_database_gives_one_line(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from planner.cli import cli

    missing = tmp_path / "nowhere.db"
    result = CliRunner().invoke(cli, ["--db", str(missing), "seed", "--customers", "5"])
    assert result.exit_code == 1
    assert result.output == f"Error: no database at {missing}: create one with `delight init` (or try `delight demo`)\n"
    assert not missing.exists()


def test_corrupt_database_gives_one_line(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from planner.cli import cli

    corrupt = tmp_path / "corrupt.db"
    corrupt.write_bytes(b"this is not sqlite at all" * 100)
    for args in (["init"], ["seed", "--customers", "5"]):
        result = CliRunner().invoke(cli, ["--db", str(corrupt), *args])
        assert result.exit_code == 1, args
        assert result.output.startswith("Error: ")
        assert "is not a delight database (the file is damaged or of another kind)" in result.output
        assert result.output.count("\n") == 1


def test_locked_database_gives_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from click.testing import CliRunner

    from planner.cli import cli

    path = tmp_path / "busy.db"
    assert CliRunner().invoke(cli, ["--db", str(path), "init"]).exit_code == 0
    monkeypatch.setattr(db.engine, "LOCK_TIMEOUT_MS", 100)
    holder = sqlite3.connect(path)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        result = CliRunner().invoke(cli, ["--db", str(path), "seed", "--customers", "5"])
    finally:
        holder.rollback()
        holder.close()
    assert result.exit_code == 1
    assert "is locked by another program; try again in a moment" in result.output
    assert result.output.count("\n") == 1


def test_unwritable_path_gives_one_line(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from planner.cli import cli

    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    result = CliRunner().invoke(cli, ["--db", str(blocker / "delight.db"), "init"])
    assert result.exit_code == 1
    assert "cannot write to" in result.output and "check the path and its permissions" in result.output


def test_bad_database_url_gives_one_line() -> None:
    from click.testing import CliRunner

    from planner.cli import cli

    result = CliRunner().invoke(cli, ["--db", "nosuchdriver://x/y", "init"])
    assert result.exit_code == 1
    assert result.output.startswith('Error: cannot open "nosuchdriver://x/y"')


def test_bad_option_is_a_usage_error(initialised: Callable[..., Result]) -> None:
    result = initialised("seed", "--customers", "0")
    assert result.exit_code == 2
    assert "Invalid value for '--customers'" in result.output


def test_a_failing_command_changes_nothing(
    initialised: Callable[..., Result], db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import db.seed
    from planner.core.errors import InputError

    monkeypatch.setattr(db.seed, "BATCH_CUSTOMERS", 10)
    real_insert = db.seed._Batch.insert
    inserted: list[int] = []

    def fail_on_third_batch(batch, connection):  # type: ignore[no-untyped-def]
        if len(inserted) == 2:  # two batches are already written inside the transaction
            raise InputError("simulated failure")
        real_insert(batch, connection)
        inserted.append(len(batch.customers))

    monkeypatch.setattr(db.seed._Batch, "insert", fail_on_third_batch)
    result = initialised("seed", "--customers", "40")
    assert result.exit_code == 1
    assert result.output == "Error: simulated failure\n"
    assert inserted == [10, 10]
    engine = make_engine(db_url)
    assert count(engine, Customer) == 0
    assert count(engine, Order) == 0
    engine.dispose()


def test_sqlite_is_opened_with_foreign_keys_wal_and_busy_timeout(tmp_path: Path) -> None:
    engine = make_engine(db.engine.database_url(str(tmp_path / "x.db")))
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == db.engine.LOCK_TIMEOUT_MS
    engine.dispose()


def test_db_option_and_environment_variable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from click.testing import CliRunner

    from planner.cli import cli

    monkeypatch.chdir(tmp_path)
    assert CliRunner().invoke(cli, ["init"]).exit_code == 0
    assert (tmp_path / "delight.db").exists()
    monkeypatch.setenv("DELIGHT_DB", str(tmp_path / "env.db"))
    assert CliRunner().invoke(cli, ["init"]).exit_code == 0
    assert (tmp_path / "env.db").exists()
    assert CliRunner().invoke(cli, ["--db", str(tmp_path / "opt.db"), "init"]).exit_code == 0
    assert (tmp_path / "opt.db").exists()


def test_datetimes_round_trip_in_utc(engine: Engine) -> None:
    from datetime import datetime, timedelta, timezone

    seoul = timezone(timedelta(hours=9))
    placed = datetime(2026, 11, 29, 14, 3, tzinfo=seoul)
    with transaction(engine) as session:
        customer = Customer(external_id="C1", name="김민지")
        session.add(customer)
        session.flush()
        session.add(
            Order(external_id="O1", customer_id=customer.id, placed_at=placed, total_minor=12000, currency="KRW")
        )
    with transaction(engine) as session:
        stored = session.exec(sqlmodel.select(Order)).one()
        assert stored.placed_at == placed
        assert stored.placed_at.utcoffset() == timedelta(0)
    with pytest.raises(StatementError, match="has no time zone"), transaction(engine) as session:
        session.add(
            Order(external_id="O2", customer_id=1, placed_at=datetime(2026, 1, 1), total_minor=1, currency="KRW")
        )


@pytest.mark.parametrize("per_statement", [1, 7, 500])
def test_bulk_insert_stores_every_row_as_the_orm_would(
    engine: Engine, monkeypatch: pytest.MonkeyPatch, per_statement: int
) -> None:
    from datetime import UTC, date, datetime, timedelta

    monkeypatch.setattr(db.engine, "ROWS_PER_INSERT", per_statement)  # 7: statements of 7 rows and one of 4
    columns = ["external_id", "name", "language", "birthday", "do_not_contact", "created_at"]
    start = datetime(2026, 11, 29, 9, 30, 15, 123456, tzinfo=UTC)
    rows = [
        (f"B{n:03}", f"김민지 {n}" if n % 3 else None, "ko", date(1990, 1, 1) + timedelta(days=n), n % 2 == 0, start)
        for n in range(25)
    ]
    with transaction(engine) as session:
        db.engine.bulk_insert(session.connection(), Customer.__table__, columns, rows)
    with transaction(engine) as session:
        stored = session.exec(sqlmodel.select(Customer).order_by(Customer.external_id)).all()
        assert [tuple(getattr(customer, column) for column in columns) for customer in stored] == rows
