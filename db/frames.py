"""The store's tables read straight into polars: what the customer facts are made from (``load_facts``).

On PostgreSQL each query's result goes from the server into Arrow and polars through ADBC (the
Arrow Database Connectivity driver), never through Python rows. SQLite is read through Python's
own ``sqlite3`` (ADBC's SQLite driver carries a second copy of the SQLite library, and two copies
in one process undo each other's POSIX file locks: closing one releases the other's, which showed
as stale reads and "locking protocol" behind a plan's own write transaction), with each column
handed over as one JSON array that polars decodes, not as a Python tuple a row. All queries run on
one read-only connection in one transaction, so they see the store at one moment; the connection
is the reader's own, so it sees what is committed.

This module and ``db.engine`` are where the dialects differ: placeholders (``$1`` or ``?1``), how
SQLite hands over instants and dates (text, as ``UTCDateTime`` stores them) and booleans (0/1).
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import date, datetime
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
    latest_items,
    moments,
)

SQLITE_BUSY_TIMEOUT_MS = 15_000
_SQLITE_INSTANT = "%Y-%m-%d %H:%M:%S.%f"  # how UTCDateTime stores an instant in SQLite
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

# Each customer's latest purchase instant is one index lookup (the covering index on customer_id,
# status, placed_at), worked out first: a few times quicker than grouping every order.
_LAST_ITEMS_SQL = """
WITH latest AS MATERIALIZED (
  SELECT id AS customer_id,
         (SELECT MAX(placed_at) FROM orders
          WHERE customer_id = customers.id AND status = $2 AND placed_at < $1) AS last_at
  FROM customers {customers}
)
SELECT o.customer_id, o.id AS order_id, i.id AS item_id, i.name AS item
FROM latest
JOIN orders o ON o.customer_id = latest.customer_id AND o.status = $2 AND o.placed_at = latest.last_at
JOIN order_items i ON i.order_id = o.id
"""
# PostgreSQL misjudges the join on the latest instant above when it runs for every customer (it
# expects a few rows, hashes every order, then looks their items up one by one: 2.8-3.2 s for
# 200,000 customers); a window over the same index finds the latest orders in 1.7 s. SQLite takes
# 3 s over that window, against 0.6 s for the lookups.
_EVERYONES_LAST_ITEMS_POSTGRESQL = """
WITH paid AS (
  SELECT id, customer_id, placed_at, MAX(placed_at) OVER (PARTITION BY customer_id) AS last_at
  FROM orders
  WHERE status = $2 AND placed_at < $1
)
SELECT paid.customer_id, paid.id AS order_id, i.id AS item_id, i.name AS item
FROM paid
JOIN order_items i ON i.order_id = paid.id
WHERE paid.placed_at = paid.last_at
"""
_IDS_PER_QUERY = 30_000  # placeholders in one query: SQLite allows 32,766, PostgreSQL 65,535


def _last_items_sql(customers: int = 0, backend: str = "sqlite") -> str:
    """Every paid order at a customer's latest purchase instant, with its items: of every customer,
    or of ``customers`` of them, whose ids are the parameters from $3 on; ``backend`` as SQLAlchemy
    names the database."""
    if not customers:
        return _EVERYONES_LAST_ITEMS_POSTGRESQL if backend == "postgresql" else _LAST_ITEMS_SQL.format(customers="")
    placeholders = ", ".join(f"${number}" for number in range(3, customers + 3))
    return _LAST_ITEMS_SQL.format(customers=f"WHERE id IN ({placeholders})")


def read_fact_tables(url: URL, moments: Moments, *, items: bool = True) -> FactTables:
    """What the facts as of ``moments`` are made from, read from the store at ``url``.

    ``items``: also the latest purchase's items (for ``last_order_items``), one more query.
    """
    with reading(url) as read:
        until = [moments.until]
        everyones = _last_items_sql(backend=url.get_backend_name())
        last_items = read(everyones, [moments.until, PAID], LAST_ITEMS_SCHEMA) if items else None
        return FactTables(
            customers=read(_CUSTOMERS_SQL, [], CUSTOMERS_SCHEMA),
            orders=read(
                _ORDER_TOTALS_SQL, [moments.until, moments.orders_since, moments.spend_since, PAID], ORDER_TOTALS_SCHEMA
            ),
            feedback=read(_FEEDBACK_SQL, until, FEEDBACK_SCHEMA),
            gestures=read(_GESTURES_SQL, until, GESTURES_SCHEMA),
            last_items=last_items,
        )


def read_last_items(url: URL, until: datetime, customer_ids: Sequence[int]) -> dict[int, tuple[str, ...]]:
    """The items of each of these customers' latest purchase before ``until`` (every paid order at
    that instant, in order), by customer id; customers without purchases are left out."""
    found: list[pl.DataFrame] = []
    with reading(url) as read:
        for start in range(0, len(customer_ids), _IDS_PER_QUERY):
            chosen = customer_ids[start : start + _IDS_PER_QUERY]
            found.append(read(_last_items_sql(len(chosen)), [until, PAID, *chosen], LAST_ITEMS_SCHEMA))
    if not found:
        return {}
    items = latest_items(pl.concat(found).lazy()).collect()
    return {customer_id: tuple(names) for customer_id, names in items.iter_rows()}


@contextmanager
def reading(url: URL) -> Iterator[Reader]:
    """A ``Reader`` on a read-only connection to ``url``, in one transaction until the block ends.

    Raises DatabaseError, in one line, when the store cannot be opened or a query fails.
    """
    if url.get_backend_name() == "sqlite":
        if not url.database or url.database == ":memory:":
            raise DatabaseError("the facts are read from a database file or server, not an in-memory database")
        with _sqlite_reading(url) as read:
            yield read
        return
    try:
        import adbc_driver_postgresql as driver

        database = driver.connect(url.set(drivername="postgresql").render_as_string(hide_password=False))
        try:
            connection = adbc_driver_manager.AdbcConnection(database)
            try:
                yield _reader(connection)
                connection.rollback()
            finally:
                connection.close()
        finally:
            database.close()
    except adbc_driver_manager.Error as error:
        reason = (str(error).strip().splitlines() or [type(error).__name__])[0]
        raise DatabaseError(f"cannot read {url.render_as_string(hide_password=True)}: {reason}") from error


@contextmanager
def _sqlite_reading(url: URL) -> Iterator[Reader]:
    """A ``Reader`` on a read-only ``sqlite3`` connection, in one read transaction."""
    try:
        connection = sqlite3.connect(
            f"file:{quote(str(url.database))}?mode=ro", uri=True, timeout=SQLITE_BUSY_TIMEOUT_MS / 1000
        )
    except sqlite3.Error as error:
        raise DatabaseError(f"cannot read {url.render_as_string(hide_password=True)}: {error}") from error
    try:
        connection.execute("BEGIN")

        def read(sql: str, parameters: Sequence[object], schema: Mapping[str, pl.DataType]) -> pl.DataFrame:
            values = [value.strftime(_SQLITE_INSTANT) if isinstance(value, datetime) else value for value in parameters]
            rows, *columns = connection.execute(_as_json_arrays(sql, schema), values).fetchone()
            if not rows:
                return pl.DataFrame(schema=dict(schema))
            handed_over = _as_sqlite_hands_over(schema)
            frame = pl.DataFrame({name: [column] for name, column in zip(schema, columns, strict=True)})
            decoded = [pl.col(name).str.json_decode(pl.List(dtype)).explode() for name, dtype in handed_over.items()]
            return _conformed(frame.select(decoded), schema)

        yield read
        connection.rollback()
    except sqlite3.Error as error:
        raise DatabaseError(f"cannot read {url.render_as_string(hide_password=True)}: {error}") from error
    finally:
        connection.close()


def _as_json_arrays(sql: str, schema: Mapping[str, pl.DataType]) -> str:
    """``sql`` (``$1``... placeholders) for SQLite as one row: the row count, then each column of
    ``schema`` as one JSON array (SQLite's ``json_group_array``), for polars to decode. A column
    handed over as one text value is a few times quicker to read than Python's row tuples. The
    names are bracketed: SQLite reads a double-quoted name no column has as a string instead."""
    columns = "".join(f", json_group_array([{name}])" for name in schema)
    return f"SELECT COUNT(*){columns} FROM ({_sqlite_placeholders(sql)})"


def _sqlite_placeholders(sql: str) -> str:
    """``$1``, ``$2``... as SQLite spells them: ``?1``, ``?2``..."""
    return re.sub(r"\$(\d+)", r"?\1", sql)


def _as_sqlite_hands_over(schema: Mapping[str, pl.DataType]) -> dict[str, pl.DataType]:
    """``schema`` as SQLite's rows hold it: dates and instants as text, true/false as 0/1."""
    stored_as = {pl.Date: pl.String, pl.Datetime: pl.String, pl.Boolean: pl.Int64}
    return {name: stored_as.get(dtype.base_type(), dtype) for name, dtype in schema.items()}


def _reader(connection: adbc_driver_manager.AdbcConnection) -> Reader:
    connection.set_options(**{adbc_driver_manager.ConnectionOptions.ISOLATION_LEVEL.value: _REPEATABLE_READ})
    connection.set_autocommit(False)

    def read(sql: str, parameters: Sequence[object], schema: Mapping[str, pl.DataType]) -> pl.DataFrame:
        statement = adbc_driver_manager.AdbcStatement(connection)
        try:
            statement.set_sql_query(sql)
            if parameters:
                statement.bind_stream(pl.DataFrame({f"p{number}": [value] for number, value in enumerate(parameters)}))
            stream, _count = statement.execute_query()
            frame = pl.DataFrame(stream)
        finally:
            statement.close()
        return _conformed(frame, schema)

    return read


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
