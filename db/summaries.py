"""Customer summaries: one narrow row per customer with everything planning reads about all of them.

A plan looks at every customer every week; re-reading two million orders each time would cost
more than everything else a plan does. So ``customer_summaries`` keeps, per customer, the few
aggregates the facts are made from (``planner.facts`` says what each fact means):

- Triggers (migration 0002) add a customer to ``stale_summaries`` whenever their customer row,
  one of their orders or one of their feedback rows is added, changed or deleted, whoever writes
  it: delight's commands, a test or a team's own script.
- ``refresh`` works the stale customers out again from their rows, in one set-based statement.
  Imports, seeding, ``delight init`` and planning call it inside their transactions.
- On SQLite, ``refresh`` also keeps a copy of the summaries as one packed array per column
  (``summary_arrays``, ``db.packing``), which is what a plan reads; deleting a customer drops
  them (migrations 0003, 0004).
- ``read_summaries`` gives every customer's summary as of a moment. A customer still stale, or
  with orders or feedback at or after that moment, is worked out from the rows themselves with
  the same SQL, so what a reader gets never depends on when the last refresh ran.
"""

from __future__ import annotations

import json
import operator
from bisect import bisect_left
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime

from sqlalchemy import Connection, bindparam, text

from db.engine import fetch_all
from db.packing import pack, unpack
from db.types import UTCDateTime

COLUMNS = (
    "customer_id",
    "language",
    "do_not_contact",
    "erased",
    "has_address",
    "birthday",
    "purchases",
    "spent_minor",
    "first_purchase_epoch",
    "last_purchase_epoch",
    "refunds",
    "last_rating",
    "last_complaint_epoch",
    "open_complaints",
    "greeting",
    "latest_epoch",
)

# Whole seconds since 1970-01-01 UTC of a stored instant, in each database's words.
_EPOCH = {
    "sqlite": "CAST(strftime('%s', {}) AS INTEGER)",
    "postgresql": "CAST(FLOOR(EXTRACT(EPOCH FROM {})) AS BIGINT)",
}

# One row per customer of ``{only}`` (a subquery of customer ids); ``{before_*}`` limit the
# orders and feedback to those before ``:until`` (for a summary as of a moment) or are empty.
_SUMMARY_SQL = """
SELECT c.id,
       c.language,
       c.do_not_contact,
       c.erased_at IS NOT NULL,
       c.address1 IS NOT NULL AND c.address1 <> ''
           AND (COALESCE(c.postal_code, '') <> '' OR COALESCE(c.city, '') <> ''),
       c.birthday,
       COALESCE(o.purchases, 0),
       COALESCE(o.spent_minor, 0),
       {first_purchase},
       {last_purchase},
       COALESCE(o.refunds, 0),
       (SELECT r.rating FROM feedback r
        WHERE r.customer_id = c.id AND r.rating IS NOT NULL {before_rating}
        ORDER BY r.received_at DESC, r.id DESC LIMIT 1),
       {last_complaint},
       COALESCE(f.open_complaints, 0),
       COALESCE(NULLIF(c.first_name, ''), NULLIF(c.name, '')),
       {latest}
FROM customers c
LEFT JOIN (SELECT customer_id,
                  SUM(CASE WHEN status = 'paid' THEN 1 ELSE 0 END) AS purchases,
                  SUM(CASE WHEN status = 'paid' THEN total_minor ELSE 0 END) AS spent_minor,
                  MIN(CASE WHEN status = 'paid' THEN placed_at END) AS first_purchase_at,
                  MAX(CASE WHEN status = 'paid' THEN placed_at END) AS last_purchase_at,
                  SUM(CASE WHEN status = 'paid' THEN 0 ELSE 1 END) AS refunds,
                  MAX(placed_at) AS latest_at
           FROM orders
           WHERE customer_id IN ({only}) {before_orders}
           GROUP BY customer_id) o ON o.customer_id = c.id
LEFT JOIN (SELECT customer_id,
                  MAX(CASE WHEN kind = 'complaint' THEN received_at END) AS last_complaint_at,
                  SUM(CASE WHEN kind = 'complaint' AND resolved_at IS NULL THEN 1 ELSE 0 END) AS open_complaints,
                  MAX(received_at) AS latest_at
           FROM feedback
           WHERE customer_id IN ({only}) {before_feedback}
           GROUP BY customer_id) f ON f.customer_id = c.id
WHERE c.id IN ({only})
"""

# The customer columns a summary is made from: changing any of them makes it stale.
SUMMARISED = "language, do_not_contact, erased_at, birthday, address1, postal_code, city, first_name, name"
_OWNED = ("orders", "feedback")  # tables whose rows belong to a customer through customer_id


def create_triggers(connection: Connection) -> None:
    """The triggers that mark a customer stale when their customer row, orders or feedback change."""
    for statement in _TRIGGERS[connection.dialect.name]():
        connection.exec_driver_sql(statement)


def drop_triggers(connection: Connection) -> None:
    for statement in _DROP_TRIGGERS[connection.dialect.name]():
        connection.exec_driver_sql(statement)


def repair_triggers(connection: Connection) -> list[str]:
    """Make again whichever trigger keeping the summaries current is missing; returns their names.

    A seed interrupted by an older delight (which dropped them in a step of their own), or a hand
    at the database, can leave them missing: then changes went unmarked meanwhile, so every
    customer's summary is worked out again.
    """
    dialect = connection.dialect.name
    expected = _trigger_names(dialect)
    if dialect == "sqlite":
        present = set(connection.exec_driver_sql("SELECT name FROM sqlite_master WHERE type = 'trigger'").scalars())
    else:
        present = set(
            connection.exec_driver_sql(
                "SELECT t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
                "WHERE NOT t.tgisinternal AND c.relnamespace = current_schema()::regnamespace"
            ).scalars()
        )
    missing = [name for name in expected if name not in present]
    if not missing:
        return []
    for name in expected:
        if name in present and name != ARRAYS_TRIGGER_NAME:
            connection.exec_driver_sql(f"DROP TRIGGER {name}" + ("" if dialect == "sqlite" else f" ON {_on(name)}"))
    create_triggers(connection)
    if ARRAYS_TRIGGER_NAME in missing:
        connection.exec_driver_sql(ARRAYS_TRIGGER)
    if dialect == "sqlite":
        connection.exec_driver_sql("DELETE FROM summary_arrays")
    refresh(connection, EVERYONE)
    return missing


def _on(trigger: str) -> str:
    """The table a PostgreSQL trigger of ours is on (its name starts with it)."""
    return trigger.removesuffix("_stale")


def _sqlite_triggers() -> list[str]:
    mark = "INSERT OR IGNORE INTO stale_summaries (customer_id) VALUES ({});"
    statements = [
        f"CREATE TRIGGER customers_stale_insert AFTER INSERT ON customers BEGIN {mark.format('NEW.id')} END",
        f"CREATE TRIGGER customers_stale_update AFTER UPDATE OF {SUMMARISED} ON customers "
        f"BEGIN {mark.format('NEW.id')} END",
    ]
    for table in _OWNED:
        new, old = mark.format("NEW.customer_id"), mark.format("OLD.customer_id")
        statements += [
            f"CREATE TRIGGER {table}_stale_insert AFTER INSERT ON {table} BEGIN {new} END",
            f"CREATE TRIGGER {table}_stale_update AFTER UPDATE ON {table} BEGIN {old} {new} END",
            f"CREATE TRIGGER {table}_stale_delete AFTER DELETE ON {table} BEGIN {old} END",
        ]
    return statements


def _postgresql_triggers() -> list[str]:
    mark = "INSERT INTO stale_summaries (customer_id) VALUES ({}) ON CONFLICT DO NOTHING;"
    statements = [
        "CREATE OR REPLACE FUNCTION mark_customer_stale() RETURNS trigger LANGUAGE plpgsql AS $$ "
        f"BEGIN {mark.format('NEW.id')} RETURN NULL; END $$",
        "CREATE OR REPLACE FUNCTION mark_owner_stale() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        f"IF TG_OP <> 'INSERT' THEN {mark.format('OLD.customer_id')} END IF; "
        f"IF TG_OP <> 'DELETE' THEN {mark.format('NEW.customer_id')} END IF; RETURN NULL; END $$",
        f"CREATE TRIGGER customers_stale AFTER INSERT OR UPDATE OF {SUMMARISED} ON customers "
        "FOR EACH ROW EXECUTE FUNCTION mark_customer_stale()",
    ]
    statements += [
        f"CREATE TRIGGER {table}_stale AFTER INSERT OR UPDATE OR DELETE ON {table} "
        "FOR EACH ROW EXECUTE FUNCTION mark_owner_stale()"
        for table in _OWNED
    ]
    return statements


def _trigger_names(dialect: str) -> list[str]:
    """Every trigger of ours a database of this dialect has (SQLite's includes ``ARRAYS_TRIGGER``)."""
    if dialect == "postgresql":
        return [f"{table}_stale" for table in ("customers", *_OWNED)]
    names = ["customers_stale_insert", "customers_stale_update"]
    names += [f"{table}_stale_{event}" for table in _OWNED for event in ("insert", "update", "delete")]
    return [*names, ARRAYS_TRIGGER_NAME]


def _drop_sqlite_triggers() -> list[str]:
    return [f"DROP TRIGGER {name}" for name in _trigger_names("sqlite") if name != ARRAYS_TRIGGER_NAME]


def _drop_postgresql_triggers() -> list[str]:
    return [f"DROP TRIGGER {name} ON {_on(name)}" for name in _trigger_names("postgresql")]


_TRIGGERS = {"sqlite": _sqlite_triggers, "postgresql": _postgresql_triggers}
_DROP_TRIGGERS = {"sqlite": _drop_sqlite_triggers, "postgresql": _drop_postgresql_triggers}

EVERYONE = "SELECT id FROM customers"
STALE = "SELECT customer_id FROM stale_summaries"
# Customers a stored summary does not describe as of :until: stale, or with rows at or after it.
_NOT_AS_STORED = f"{STALE} UNION SELECT customer_id FROM customer_summaries WHERE latest_epoch >= :until_epoch"


def summary_sql(dialect: str, only: str, *, as_of: bool) -> str:
    """The SELECT working out the summaries of the customers ``only`` selects (SQL text).

    With ``as_of``, only orders and feedback before ``:until`` count.
    """
    epoch = _EPOCH[dialect].format
    latest = "CASE WHEN f.latest_at IS NULL OR o.latest_at >= f.latest_at THEN o.latest_at ELSE f.latest_at END"
    return _SUMMARY_SQL.format(
        only=only,
        first_purchase=epoch("o.first_purchase_at"),
        last_purchase=epoch("o.last_purchase_at"),
        last_complaint=epoch("f.last_complaint_at"),
        latest=epoch(latest),
        before_orders="AND placed_at < :until" if as_of else "",
        before_feedback="AND received_at < :until" if as_of else "",
        before_rating="AND r.received_at < :until" if as_of else "",
    )


def refresh(connection: Connection, only: str = STALE) -> int:
    """Work the stale customers' summaries out again (or those ``only`` selects); returns how many.

    On PostgreSQL the stale list is locked first, so a writer marking a customer stale while this
    runs waits and is seen by the next refresh instead of being lost. SQLite has one writer at a
    time; there the arrays a plan reads are built again when anything changed (or they are missing).
    """
    dialect = connection.dialect.name
    if dialect == "postgresql":
        connection.exec_driver_sql("LOCK TABLE stale_summaries IN SHARE ROW EXCLUSIVE MODE")
    count = connection.execute(text(f"SELECT COUNT(*) FROM ({only}) AS chosen")).scalar_one()
    if count:
        connection.execute(text(f"DELETE FROM customer_summaries WHERE customer_id IN ({only})"))
        insert = f"INSERT INTO customer_summaries ({', '.join(COLUMNS)}) {summary_sql(dialect, only, as_of=False)}"
        connection.execute(text(insert))
    connection.execute(text("DELETE FROM stale_summaries"))
    if dialect == "sqlite" and (count or not _arrays_kept(connection)):
        _keep_arrays(connection)
    return count


def read_summaries(connection: Connection, until: datetime) -> dict[str, list]:
    """Every customer's summary as of ``until`` (orders and feedback before it), as columns (``READ``)
    in customer id order."""
    columns = _stored_columns(connection)
    statement = text(summary_sql(connection.dialect.name, _NOT_AS_STORED, as_of=True)).bindparams(
        bindparam("until", type_=UTCDateTime)
    )
    until_epoch = int((until - datetime(1970, 1, 1, tzinfo=UTC)).total_seconds())
    rows = fetch_all(connection, statement, {"until": until, "until_epoch": until_epoch})
    if rows:
        _merge(columns, rows)
    return columns


# What readers get: ``latest_epoch`` only serves the database's own as-of check.
READ = COLUMNS[:-1]


# Columns nearly every customer has the same value of: the JSON arrays hold only the exceptions.
_MOSTLY = {"do_not_contact": 0, "erased": 0, "has_address": 1, "open_complaints": 0, "last_complaint_epoch": None}
_DENSE = tuple(column for column in READ if column not in _MOSTLY)


def _arrays_sql() -> str:
    """Every stored summary as one JSON array per column (SQLite), in one pass over the table.

    Columns in ``_MOSTLY`` come as [customer_id, value] for the few customers whose value differs
    from the usual one.
    """
    arrays = [f"json_group_array({column})" for column in _DENSE]
    arrays += [
        f"json_group_array(json_array(customer_id, {column})) FILTER (WHERE {column} IS NOT {_sql(usual)})"
        for column, usual in _MOSTLY.items()
    ]
    return f"SELECT {', '.join(arrays)} FROM customer_summaries"


# Deleting a customer deletes their summary (a foreign key cascade, no refresh), so the kept
# arrays are dropped with them and the next refresh builds them again (migration 0003).
ARRAYS_TRIGGER_NAME = "customers_deleted_arrays"
ARRAYS_TRIGGER = f"CREATE TRIGGER {ARRAYS_TRIGGER_NAME} AFTER DELETE ON customers BEGIN DELETE FROM summary_arrays; END"


def _keep_arrays(connection: Connection) -> None:
    """Keep a copy of the columns a plan reads (``summary_arrays``), packed, from the summaries as
    they are now; one column at a time, so a big shop's refresh holds one in memory, not fifteen."""
    arrays = connection.exec_driver_sql(_arrays_sql()).one()
    connection.exec_driver_sql("DELETE FROM summary_arrays")
    for name, values in _decoded(arrays):
        connection.exec_driver_sql("INSERT INTO summary_arrays (name, content) VALUES (?, ?)", (name, pack(values)))


def _arrays_kept(connection: Connection) -> bool:
    return set(connection.exec_driver_sql("SELECT name FROM summary_arrays").scalars()) == set(READ)


def _kept_columns(connection: Connection) -> dict[str, list] | None:
    """The kept columns, or None when they are missing or were packed on a machine unlike this one."""
    kept = dict(connection.exec_driver_sql("SELECT name, content FROM summary_arrays").all())
    if kept.keys() != set(READ):
        return None
    try:
        return {column: unpack(kept[column]) for column in READ}
    except ValueError:
        return None


def _stored_columns(connection: Connection) -> dict[str, list]:
    """The stored summaries as one list per column (``READ``), in customer id order.

    On SQLite, ``refresh`` keeps every column packed (``db.packing``), so a plan reads fifteen
    values instead of 200,000 rows; without them (a customer deleted since) the database builds
    each column as one JSON array: turning rows into Python tuples and back into columns would
    cost several times more.
    """
    if connection.dialect.name == "sqlite":
        return _kept_columns(connection) or dict(_decoded(connection.exec_driver_sql(_arrays_sql()).one()))
    rows = connection.exec_driver_sql(f"SELECT {', '.join(READ)} FROM customer_summaries ORDER BY customer_id")
    values = list(zip(*rows, strict=True)) or [()] * len(READ)
    return {column: list(value) for column, value in zip(READ, values, strict=True)}


def _decoded(arrays: Sequence[str]) -> Iterator[tuple[str, list]]:
    """The columns ``_arrays_sql``'s JSON arrays hold, one at a time (``READ``'s order), in customer id order."""
    json_of = dict(zip((*_DENSE, *_MOSTLY), arrays, strict=True))
    ids = json.loads(json_of["customer_id"])
    # An aggregate's order is not promised: check it, and put every column in id order if need be.
    order = None if all(map(operator.lt, ids, ids[1:])) else sorted(range(len(ids)), key=ids.__getitem__)
    in_order = ids if order is None else [ids[row] for row in order]
    for column in READ:
        if column == "customer_id":
            values = in_order
        elif column in _MOSTLY:
            values = [_MOSTLY[column]] * len(ids)
            for customer_id, value in json.loads(json_of[column]):
                values[bisect_left(in_order, customer_id)] = value
        else:
            values = json.loads(json_of[column])
            if order is not None:
                values = [values[row] for row in order]
        yield column, values


def _sql(value: int | None) -> str:
    return "NULL" if value is None else str(value)


def _merge(columns: dict[str, list], rows: list) -> None:
    """Put freshly worked-out summaries over the stored ones, adding customers not stored yet."""
    row_of = {customer_id: row for row, customer_id in enumerate(columns["customer_id"])}
    lists = [columns[column] for column in READ]
    added = False
    for row_values in rows:
        values = row_values[: len(READ)]
        row = row_of.get(values[0])
        if row is None:
            added = True
            for values_of, value in zip(lists, values, strict=True):
                values_of.append(value)
        else:
            for values_of, value in zip(lists, values, strict=True):
                values_of[row] = value
    if added:
        _sort(columns)


def _sort(columns: dict[str, list]) -> None:
    ids = columns["customer_id"]
    order = sorted(range(len(ids)), key=ids.__getitem__)
    for column, values in columns.items():
        columns[column] = [values[row] for row in order]
