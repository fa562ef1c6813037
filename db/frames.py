"""The store's tables read straight into polars: what the customer facts are made from (``load_facts``).

Each query's result goes from the database into Arrow and polars through ADBC (the Arrow
Database Connectivity drivers for SQLite and PostgreSQL), never through Python rows: for the
orders of 200,000 customers that is several times faster than the driver's rows. All of them
run on one read-only connection in one transaction, so they see the store at one moment; the
connection is the reader's own, so it sees what is committed.

This module and ``db.engine`` are where the dialects differ: placeholders (``$1`` or ``?1``), how
SQLite hands over instants and dates (text, as ``UTCDateTime`` stores them) and booleans (0/1).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import date
from urllib.parse import quote

import adbc_driver_manager
import polars as pl
from sqlalchemy.engine import URL

from planner.core.errors import DatabaseError
from planner.core.facts import FACTS
from planner.core.facts_frame import (
    CUSTOMERS_SCHEMA,
    FEEDBACK_SCHEMA,
    GESTURES_SCHEMA,
    LAST_ITEMS_SCHEMA,
    ORDER_TOTALS_SCHEMA,
    PAID,
    FactTables,
    Moments,
    facts_frame,
    moments,
)

# The ADBC SQLite driver infers each column's type from its first batch of rows (a column null
# throughout it becomes an integer, and text later on is an error): one batch holds them all.
SQLITE_BATCH_ROWS = 1_000_000_000
_SQLITE_BATCH_ROWS_OPTION = "adbc.sqlite.query.batch_rows"
SQLITE_BUSY_TIMEOUT_MS = 15_000
_SQLITE_INSTANT = "%Y-%m-%d %H:%M:%S%.6f"  # how UTCDateTime stores an instant in SQLite
_REPEATABLE_READ = "adbc.connection.transaction.isolation.repeatable_read"  # one snapshot for every query

Reader = Callable[[str, Sequence[object], Mapping[str, pl.DataType]], pl.DataFrame]
"""Runs one query (``$1``... placeholders, values in order) into a frame of the given schema."""

_CUSTOMERS_SQL = """
SELECT id AS customer_id, external_id, name, first_name, language, do_not_contact,
       erased_at IS NOT NULL AS erased,
       address1 IS NOT NULL AND address1 <> ''
           AND (COALESCE(postal_code, '') <> '' OR COALESCE(city, '') <> '') AS has_address,
       birthday
FROM customers
ORDER BY id
"""

# One pass over the orders (the covering index on customer_id, status, placed_at, total_minor).
_ORDER_TOTALS_SQL = """
SELECT customer_id,
       COUNT(*) FILTER (WHERE status = $4) AS purchases,
       CAST(SUM(total_minor) FILTER (WHERE status = $4) AS BIGINT) AS spent_minor,
       MIN(placed_at) FILTER (WHERE status = $4) AS first_purchase_at,
       MAX(placed_at) FILTER (WHERE status = $4) AS last_purchase_at,
       COUNT(*) FILTER (WHERE status <> $4) AS refunds,
       COUNT(*) FILTER (WHERE status = $4 AND placed_at >= $2) AS recent_purchases,
       CAST(SUM(total_minor) FILTER (WHERE status = $4 AND placed_at >= $3) AS BIGINT) AS recent_spent_minor
FROM orders
WHERE placed_at < $1
GROUP BY customer_id
"""

_FEEDBACK_SQL = """
SELECT customer_id, id AS feedback_id, kind, rating, received_at, resolved_at IS NOT NULL AS resolved
FROM feedback
WHERE received_at < $1
"""

_GESTURES_SQL = """
SELECT customer_id, id AS gesture_id, kind, sent_at
FROM gestures
WHERE status = 'sent' AND sent_at < $1
"""

# Every paid order at a customer's latest purchase instant, with its items.
_LAST_ITEMS_SQL = """
SELECT o.customer_id, o.id AS order_id, i.id AS item_id, i.name AS item
FROM orders o
JOIN (SELECT customer_id, MAX(placed_at) AS last_at FROM orders
      WHERE status = $2 AND placed_at < $1 GROUP BY customer_id) latest
  ON o.customer_id = latest.customer_id AND o.placed_at = latest.last_at
JOIN order_items i ON i.order_id = o.id
WHERE o.status = $2
"""


def read_fact_tables(url: URL, moments: Moments, *, items: bool = True) -> FactTables:
    """What the facts as of ``moments`` are made from, read from the store at ``url``.

    ``items``: also the latest purchase's items (for ``last_order_items``), one more query.
    """
    with reading(url) as read:
        until = [moments.until]
        return FactTables(
            customers=read(_CUSTOMERS_SQL, [], CUSTOMERS_SCHEMA),
            orders=read(
                _ORDER_TOTALS_SQL, [moments.until, moments.orders_since, moments.spend_since, PAID], ORDER_TOTALS_SCHEMA
            ),
            feedback=read(_FEEDBACK_SQL, until, FEEDBACK_SCHEMA),
            gestures=read(_GESTURES_SQL, until, GESTURES_SCHEMA),
            last_items=read(_LAST_ITEMS_SQL, [moments.until, PAID], LAST_ITEMS_SCHEMA) if items else None,
        )


@contextmanager
def reading(url: URL) -> Iterator[Reader]:
    """A ``Reader`` on a read-only connection to ``url``, in one transaction until the block ends.

    Raises DatabaseError, in one line, when the store cannot be opened or a query fails.
    """
    sqlite = url.get_backend_name() == "sqlite"
    try:
        if sqlite:
            import adbc_driver_sqlite as driver

            if not url.database or url.database == ":memory:":
                raise DatabaseError("the facts are read from a database file or server, not an in-memory database")
            # Read-write (never create), not read-only: a read-only connection cannot take a read mark
            # in a WAL whose marks are all behind it, and SQLite says "locking protocol" instead.
            database = driver.connect(f"file:{quote(url.database)}?mode=rw")
        else:
            import adbc_driver_postgresql as driver

            database = driver.connect(url.set(drivername="postgresql").render_as_string(hide_password=False))
        try:
            connection = adbc_driver_manager.AdbcConnection(database)
            try:
                yield _reader(connection, sqlite)
                connection.rollback()
            finally:
                connection.close()
        finally:
            database.close()
    except adbc_driver_manager.Error as error:
        reason = (str(error).strip().splitlines() or [type(error).__name__])[0]
        raise DatabaseError(f"cannot read {url.render_as_string(hide_password=True)}: {reason}") from error


def _reader(connection: adbc_driver_manager.AdbcConnection, sqlite: bool) -> Reader:
    if sqlite:
        _execute(connection, f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        batch = {_SQLITE_BATCH_ROWS_OPTION: str(SQLITE_BATCH_ROWS)}
    else:
        connection.set_options(**{adbc_driver_manager.ConnectionOptions.ISOLATION_LEVEL.value: _REPEATABLE_READ})
        batch = {}
    connection.set_autocommit(False)

    def read(sql: str, parameters: Sequence[object], schema: Mapping[str, pl.DataType]) -> pl.DataFrame:
        statement = adbc_driver_manager.AdbcStatement(connection)
        try:
            statement.set_options(**batch)
            statement.set_sql_query(re.sub(r"\$(\d+)", r"?\1", sql) if sqlite else sql)
            if parameters:
                statement.bind_stream(_parameters(parameters, sqlite))
            stream, _count = statement.execute_query()
            frame = pl.DataFrame(stream)
        finally:
            statement.close()
        return _conformed(frame, schema)

    return read


def _execute(connection: adbc_driver_manager.AdbcConnection, sql: str) -> None:
    statement = adbc_driver_manager.AdbcStatement(connection)
    try:
        statement.set_sql_query(sql)
        statement.execute_update()
    finally:
        statement.close()


def _parameters(values: Sequence[object], sqlite: bool) -> pl.DataFrame:
    """One row of query parameters; SQLite compares instants as the text ``UTCDateTime`` stores."""
    row = pl.DataFrame({f"p{number}": [value] for number, value in enumerate(values)})
    if sqlite:
        row = row.with_columns(pl.col(pl.Datetime).dt.strftime(_SQLITE_INSTANT))
    return row


def _conformed(frame: pl.DataFrame, schema: Mapping[str, pl.DataType]) -> pl.DataFrame:
    """The frame with the columns and types of ``schema``, whichever database it came from."""
    if frame.height == 0:
        return pl.DataFrame(schema=dict(schema))
    columns = []
    for name, dtype in schema.items():
        column = pl.col(name)
        found = frame.schema[name]
        if found == pl.String and dtype == pl.Date:
            column = column.str.to_date("%Y-%m-%d")
        elif found == pl.String and isinstance(dtype, pl.Datetime):
            column = column.str.to_datetime("%Y-%m-%d %H:%M:%S%.f", time_zone="UTC", time_unit="us")
        columns.append(column.cast(dtype))
    return frame.select(columns)


def load_facts(url: URL, *, as_of: date, timezone: str, facts: Iterable[str] | None = None) -> pl.DataFrame:
    """Every customer's facts (or only ``facts``) as of the end of ``as_of`` in ``timezone``, one row each
    (``planner.core.facts_frame.facts_frame``), from the committed state of the store at ``url``."""
    names = [fact.name for fact in FACTS] if facts is None else list(facts)
    tables = read_fact_tables(url, moments(as_of, timezone), items="last_order_items" in names)
    return facts_frame(tables, as_of=as_of, timezone=timezone, facts=names)
