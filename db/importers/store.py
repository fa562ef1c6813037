"""Database side of an import: find existing rows in chunks, insert in batches, update changed rows.

Everything runs on the caller's connection, inside its one transaction. New rows get
explicit ids (so line items can point at their order before anything is flushed);
``finish`` moves PostgreSQL's sequences past them.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from sqlalchemy import Connection, Table, bindparam, func, select, update

from db.engine import advance_id_sequences, bulk_insert
from db.models import Customer, utc_now

LOOKUP_CHUNK = 2000

# A postal address, as one whole (``address_name``: who it is for, when not the customer's name).
ADDRESS_COLUMNS = ("address1", "address2", "city", "region", "postal_code", "country", "address_name")
CUSTOMER_COLUMNS = (
    "name",
    "first_name",
    "email",
    "phone",
    "language",
    "birthday",
    *ADDRESS_COLUMNS,
    "address_source",
    "do_not_contact",
)
NEW_CUSTOMER_COLUMNS = ("id", "external_id", *CUSTOMER_COLUMNS, "created_at")


def next_id(connection: Connection, table: Table) -> int:
    """The first id after the table's highest."""
    return int(connection.execute(select(func.coalesce(func.max(table.c.id), 0))).scalar_one()) + 1


def rows_by_key(
    connection: Connection, table: Table, key: str, keys: Iterable[Any], columns: Sequence[str]
) -> Iterator[Any]:
    """Rows whose ``key`` column is one of ``keys``, looked up ``LOOKUP_CHUNK`` at a time."""
    wanted = list(keys)
    selected = [table.c[name] for name in columns]
    for start in range(0, len(wanted), LOOKUP_CHUNK):
        chunk = wanted[start : start + LOOKUP_CHUNK]
        yield from connection.execute(select(*selected).where(table.c[key].in_(chunk)))


def update_rows(connection: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
    """``UPDATE … WHERE id = :id`` for each row (all rows set the same columns)."""
    if not rows:
        return
    columns = [name for name in rows[0] if name != "id"]
    statement = (
        update(table)
        .where(table.c.id == bindparam("row_id"))
        .values({name: bindparam(f"new_{name}") for name in columns})
    )
    parameters = [{"row_id": row["id"], **{f"new_{name}": row[name] for name in columns}} for row in rows]
    connection.execute(statement, parameters)


def insert_rows(connection: Connection, table: Table, columns: Sequence[str], rows: list[Sequence[Any]]) -> None:
    """Insert a batch through the fast driver path."""
    if rows:
        bulk_insert(connection, table, columns, rows)


def finish(connection: Connection, *tables: Table) -> None:
    """Move id sequences past the explicit ids an import inserted."""
    for table in tables:
        advance_id_sequences(connection, table)


class CustomerDirectory:
    """Every customer's id by external id and by email, loaded once (fine for hundreds of thousands).

    Orders and feedback find their customer here; an orders import may add customers,
    which are queued and inserted before the batch of orders that needs them.
    """

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self.by_external: dict[str, int] = {}
        self.by_email: dict[str, int] = {}
        self.erased: set[int] = set()
        self.opted_out: set[int] = set()
        table = Customer.__table__
        query = select(table.c.id, table.c.external_id, table.c.email, table.c.erased_at, table.c.do_not_contact)
        for customer_id, external_id, email, erased_at, do_not_contact in connection.execute(query):
            self.by_external[external_id] = customer_id
            if email:
                self.by_email.setdefault(email.lower(), customer_id)
            if erased_at is not None:
                self.erased.add(customer_id)
            if do_not_contact:
                self.opted_out.add(customer_id)
        self._next_id = next_id(connection, table)
        self.first_new_id = self._next_id  # customers from here on are this import's
        self._now = utc_now()
        self._pending: list[tuple[Any, ...]] = []
        self._opt_outs: list[int] = []
        self.added = 0
        self.updated = 0

    def find(self, external_id: str, email: str = "") -> int | None:
        """The customer's id by external id, else by email; ``None`` if unknown."""
        found = self.by_external.get(external_id) if external_id else None
        if found is None and email:
            lowered = email.lower()
            found = self.by_external.get(lowered) or self.by_email.get(lowered)
        return found

    def create(self, external_id: str, values: dict[str, Any]) -> int:
        """Queue a new customer; returns the id it will have."""
        customer_id = self._next_id
        self._next_id += 1
        row = {"language": "ko", "do_not_contact": False, **values}
        self._pending.append((customer_id, external_id, *(row.get(name) for name in CUSTOMER_COLUMNS), self._now))
        self.by_external[external_id] = customer_id
        if row.get("email"):
            self.by_email.setdefault(row["email"].lower(), customer_id)
        if row["do_not_contact"]:
            self.opted_out.add(customer_id)
        self.added += 1
        return customer_id

    def opt_out(self, customer_id: int) -> None:
        """Mark a known customer do-not-contact (an opt-out in the file); never the reverse."""
        if customer_id in self.opted_out:
            return
        self.opted_out.add(customer_id)
        self._opt_outs.append(customer_id)
        self.updated += 1

    def flush(self) -> None:
        """Insert queued customers and record opt-outs."""
        insert_rows(self.connection, Customer.__table__, NEW_CUSTOMER_COLUMNS, self._pending)
        self._pending = []
        update_rows(self.connection, Customer.__table__, [{"id": i, "do_not_contact": True} for i in self._opt_outs])
        self._opt_outs = []
