"""Customer summaries: every change to what they summarise marks the customer stale, and a
refresh gives exactly what counting the rows again gives."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Connection, Engine, text

from db import summaries
from db.engine import transaction
from db.importers import import_file
from db.models import Customer, Feedback, Order
from db.packing import unpack
from db.seed import SeedOptions, seed_database
from planner.weekly import PlanOptions, plan_week

NOW = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)


def stale(connection: Connection) -> set[int]:
    return set(connection.execute(text("SELECT customer_id FROM stale_summaries")).scalars())


def stored(connection: Connection) -> dict[int, tuple]:
    columns = ", ".join(summaries.COLUMNS)
    rows = connection.execute(text(f"SELECT {columns} FROM customer_summaries"))
    return {row[0]: _normalised(row) for row in rows}


def counted_again(connection: Connection) -> dict[int, tuple]:
    rows = connection.execute(text(summaries.summary_sql(connection.dialect.name, summaries.EVERYONE, as_of=False)))
    return {row[0]: _normalised(row) for row in rows}


def _normalised(row: tuple) -> tuple:
    """Booleans as 0/1 and dates as text, as SQLite keeps them, so both databases compare alike."""
    return tuple(int(v) if isinstance(v, bool) else v.isoformat() if isinstance(v, date) else v for v in row)


@pytest.fixture
def shop(engine: Engine) -> tuple[int, int]:
    """Two customers with an order and a complaint each, summarised."""
    with transaction(engine) as session:
        ids = []
        for external_id in ("A", "B"):
            customer = Customer(external_id=external_id, name=external_id, address1="1 Road", city="Seoul")
            session.add(customer)
            session.flush()
            session.add(Order(external_id=f"{external_id}-1", customer_id=customer.id, placed_at=NOW,
                              total_minor=20_000, currency="KRW"))  # fmt: skip
            session.add(Feedback(customer_id=customer.id, kind="complaint", received_at=NOW))
            ids.append(customer.id)
        session.flush()
        summaries.refresh(session.connection())
    return ids[0], ids[1]


CHANGES = {
    "a new order": "INSERT INTO orders (external_id, customer_id, placed_at, total_minor, currency, status) "
    "VALUES ('A-2', :a, '2026-11-21 10:00:00', 5000, 'KRW', 'paid')",
    "an order refunded": "UPDATE orders SET status = 'refunded' WHERE customer_id = :a",
    "an order deleted": "DELETE FROM orders WHERE customer_id = :a",
    "an order moved to another customer": "UPDATE orders SET customer_id = :b WHERE customer_id = :a",
    "new feedback": "INSERT INTO feedback (customer_id, kind, rating, received_at) "
    "VALUES (:a, 'review', 2, '2026-11-21 10:00:00')",
    "a complaint resolved": "UPDATE feedback SET resolved_at = '2026-11-22 10:00:00' WHERE customer_id = :a",
    "feedback deleted": "DELETE FROM feedback WHERE customer_id = :a",
    "opted out": "UPDATE customers SET do_not_contact = true WHERE id = :a",
    "erased": "UPDATE customers SET erased_at = '2026-11-22 10:00:00', name = NULL WHERE id = :a",
    "address removed": "UPDATE customers SET address1 = NULL WHERE id = :a",
    "birthday set": "UPDATE customers SET birthday = '1990-12-03' WHERE id = :a",
    "language changed": "UPDATE customers SET language = 'en' WHERE id = :a",
    "renamed": "UPDATE customers SET name = '김민지' WHERE id = :a",  # no first name: reasons call them by it
    "first name given": "UPDATE customers SET first_name = '민지' WHERE id = :a",
}


@pytest.mark.parametrize("change", CHANGES)
def test_every_change_marks_the_customer_stale(engine: Engine, shop: tuple[int, int], change: str) -> None:
    a, b = shop
    with engine.begin() as connection:
        assert stale(connection) == set()
        connection.execute(text(CHANGES[change]), {"a": a, "b": b})
        expected = {a, b} if "another customer" in change else {a}
        assert stale(connection) == expected
        assert stored(connection) != counted_again(connection)  # the change matters to the summary...
        assert summaries.refresh(connection) == len(expected)
        assert stale(connection) == set()
        assert stored(connection) == counted_again(connection)  # ...and the refresh catches up with it


def test_changes_that_do_not_matter_leave_the_summary_alone(engine: Engine, shop: tuple[int, int]) -> None:
    a, _b = shop
    with engine.begin() as connection:
        connection.execute(text("UPDATE customers SET email = 'a@example.com', phone = '010' WHERE id = :a"), {"a": a})
        assert stale(connection) == set()


def test_new_customers_are_summarised(engine: Engine, shop: tuple[int, int]) -> None:
    with transaction(engine) as session:
        session.add(Customer(external_id="C", name="C", language="en"))
        session.flush()
        connection = session.connection()
        assert len(stale(connection)) == 1
        summaries.refresh(connection)
        assert stored(connection) == counted_again(connection)
        assert len(stored(connection)) == 3


def test_reading_never_trusts_a_stale_or_later_summary(engine: Engine, shop: tuple[int, int]) -> None:
    a, b = shop
    with engine.begin() as connection:
        # Stale: written but not refreshed yet.
        connection.execute(text(CHANGES["a new order"]), {"a": a, "b": b})
        read = summaries.read_summaries(connection, NOW + timedelta(days=30))
        assert read["purchases"] == [2, 1]
        # Later than the moment asked about: B's order on NOW does not count a day before it.
        summaries.refresh(connection)
        read = summaries.read_summaries(connection, NOW - timedelta(days=1))
        assert read["purchases"] == [0, 0]
        assert read["open_complaints"] == [0, 0]
        assert read["customer_id"] == [a, b]


def test_reading_stored_summaries_gives_every_column_as_counted(engine: Engine, shop: tuple[int, int]) -> None:
    # On SQLite, columns most customers share a value of are read as the few that differ.
    a, b = shop
    with transaction(engine) as session:
        session.add(Customer(external_id="C", name="C", language="en"))
        session.flush()
        connection = session.connection()
        for change in ("opted out", "address removed", "erased", "a complaint resolved"):
            connection.execute(text(CHANGES[change]), {"a": a, "b": b})
        summaries.refresh(connection)
        read = summaries.read_summaries(connection, NOW + timedelta(days=30))
        counted = sorted(counted_again(connection).values())
        expected = {column: [row[index] for row in counted] for index, column in enumerate(summaries.READ)}
        assert {column: [_normalised((v,))[0] for v in values] for column, values in read.items()} == expected
        flags = [[int(v) for v in read[column]] for column in ("do_not_contact", "erased", "has_address")]
        assert flags == [[1, 0, 0], [1, 0, 0], [0, 1, 0]]
        assert read["open_complaints"] == [0, 1, 0]
        assert [epoch is None for epoch in read["last_complaint_epoch"]] == [False, False, True]


def kept_arrays(connection: Connection) -> dict[str, bytes]:
    return dict(connection.execute(text("SELECT name, content FROM summary_arrays")).all())


def test_arrays_a_plan_reads_are_kept_till_a_customer_is_deleted(engine: Engine, shop: tuple[int, int]) -> None:
    with transaction(engine) as session:
        session.add(Customer(external_id="C", name="C", language="en"))
        session.flush()
        connection = session.connection()
        if engine.dialect.name != "sqlite":  # PostgreSQL reads the summary rows themselves
            summaries.refresh(connection)
            assert kept_arrays(connection) == {}
            assert summaries.read_summaries(connection, NOW)["language"] == ["ko", "ko", "en"]
            return
        summaries.refresh(connection)
        kept = kept_arrays(connection)
        assert sorted(kept) == sorted(summaries.READ)
        assert unpack(kept["language"]) == ["ko", "ko", "en"]
        read = summaries.read_summaries(connection, NOW + timedelta(days=30))
        # Packed where numbers are wider than here: not read, but built on the spot, alike.
        foreign = kept["customer_id"].replace(b'"i", 4,', b'"i", 16,').replace(b'"b", 1,', b'"b", 16,')
        assert foreign != kept["customer_id"]
        connection.execute(text("UPDATE summary_arrays SET content = :c WHERE name = 'customer_id'"), {"c": foreign})
        assert summaries.read_summaries(connection, NOW + timedelta(days=30)) == read
        connection.execute(text("DELETE FROM summary_arrays"))
        assert summaries.read_summaries(connection, NOW + timedelta(days=30)) == read
        summaries.refresh(connection)  # nothing stale, but the arrays were missing
        assert kept_arrays(connection) == kept
        # A deleted customer's summary goes by cascade, unseen by refresh: the kept arrays go with it.
        connection.execute(text("DELETE FROM customers WHERE external_id = 'C'"))
        assert kept_arrays(connection) == {}
        assert summaries.read_summaries(connection, NOW + timedelta(days=30))["customer_id"] == list(shop)
        summaries.refresh(connection)
        assert unpack(kept_arrays(connection)["customer_id"]) == list(shop)


def test_columns_built_by_the_database_come_in_customer_id_order(engine: Engine, shop: tuple[int, int]) -> None:
    if engine.dialect.name != "sqlite":
        pytest.skip("the columns are built as JSON arrays on SQLite only")
    with engine.begin() as connection:
        connection.execute(text("UPDATE customers SET do_not_contact = true WHERE id = :b"), {"b": shop[1]})
        connection.execute(
            text("UPDATE customers SET language = 'en', birthday = '1990-12-03' WHERE id = :a"), {"a": shop[0]}
        )
        summaries.refresh(connection)
        arrays = list(connection.exec_driver_sql(summaries._arrays_sql()).one())
        expected = dict(summaries._decoded(arrays))
        dense = len(arrays) - len(summaries._MOSTLY)
        # The aggregate's order is not promised: the same columns, customers the other way round.
        shuffled = [json.dumps(json.loads(array)[::-1]) for array in arrays[:dense]] + arrays[dense:]
        assert dict(summaries._decoded(shuffled)) == expected
        assert expected["customer_id"] == list(shop) and expected["do_not_contact"] == [0, 1]
        assert expected["language"] == ["en", "ko"] and expected["birthday"] == ["1990-12-03", None]


def test_seeding_and_importing_leave_nothing_stale(engine: Engine, tmp_path: Path) -> None:
    with transaction(engine) as session:
        seed_database(session.connection(), SeedOptions(customers=60, seed=3, today=date(2026, 11, 30)))
    with engine.connect() as connection:
        assert stale(connection) == set()
        assert stored(connection) == counted_again(connection)
    orders = tmp_path / "orders.csv"
    orders.write_text(
        "order_id,customer_id,placed_at,total,currency,status\nN-1,C0000007,2026-11-25 10:00,30000,KRW,paid\n",
        encoding="utf-8",
    )
    import_file(engine, "orders", orders)
    with engine.connect() as connection:
        assert stale(connection) == set()
        assert stored(connection) == counted_again(connection)


def test_planning_catches_up_with_changes_made_elsewhere(engine: Engine, shop: tuple[int, int]) -> None:
    a, b = shop
    with engine.begin() as connection:  # as a team's own script might
        connection.execute(text(CHANGES["a new order"]), {"a": a, "b": b})
    plan_week(engine, PlanOptions(week="2026-W48", seed=1))
    with engine.connect() as connection:
        assert stale(connection) == set()
        assert stored(connection) == counted_again(connection)
