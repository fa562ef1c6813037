"""The facts as one polars frame (planner.core.facts_frame, read by db.frames) against the facts worked
out the plain way, customer by customer (tests/reference_facts.py).

Seeded shops (Korean, English in a time zone with clock changes, mixed in a leap year; with past
gestures, feedback, an erased customer and gestures logged today) and generated small stores must
give every customer the same value of every fact, on SQLite and PostgreSQL, at several as-of days,
including days before some of the orders, feedback and gestures.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import polars as pl
import pytest
from click.testing import Result
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from reference_facts import reference_facts
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url
from sqlmodel import SQLModel

from db.engine import transaction
from db.frames import load_facts, reading
from db.models import Customer
from planner.core.errors import DatabaseError
from planner.core.facts import FACTS
from planner.core.facts_frame import GESTURE_YEAR_DAYS, IDENTITY, RECENT_ORDERS, RECENT_SPEND, with_money
from planner.core.weeks import end_of_day

FACT_NAMES = [fact.name for fact in FACTS]

# name → (seed options, time zone of the shop the seed makes)
SHOPS = {
    "ko": (["--locale", "ko_KR", "--seed", "3", "--today", "2026-11-30", "--plant-effect", "0.15"], "Asia/Seoul"),
    "en": (["--locale", "en_US", "--seed", "5", "--today", "2026-03-09", "--plant-effect", "0.2"], "America/New_York"),
    "mixed": (["--locale", "mixed", "--seed", "11", "--today", "2028-03-01", "--plant-effect", "0.1"], "Asia/Seoul"),
}
CURRENCIES = {"Asia/Seoul": "KRW", "America/New_York": "USD"}


@pytest.fixture(params=sorted(SHOPS))
def shop(request: pytest.FixtureRequest, initialised: Callable[..., Result], store: Engine) -> tuple[str, str, date]:
    """A seeded shop with a plan, a few gestures logged as sent today, and one customer forgotten:
    (time zone, currency, the seed's today)."""
    options, timezone = SHOPS[request.param]
    result = initialised("seed", "--customers", "300", *options)
    assert result.exit_code == 0, result.output
    today = date.fromisoformat(options[options.index("--today") + 1])
    week = f"{today.isocalendar()[0]}-W{today.isocalendar()[1]:02d}"
    assert initialised("plan", "--week", week, "--seed", "1").exit_code == 0
    with store.connect() as connection:
        planned = connection.execute(text("SELECT id FROM gestures WHERE status = 'planned' ORDER BY id LIMIT 4"))
        ids = [str(gesture_id) for gesture_id in planned.scalars()]
        forgotten = connection.execute(text("SELECT external_id FROM customers ORDER BY id LIMIT 1 OFFSET 7")).scalar()
    assert len(ids) == 4
    assert initialised("log", "sent", *ids, "--by", "Minji").exit_code == 0
    assert initialised("customer", "forget", forgotten).exit_code == 0
    return timezone, CURRENCIES[timezone], today


def frame_facts(engine: Engine, as_of: date, timezone: str, currency: str) -> dict[str, list]:
    """The same from the polars frame, with money as Decimal and lists as tuples."""
    frame = with_money(load_facts(engine.url, as_of=as_of, timezone=timezone), currency)
    columns = frame.to_dict(as_series=False)
    columns["last_order_items"] = [tuple(items) for items in columns["last_order_items"]]
    return columns


def assert_same_facts(expected: dict[str, list], found: dict[str, list]) -> None:
    assert found["customer_id"] == list(expected["customer_id"])
    for name in [*IDENTITY, *FACT_NAMES]:
        differing = [
            (customer_id, want, got)
            for customer_id, want, got in zip(found["customer_id"], expected[name], found[name], strict=True)
            if want != got or type(want) is not type(got)
        ]
        assert not differing, f"{name}: {len(differing)} customers differ, e.g. (id, reference, frame) {differing[:3]}"


@pytest.mark.parametrize("days_after_today", [0, -45, 10, -400])
def test_the_frame_equals_the_reference(shop: tuple[str, str, date], store: Engine, days_after_today: int) -> None:
    timezone, currency, today = shop
    as_of = today + timedelta(days=days_after_today)
    expected = reference_facts(store, as_of, timezone, currency)
    if days_after_today >= 0:
        assert any(expected["days_since_last_gesture"])  # a gesture history to compare
    assert_same_facts(expected, frame_facts(store, as_of, timezone, currency))


# --- Generated stores: the edges seeds rarely reach ------------------------------------------

_ZONES = ["Asia/Seoul", "America/New_York", "Australia/Lord_Howe"]
_AS_OF_DAYS = [date(2026, 11, 30), date(2028, 2, 28), date(2028, 2, 29), date(2027, 3, 1), date(2026, 3, 8)]
_BIRTHDAYS = [None, date(1992, 2, 29), date(1990, 2, 28), date(1985, 3, 1), date(1970, 11, 30), date(2000, 12, 31)]
_NAMES = [None, "", "민지", "Tom"]


def _moment_choices(as_of: date, zone: str) -> st.SearchStrategy[datetime]:
    """Instants around the as-of moment, the windows' starts and the gesture year's start (a
    millisecond either side), and others."""
    until = end_of_day(as_of, ZoneInfo(zone))
    year_ago = end_of_day(as_of - timedelta(days=GESTURE_YEAR_DAYS), ZoneInfo(zone))
    edges = st.sampled_from([until - RECENT_ORDERS, until - RECENT_SPEND, until, year_ago])
    offsets = st.sampled_from([-86_400_000, -1, 0, 1, 3_600_000]).map(lambda millis: timedelta(milliseconds=millis))
    near = st.builds(operator.add, edges, offsets)
    anywhere = st.integers(-800, 30).map(lambda days: until + timedelta(days=days, hours=days % 24))
    return near | anywhere


@st.composite
def stores(draw: st.DrawFn) -> dict:
    """A small store: customers with orders (some at the same instant), items, feedback and sent gestures."""
    zone, as_of = draw(st.sampled_from(_ZONES)), draw(st.sampled_from(_AS_OF_DAYS))
    moment = _moment_choices(as_of, zone)
    store: dict[str, list[dict]] = {"customers": [], "orders": [], "order_items": [], "feedback": [], "gestures": []}
    for customer_id in range(1, draw(st.integers(1, 6)) + 1):
        store["customers"].append(
            {
                "id": customer_id,
                "external_id": f"C{customer_id}",
                "name": draw(st.sampled_from(_NAMES)),
                "first_name": draw(st.sampled_from(_NAMES)),
                "language": draw(st.sampled_from(["ko", "en"])),
                "birthday": draw(st.sampled_from(_BIRTHDAYS)),
                "address1": draw(st.sampled_from([None, "", "테헤란로 1"])),
                "city": draw(st.sampled_from([None, "서울"])),
                "do_not_contact": draw(st.booleans()),
            }
        )
        placed = draw(st.lists(moment, max_size=4))
        placed += placed[:1] * draw(st.integers(0, 1))  # two orders at one instant
        for placed_at in placed:
            order_id = len(store["orders"]) + 1
            status = draw(st.sampled_from(["paid", "paid", "refunded", "cancelled"]))
            total = draw(st.integers(0, 5) | st.sampled_from([1250, 99_999, 30_001]))
            store["orders"].append(
                {
                    "id": order_id,
                    "external_id": f"O{order_id}",
                    "customer_id": customer_id,
                    "placed_at": placed_at,
                    "total_minor": total,
                    "currency": "KRW",
                    "status": status,
                }
            )
            for item in draw(st.lists(st.sampled_from(["머그컵", "tea", "향초"]), max_size=2)):
                store["order_items"].append(
                    {"order_id": order_id, "name": item, "quantity": 1, "unit_price_minor": total}
                )
        for received_at in draw(st.lists(moment, max_size=3)):
            store["feedback"].append(
                {
                    "customer_id": customer_id,
                    "kind": draw(st.sampled_from(["review", "complaint", "survey"])),
                    "rating": draw(st.none() | st.integers(1, 5)),
                    "received_at": received_at,
                    "resolved_at": draw(st.none() | st.just(received_at + timedelta(days=1))),
                }
            )
        for sent_at in draw(st.lists(moment, max_size=3, unique=True)):
            store["gestures"].append(
                {
                    "customer_id": customer_id,
                    "week": "2026-W01",
                    "kind": draw(st.sampled_from(["handwritten_note", "small_gift", "cheer_message"])),
                    "status": draw(st.sampled_from(["sent", "sent", "skipped", "planned"])),
                    "cost_minor": 0,
                    "currency": "KRW",
                    "sent_at": sent_at,
                }
            )
    return {"zone": zone, "as_of": as_of, "rows": store}


_TABLES = ("customers", "orders", "order_items", "feedback", "gestures")


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(generated=stores())
def test_generated_stores_give_the_reference_facts(engine: Engine, generated: dict) -> None:
    with engine.begin() as connection:
        for table in reversed(_TABLES):
            connection.execute(SQLModel.metadata.tables[table].delete())
        for table in _TABLES:
            if generated["rows"][table]:
                connection.execute(SQLModel.metadata.tables[table].insert(), generated["rows"][table])
    zone, as_of = generated["zone"], generated["as_of"]
    assert_same_facts(reference_facts(engine, as_of, zone, "USD"), frame_facts(engine, as_of, zone, "USD"))


# --- Edges the definitions settle ------------------------------------------------------------


def _insert(engine: Engine, **rows: list[dict]) -> None:
    with engine.begin() as connection:
        for table in _TABLES:
            if rows.get(table):
                connection.execute(SQLModel.metadata.tables[table].insert(), rows[table])


def test_the_latest_gesture_is_the_one_sent_last_that_day(engine: Engine) -> None:
    """Of two gestures sent on one day, the latest is the one sent last, whichever was stored first."""
    morning, evening = datetime(2026, 11, 20, 0, 30, tzinfo=UTC), datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
    gesture = {"customer_id": 1, "week": "2026-W47", "status": "sent", "cost_minor": 0, "currency": "KRW"}
    _insert(
        engine,
        customers=[{"id": 1, "external_id": "C1"}],
        gestures=[
            {**gesture, "kind": "small_gift", "sent_at": evening},
            {**gesture, "kind": "handwritten_note", "sent_at": morning},
        ],
    )
    facts = load_facts(engine.url, as_of=date(2026, 11, 30), timezone="Asia/Seoul").row(0, named=True)
    assert (facts["last_gesture_kind"], facts["days_since_last_gesture"], facts["gestures_last_365_days"]) == (
        "small_gift",
        10,
        2,
    )


def test_an_order_a_microsecond_before_midnight_is_on_that_day(engine: Engine) -> None:
    """Instants are kept to the microsecond: the order falls on the day it was placed."""
    midnight = end_of_day(date(2026, 11, 20), ZoneInfo("Asia/Seoul"))
    order = {"customer_id": 1, "total_minor": 1000, "currency": "KRW", "status": "paid"}
    _insert(
        engine,
        customers=[{"id": 1, "external_id": "C1"}],
        orders=[{**order, "id": 1, "external_id": "O1", "placed_at": midnight - timedelta(microseconds=1)}],
    )
    facts = load_facts(engine.url, as_of=date(2026, 11, 30), timezone="Asia/Seoul").row(0, named=True)
    assert facts["last_order_date"] == date(2026, 11, 20)


def test_only_the_facts_asked_for(engine: Engine) -> None:
    _insert(engine, customers=[{"id": 1, "external_id": "C1", "first_name": "", "name": "Kim"}])
    frame = load_facts(engine.url, as_of=date(2026, 11, 30), timezone="Asia/Seoul", facts=["orders_count"])
    assert frame.columns == [*IDENTITY, "orders_count"]
    assert frame.row(0, named=True)["greeting"] == "Kim"
    with pytest.raises(KeyError, match="unknown facts: order_count"):
        load_facts(engine.url, as_of=date(2026, 11, 30), timezone="Asia/Seoul", facts=["order_count"])


def test_a_store_that_cannot_be_read_is_one_clear_error(tmp_path: Path) -> None:
    missing = make_url(f"sqlite:///{tmp_path / 'nowhere' / 'delight.db'}")
    with pytest.raises(DatabaseError, match=r"^cannot read sqlite:///.*nowhere/delight\.db: ") as caught:
        load_facts(missing, as_of=date(2026, 11, 30), timezone="Asia/Seoul")
    assert "\n" not in str(caught.value)


def test_a_column_the_query_does_not_have_is_an_error_not_a_value(engine: Engine) -> None:
    # SQLite takes a double-quoted name that no column has for a string: a column the reader
    # expects but the query lacks must fail, never come back as its own name on every row.
    with transaction(engine) as session:
        session.add(Customer(external_id="C1", name="Kim"))
    with pytest.raises((DatabaseError, KeyError), match="no_such_column"), reading(engine.url) as read:
        read("SELECT id AS customer_id FROM customers", [], {"customer_id": pl.Int64, "no_such_column": pl.String})
