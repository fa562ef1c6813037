"""Shared fixtures: a fresh database per test, on SQLite and (when configured) PostgreSQL.

PostgreSQL runs when ``DELIGHT_TEST_PG_URL`` points at a server where we may create
databases (``bash .ci/run`` starts one); otherwise those runs are skipped, visibly.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

from db import schema
from db.engine import database_url, make_engine
from planner.cli import cli

PG_URL = os.environ.get("DELIGHT_TEST_PG_URL")


@pytest.fixture(autouse=True)
def someone_at_the_desk(monkeypatch: pytest.MonkeyPatch) -> None:
    """Commands that record who acted take --by, else $DELIGHT_USER: here, as at a set-up desk, "ops"."""
    monkeypatch.setenv("DELIGHT_USER", "ops")


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of a fresh, empty database (no tables yet)."""
    if request.param == "sqlite":
        yield database_url(str(tmp_path / "delight.db"))
        return
    if not PG_URL:
        pytest.skip("PostgreSQL not configured (set DELIGHT_TEST_PG_URL, or run bash .ci/run)")
    name = f"delight_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    yield make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    """An engine on a fresh database migrated to the newest schema."""
    built = make_engine(db_url)
    schema.upgrade(built)
    yield built
    built.dispose()


@pytest.fixture
def run(db_url: str) -> Callable[..., Result]:
    """Run ``delight --db URL ARGS...`` and return click's result."""

    def invoke(*args: str, input: str | None = None) -> Result:
        return CliRunner().invoke(cli, ["--db", db_url, *args], input=input, catch_exceptions=False)

    return invoke


@pytest.fixture
def store(db_url: str) -> Iterator[Engine]:
    """An engine on the test's database, for looking at what commands stored."""
    built = make_engine(db_url)
    yield built
    built.dispose()


@pytest.fixture
def initialised(run: Callable[..., Result]) -> Callable[..., Result]:
    """Like ``run``, on a database that ``delight init`` has created."""
    assert run("init").exit_code == 0
    return run


PLANNED_WEEK = "2026-W49"


@pytest.fixture
def planned_store(initialised: Callable[..., Result]) -> Callable[..., Result]:
    """``run`` on a store with 300 seeded customers and a plan for ``PLANNED_WEEK`` (seed 1)."""
    result = initialised("seed", "--customers", "300", "--seed", "3", "--today", "2026-11-30")
    assert result.exit_code == 0, result.output
    assert initialised("plan", "--week", PLANNED_WEEK, "--seed", "1").exit_code == 0
    return initialised


@pytest.fixture(scope="session")
def desk_golden(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    """The desk's planned shop, built once per session and database kind (see ``desk_helpers``)."""
    from desk_helpers import Golden  # the desk's tests only: FastAPI is not imported for the rest

    golden = Golden(tmp_path_factory.mktemp("desk-golden"), PG_URL)
    yield golden
    golden.close()


@pytest.fixture(scope="session")
def quick_passwords() -> Iterator[None]:
    """Argon2id with the least work (the defaults take half a second a password on a busy machine).

    What the tests check is the desk's logic, not argon2's cost; production keeps argon2-cffi's parameters.
    """
    from argon2 import PasswordHasher

    from planner.services import accounts

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(accounts, "HASHER", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
        yield
