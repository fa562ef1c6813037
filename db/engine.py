"""The engine, built once from ``--db`` / ``DELIGHT_DB``, and the one-transaction-per-command helper.

This is the one place that branches on the database dialect.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager, nullcontext
from datetime import UTC, date, datetime
from itertools import chain, islice
from pathlib import Path
from typing import Any, TypeVar
from weakref import WeakKeyDictionary

from sqlalchemy import Boolean, Connection, Date, Engine, Table, create_engine, event, func, select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError
from sqlmodel import Session

from db.types import UTCDateTime
from planner.core.errors import DatabaseError

DEFAULT_DB = "delight.db"
SQLITE_CACHE_KIB = 64 * 1024
# How long a command waits for a lock another holds before it says the database is busy.
LOCK_TIMEOUT_MS = 15_000

T = TypeVar("T")


def database_url(db: str | None) -> str:
    """A SQLAlchemy URL from a file path or a URL; ``None`` means ``delight.db`` here."""
    target = db or DEFAULT_DB
    if "://" in target:
        return target
    return f"sqlite:///{Path(target).expanduser().resolve()}"


def sqlite_path(url: str) -> Path | None:
    """The file behind a SQLite URL, or ``None`` for another database or an in-memory one."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database or parsed.database == ":memory:":
        return None
    return Path(parsed.database)


def database_path(engine: Engine) -> Path | None:
    """The SQLite file an engine opens (``None`` for a server or an in-memory database)."""
    return sqlite_path(engine.url.render_as_string(hide_password=False))


def is_sqlite(engine: Engine) -> bool:
    """True for SQLite, the default store."""
    return engine.dialect.name == "sqlite"


def make_engine(url: str) -> Engine:
    """Build the engine; SQLite gets foreign keys, WAL and a busy timeout on every connection."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise DatabaseError(f'"{url}" is neither a file path nor a database URL') from None
    if parsed.get_backend_name() == "postgresql" and parsed.get_driver_name() in ("psycopg2", ""):
        parsed = parsed.set(drivername="postgresql+psycopg")
    try:
        if parsed.get_backend_name() == "sqlite":
            engine = create_engine(parsed, connect_args={"timeout": LOCK_TIMEOUT_MS / 1000})
            event.listen(engine, "connect", _configure_sqlite)
            event.listen(engine, "begin", _begin_sqlite)
        else:
            engine = create_engine(parsed, pool_pre_ping=True)
            event.listen(engine, "connect", _configure_postgresql)
    except (NoSuchModuleError, ImportError) as exc:
        raise DatabaseError(f'cannot open "{parsed.render_as_string()}": {exc}') from None
    return engine


def _configure_sqlite(dbapi_connection: sqlite3.Connection, _record: object) -> None:
    # The driver left alone begins a transaction only before INSERT, UPDATE or DELETE, so a
    # command's reads and schema changes (a seed dropping triggers) ran outside it, each committed
    # at once. delight begins every transaction itself (``_begin_sqlite``) and the driver none.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.execute(f"PRAGMA busy_timeout = {LOCK_TIMEOUT_MS}")
    cursor.execute("PRAGMA journal_mode = WAL")
    cursor.execute("PRAGMA synchronous = NORMAL")
    # 64 MB of page cache (SQLite's default is 2 MB): a plan or an import changes more pages
    # than 2 MB holds, and pages pushed out mid-transaction are written twice. Used as needed.
    cursor.execute(f"PRAGMA cache_size = -{SQLITE_CACHE_KIB}")
    cursor.close()


def _configure_postgresql(dbapi_connection: Any, _record: object) -> None:
    # Without it a command waits for a row or table lock for as long as another holds it, silently.
    with dbapi_connection.cursor() as cursor:
        cursor.execute(f"SET lock_timeout = {int(LOCK_TIMEOUT_MS)}")
    dbapi_connection.commit()


# An execution option: how ``_begin_sqlite`` begins the transaction ("DEFERRED" unless given).
SQLITE_BEGIN = "delight_sqlite_begin"


def _begin_sqlite(connection: Connection) -> None:
    mode = connection.get_execution_options().get(SQLITE_BEGIN, "DEFERRED")
    connection.exec_driver_sql(f"BEGIN {mode}")


def describe_database_error(exc: Exception, engine: Engine) -> str:
    """One line for a database failure a user can act on (locked, corrupt, unreachable)."""
    cause = exc.orig if isinstance(exc, DBAPIError) and exc.orig is not None else exc
    original = (str(cause).strip().splitlines() or [type(cause).__name__])[0]
    where = engine.url.render_as_string(hide_password=True)
    lowered = original.lower()
    if "locked" in lowered or "busy" in lowered or _lock_timeout(cause):
        return f"database {where} is locked by another program; try again in a moment"
    if "not a database" in lowered or "malformed" in lowered:
        return f"{where} is not a delight database (the file is damaged or of another kind)"
    if "readonly" in lowered or "read-only" in lowered or "unable to open" in lowered:
        return f"cannot write to {where}: check the path and its permissions"
    if "connection" in lowered or "could not" in lowered:
        return f"cannot reach database {where}: {original}"
    return f"database {where}: {original}"


# PostgreSQL's "lock not available": a lock waited for longer than ``lock_timeout``.
_LOCK_NOT_AVAILABLE = "55P03"


def _lock_timeout(cause: object) -> bool:
    return getattr(cause, "sqlstate", None) == _LOCK_NOT_AVAILABLE


def hold_lock(connection: Connection, key: tuple[int, int], *, waiting: Callable[[], None], busy: str) -> None:
    """Hold a named lock till the transaction ends; a second command asking for it waits its turn.

    PostgreSQL: an advisory lock on ``key`` (two 32-bit numbers), waited for up to the lock
    timeout; ``waiting`` is called first if someone else holds it, and ``busy`` is the error if
    they keep it too long. SQLite needs none: a write transaction holds the whole database.
    """
    if connection.dialect.name != "postgresql":
        return
    lock = {"space": key[0], "key": key[1]}
    if connection.exec_driver_sql("SELECT pg_try_advisory_xact_lock(%(space)s, %(key)s)", lock).scalar_one():
        return
    waiting()
    try:
        connection.exec_driver_sql("SELECT pg_advisory_xact_lock(%(space)s, %(key)s)", lock)
    except DBAPIError as exc:
        if _lock_timeout(exc.orig):
            raise DatabaseError(busy) from None
        raise


@contextmanager
def transaction(engine: Engine, *, write: bool = False) -> Iterator[Session]:
    """One transaction for one command: everything commits together or nothing does.

    ``write=True`` is for commands that read rows and then change them while others may
    do the same: on SQLite it takes the write lock first (``BEGIN IMMEDIATE``), so a
    second writer waits on the busy timeout instead of failing when it upgrades its lock.
    On PostgreSQL, lock the rows you will change with ``.with_for_update()``.
    """
    # Bulk paths talk to the driver directly, so its own errors are caught beside SQLAlchemy's.
    driver_error = engine.dialect.loaded_dbapi.Error
    sqlite_writer = write and is_sqlite(engine)
    try:
        with (
            _one_writer_at_a_time(engine) if sqlite_writer else nullcontext(),
            Session(engine, expire_on_commit=False) as session,
            session.begin(),
        ):
            if sqlite_writer:
                session.connection(execution_options={SQLITE_BEGIN: "IMMEDIATE"})
            yield session
    except (DBAPIError, driver_error) as exc:
        raise DatabaseError(describe_database_error(exc, engine)) from exc


_WRITER_LOCKS: WeakKeyDictionary[Engine, threading.Lock] = WeakKeyDictionary()


def _one_writer_at_a_time(engine: Engine) -> threading.Lock:
    """This process's writers to a SQLite file queue here, in turn, instead of in SQLite's busy handler.

    SQLite lets one writer in at a time and the others retry after sleeping (up to 100 ms a time),
    so with many writers in one process (the desk's threads) the unlucky ones wait far longer than
    the work takes. Other processes (the command line) still wait on the busy timeout.
    """
    return _WRITER_LOCKS.setdefault(engine, threading.Lock())


# PostgreSQL's "serialization failure" and "deadlock detected": the transaction may simply be run again.
_RETRYABLE_SQLSTATES = ("40001", "40P01")


def write_transaction(engine: Engine, work: Callable[[Session], T], *, attempts: int = 3) -> T:
    """Run ``work`` in one write transaction (see ``transaction``), again if the database asks for a retry."""
    attempt = 1
    while True:
        try:
            with transaction(engine, write=True) as session:
                return work(session)
        except DatabaseError as exc:
            if attempt >= attempts or not _retryable(exc):
                raise
            attempt += 1


def _retryable(exc: DatabaseError) -> bool:
    cause = exc.__cause__
    original = cause.orig if isinstance(cause, DBAPIError) else cause
    return getattr(original, "sqlstate", None) in _RETRYABLE_SQLSTATES


def bulk_insert(connection: Connection, table: Table, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """Insert many rows fast, inside the connection's transaction (for seeding and imports).

    SQLAlchemy's per-row parameter processing costs more than the insert itself at
    millions of rows, so this goes to the driver: INSERT statements of hundreds of rows each
    on SQLite (with values converted exactly as ``UTCDateTime`` and ``Date`` store them) and
    ``COPY`` on PostgreSQL. Each row holds the values of ``columns``, in that order.
    """
    preparer = connection.dialect.identifier_preparer
    names = ", ".join(preparer.quote(column) for column in columns)
    cursor = connection.connection.driver_connection.cursor()
    try:
        if connection.dialect.name == "postgresql":
            with cursor.copy(f"COPY {preparer.format_table(table)} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            return
        converters = [
            (index, convert)
            for index, column in enumerate(columns)
            if (convert := _sqlite_converter(table.c[column].type)) is not None
        ]
        if converters:
            rows = map(_RowConverter(converters), rows)
        # Many rows a statement: the driver's work per statement costs more than a row's values.
        limit = connection.connection.driver_connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
        per_statement = max(1, min(ROWS_PER_INSERT, limit // len(columns)))
        one_row = f"({', '.join('?' * len(columns))})"

        def insert(count: int) -> str:
            return f"INSERT INTO {preparer.format_table(table)} ({names}) VALUES {', '.join([one_row] * count)}"

        full, remaining = insert(per_statement), iter(rows)
        while batch := list(islice(remaining, per_statement)):
            cursor.execute(
                full if len(batch) == per_statement else insert(len(batch)), list(chain.from_iterable(batch))
            )
    finally:
        cursor.close()


ROWS_PER_INSERT = 500  # fewer when the SQLite build allows fewer parameters a statement


def _sqlite_converter(column_type: object) -> Callable[[Any], Any] | None:
    """How SQLAlchemy would store a value of this type in SQLite, for ``bulk_insert``."""
    if isinstance(column_type, UTCDateTime):
        return _sqlite_utc_text
    if isinstance(column_type, Date):
        return date.isoformat
    if isinstance(column_type, Boolean):
        return int
    return None


class _RowConverter:
    """Converts the values of some columns of each row; a value the same as the row before's
    (one timestamp for a whole plan, say) is converted once."""

    def __init__(self, converters: list[tuple[int, Callable[[Any], Any]]]) -> None:
        self.converters = converters
        self.last: dict[int, tuple[Any, Any]] = {}

    def __call__(self, row: Sequence[Any]) -> list[Any]:
        converted = list(row)
        for index, convert in self.converters:
            value = converted[index]
            if value is not None:
                before = self.last.get(index)
                if before is None or before[0] is not value:
                    before = self.last[index] = (value, convert(value))
                converted[index] = before[1]
        return converted


def _sqlite_utc_text(value: datetime) -> str:
    if value.tzinfo is not UTC:
        if value.tzinfo is None:
            raise ValueError(f"datetime {value.isoformat()} has no time zone")
        value = value.astimezone(UTC)
    # "2026-11-29 04:03:00.000000", exactly as UTCDateTime stores it through SQLAlchemy.
    return value.isoformat(" ", "microseconds")[:26]


def advance_id_sequences(connection: Connection, table: Table) -> None:
    """After inserting explicit ids, move PostgreSQL's id sequence past them (SQLite needs nothing)."""
    if connection.dialect.name != "postgresql":
        return
    highest = select(func.coalesce(func.max(table.c.id), 0)).scalar_subquery()
    connection.execute(select(func.setval(func.pg_get_serial_sequence(table.name, "id"), highest + 1, False)))
