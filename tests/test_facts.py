"""Customer facts, checked against values worked out by hand."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from zoneinfo import ZoneInfo

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine

from db import frames
from db.engine import transaction
from db.frames import load_facts, read_last_items
from db.models import Customer, Feedback, Gesture, Order, OrderItem
from planner.core.facts import FACTS
from planner.core.facts_frame import FEEDBACK_SCHEMA, GESTURES_SCHEMA, FactTables, facts_frame
from planner.core.plan import Customers
from planner.core.weeks import end_of_day

SEOUL = ZoneInfo("Asia/Seoul")
KST = timezone(timedelta(hours=9))
AS_OF = date(2026, 11, 30)  # a Monday


def at(day: str, clock: str = "12:00") -> datetime:
    return datetime.fromisoformat(f"{day}T{clock}").replace(tzinfo=KST)


def add_customer(session, external_id: str, **fields) -> int:  # type: ignore[no-untyped-def]
    customer = Customer(external_id=external_id, name=fields.pop("name", external_id), **fields)
    session.add(customer)
    session.flush()
    return customer.id


def add_order(
    session, customer_id: int, external_id: str, placed: datetime, total: int, status: str = "paid", items=()
):  # type: ignore[no-untyped-def]
    order = Order(
        external_id=external_id,
        customer_id=customer_id,
        placed_at=placed,
        total_minor=total,
        currency="KRW",
        status=status,
    )
    session.add(order)
    session.flush()
    for name in items:
        session.add(OrderItem(order_id=order.id, name=name, quantity=1, unit_price_minor=total))
    return order.id


def facts_of(engine: Engine) -> dict[str, dict[str, object]]:
    """Every customer's facts as of ``AS_OF`` in Seoul, by their id as imported (money as Decimal)."""
    customers = Customers(load_facts(engine.url, as_of=AS_OF, timezone="Asia/Seoul"), "KRW")
    return {customers.profile(row).external_id: dict(customers.profile(row).facts) for row in range(len(customers))}


def test_hand_computed_facts(engine: Engine) -> None:
    with transaction(engine) as s:
        minji = add_customer(
            s, "minji", first_name="민지", birthday=date(1990, 12, 3), address1="테헤란로 1", city="서울"
        )
        add_order(s, minji, "o1", at("2025-11-30"), 20000, items=["머그컵"])
        add_order(s, minji, "o2", at("2026-09-15"), 30000, items=["향초"])
        add_order(s, minji, "o3", at("2026-11-20", "23:30"), 10000, items=["엽서 세트", "손수건"])
        add_order(s, minji, "o4", at("2026-11-25"), 99000, status="refunded")
        add_order(s, minji, "o5", at("2026-11-26"), 5000, status="cancelled")
        add_order(s, minji, "o6", at("2026-12-01"), 7000)  # after the as-of day: not counted
        s.add(Feedback(customer_id=minji, kind="review", rating=5, text="좋아요", received_at=at("2026-09-20")))
        s.add(Feedback(customer_id=minji, kind="complaint", text="깨졌어요", received_at=at("2026-11-22")))
        s.add(Feedback(customer_id=minji, kind="review", rating=2, text="아쉬워요", received_at=at("2026-11-23")))
        add_customer(s, "nobody", language="en")
    facts = facts_of(engine)
    minji_facts = facts["minji"]
    assert minji_facts == {
        **minji_facts,
        "orders_count": 3,
        "total_spent": Decimal(60000),
        "average_order_value": Decimal(20000),
        "first_order_date": date(2025, 11, 30),
        "last_order_date": date(2026, 11, 20),
        "days_since_first_order": 365,
        "days_since_last_order": 10,
        "orders_last_90_days": 2,  # 2026-09-15 is 76 days before; 2025-11-30 is 365
        "spent_last_365_days": Decimal(40000),
        "last_order_items": ("엽서 세트", "손수건"),
        "refunds_count": 2,
        "days_until_birthday": 3,
        "days_until_first_order_anniversary": 0,
        "last_rating": 2,
        "days_since_last_complaint": 8,
        "has_open_complaint": True,
        "gestures_last_365_days": 0,
        "days_since_last_gesture": None,
        "last_gesture_kind": None,
        "language": "ko",
    }
    assert facts["nobody"] == {
        **{fact.name: None for fact in FACTS},
        "orders_count": 0,
        "total_spent": Decimal(0),
        "orders_last_90_days": 0,
        "spent_last_365_days": Decimal(0),
        "last_order_items": (),
        "refunds_count": 0,
        "has_open_complaint": False,
        "gestures_last_365_days": 0,
        "language": "en",
    }
    assert set(minji_facts) == {fact.name for fact in FACTS}


def test_window_facts_at_the_edges_of_their_windows(engine: Engine) -> None:
    # Most customers' window facts are settled by their first and latest purchase (all inside the
    # window, or none); those are kept in whole seconds, so purchases a fraction of a second
    # either side of a window's start must still count exactly as the orders themselves say.
    until = end_of_day(AS_OF, SEOUL)
    since_365, since_90 = until - timedelta(days=365), until - timedelta(days=90)
    offsets = [timedelta(seconds=seconds) for seconds in (-86_400, -1, -0.5, 0, 0.5, 1)]
    expected = {}
    with transaction(engine) as s:
        for since in (since_365, since_90):
            for first in offsets:
                for last in (offset for offset in offsets if offset >= first):
                    name = f"c{len(expected)}"
                    customer = add_customer(s, name)
                    placed = sorted({since + first, since + last})
                    for number, moment in enumerate(placed, start=1):
                        add_order(s, customer, f"{name}-{number}", moment, 1000 * number)
                    expected[name] = (
                        sum(moment >= since_90 for moment in placed),
                        sum(1000 * number for number, moment in enumerate(placed, start=1) if moment >= since_365),
                    )
    facts = facts_of(engine)
    found = {name: (f["orders_last_90_days"], int(f["spent_last_365_days"])) for name, f in facts.items()}
    assert found == expected


@pytest.mark.parametrize("per_query", [2, 30_000])
def test_latest_items_looked_up_for_some_customers_are_their_facts(
    engine: Engine, per_query: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A plan looks up the latest items only for the customers whose words it chooses: the same
    # items, in the same order, as the fact worked out for everyone.
    with transaction(engine) as s:
        two_at_once = add_customer(s, "two-at-once")
        add_order(s, two_at_once, "a1", at("2026-10-01"), 1000, items=["머그컵"])
        add_order(s, two_at_once, "a2", at("2026-11-02"), 1000, items=["향초", "손수건"])
        add_order(s, two_at_once, "a3", at("2026-11-02"), 1000, items=["엽서"])  # the same instant: both orders
        refunded_last = add_customer(s, "refunded-last")
        add_order(s, refunded_last, "b1", at("2026-11-01"), 1000, items=["찻잔"])
        add_order(s, refunded_last, "b2", at("2026-11-20"), 1000, status="refunded", items=["찻잔 세트"])
        later = add_customer(s, "after-the-day")
        add_order(s, later, "c1", at("2026-11-29"), 1000, items=["tea"])
        add_order(s, later, "c2", at("2026-12-01"), 1000, items=["not yet"])
        never = add_customer(s, "never-bought")
    facts = facts_of(engine)
    until = end_of_day(AS_OF, SEOUL)
    monkeypatch.setattr(frames, "_IDS_PER_QUERY", per_query)  # a long list of customers is read in parts
    ids = {"two-at-once": two_at_once, "refunded-last": refunded_last, "after-the-day": later, "never-bought": never}
    looked_up = read_last_items(engine.url, until, list(ids.values()))
    assert {name: looked_up.get(customer_id, ()) for name, customer_id in ids.items()} == {
        name: facts[name]["last_order_items"] for name in ids
    }
    assert looked_up[two_at_once] == ("향초", "손수건", "엽서")
    assert never not in looked_up
    assert read_last_items(engine.url, until, [refunded_last]) == {refunded_last: ("찻잔",)}
    assert read_last_items(engine.url, until, []) == {}


AWKWARD_TEXT = [
    'say "hi"',
    "back\\slash and 'quote'",
    "two\nlines\tand a tab",
    '=HYPERLINK("x")',
    "이름 😀 \u00e9\u200b",
    "\x01 control",
    "x" * 5000,
    "",
]


def test_text_reaches_the_facts_exactly_as_stored(engine: Engine) -> None:
    # The facts read each column in one piece (on SQLite, as one JSON array): whatever customers'
    # names and items hold comes out unchanged, next to the right customer.
    with transaction(engine) as s:
        ids = []
        for number, text in enumerate(AWKWARD_TEXT):
            customer_id = add_customer(s, f"odd-{number}", name=text, first_name=text or None)
            add_order(s, customer_id, f"o{number}", at("2026-11-02"), 1000 + number, items=[text, f"and {text}"])
            ids.append(customer_id)
    frame = load_facts(engine.url, as_of=AS_OF, timezone="Asia/Seoul")
    rows = {row["external_id"]: row for row in frame.iter_rows(named=True)}
    for number, text in enumerate(AWKWARD_TEXT):
        row = rows[f"odd-{number}"]
        assert (row["name"], row["first_name"]) == (text, text or None)
        assert row["last_order_items"] == [text, f"and {text}"]
        assert row["total_spent"] == 1000 + number
    assert frame["customer_id"].to_list() == sorted(frame["customer_id"].to_list())


def test_the_shop_time_zone_decides_the_day(engine: Engine) -> None:
    with transaction(engine) as s:
        late = add_customer(s, "late")
        # 23:30 in Seoul on 29 Nov is 14:30 UTC the same day; 00:30 on 1 Dec Seoul is after the as-of day.
        add_order(s, late, "a", at("2026-11-29", "23:30"), 1000)
        add_order(s, late, "b", datetime(2026, 11, 30, 15, 30, tzinfo=UTC), 1000)
    facts = facts_of(engine)["late"]
    assert facts["last_order_date"] == date(2026, 11, 29)
    assert facts["orders_count"] == 1


def test_a_refund_only_customer_has_no_purchases(engine: Engine) -> None:
    with transaction(engine) as s:
        refunded = add_customer(s, "refunded")
        add_order(s, refunded, "r", at("2026-11-01"), 5000, status="refunded")
    facts = facts_of(engine)["refunded"]
    assert facts["orders_count"] == 0
    assert facts["refunds_count"] == 1
    assert facts["rfm_segment"] is None
    assert facts["days_until_first_order_anniversary"] is None


@pytest.mark.parametrize(
    ("birthday", "expected"),
    [
        (date(1990, 11, 30), 0),
        (date(1990, 11, 29), 364),
        (date(1992, 2, 29), 90),  # 2027 has no 29 February: 28 February counts
        (date(1985, 1, 1), 32),
    ],
)
def test_days_until_birthday(engine: Engine, birthday: date, expected: int) -> None:
    with transaction(engine) as s:
        add_customer(s, "b", birthday=birthday)
    assert facts_of(engine)["b"]["days_until_birthday"] == expected


def test_gesture_facts_count_only_what_was_sent(engine: Engine) -> None:
    with transaction(engine) as s:
        customer = add_customer(s, "g")
        for week, kind, status, sent_on in (
            ("2026-W10", "handwritten_note", "sent", date(2026, 3, 5)),
            ("2025-W40", "small_gift", "sent", date(2025, 10, 1)),
            ("2026-W44", "cheer_message", "skipped", date(2026, 10, 28)),
            ("2026-W50", "cheer_message", "planned", None),
        ):
            s.add(
                Gesture(
                    customer_id=customer,
                    week=week,
                    kind=kind,
                    status=status,
                    currency="KRW",
                    sent_at=at(sent_on.isoformat()) if sent_on else None,
                )
            )
    facts = facts_of(engine)["g"]
    assert (facts["gestures_last_365_days"], facts["days_since_last_gesture"], facts["last_gesture_kind"]) == (
        1,
        (AS_OF - date(2026, 3, 5)).days,
        "handwritten_note",
    )


def rfm_of(buyers: dict[int, tuple[int, int, int]]) -> dict[int, tuple[int, int, int, str]]:
    """RFM scores of buyers given as (days since their latest order, orders, spend), as the frame works them out."""
    customers = pl.DataFrame(
        {"customer_id": list(buyers), "external_id": [f"C{c}" for c in buyers], "language": ["ko"] * len(buyers)},
        schema_overrides={"customer_id": pl.Int64},
    ).with_columns(
        pl.lit(None, pl.String).alias("name"),
        pl.lit(None, pl.String).alias("first_name"),
        pl.lit(False).alias("do_not_contact"),
        pl.lit(False).alias("erased"),
        pl.lit(False).alias("has_address"),
        pl.lit(None, pl.Date).alias("birthday"),
    )
    until = end_of_day(AS_OF, SEOUL)
    orders = pl.DataFrame(
        {
            "customer_id": list(buyers),
            "purchases": [orders for _days, orders, _spend in buyers.values()],
            "spent_minor": [spend for _days, _orders, spend in buyers.values()],
            "first_purchase_at": [until - timedelta(days=days + 1) for days, _o, _s in buyers.values()],
            "last_purchase_at": [until - timedelta(days=days, hours=12) for days, _o, _s in buyers.values()],
        },
        schema_overrides={"customer_id": pl.Int64},
    ).with_columns(refunds=pl.lit(0), recent_purchases=pl.lit(0), recent_spent_minor=pl.lit(0))
    empty = {
        name: pl.DataFrame(schema=schema)
        for name, schema in (("feedback", FEEDBACK_SCHEMA), ("gestures", GESTURES_SCHEMA))
    }
    names = ["rfm_recency", "rfm_frequency", "rfm_monetary", "rfm_segment"]
    frame = facts_frame(
        FactTables(customers, orders, empty["feedback"], empty["gestures"]),
        as_of=AS_OF,
        timezone="Asia/Seoul",
        facts=names,
    )
    return {row["customer_id"]: tuple(row[name] for name in names) for row in frame.iter_rows(named=True)}


def test_rfm_scores_and_segments() -> None:
    buyers = {1: (1, 50, 900), 2: (400, 1, 10), 3: (30, 10, 300), 4: (200, 2, 50), 5: (5, 1, 20)}
    assert rfm_of(buyers) == {
        1: (5, 5, 5, "Champions"),
        2: (1, 1, 1, "Lost"),
        3: (3, 4, 4, "Loyal"),
        4: (2, 3, 3, "At Risk"),
        5: (4, 1, 2, "Potential Loyalist"),  # FM = (1 + 2) / 2, rounded half up = 2
    }


@settings(deadline=None)
@given(st.lists(st.integers(min_value=1, max_value=40), min_size=1, max_size=60))
def test_quintile_scores_follow_the_definition_with_ties(values: list[int]) -> None:
    # Each score is 1 + 5 * rank // count, where rank counts the values strictly below.
    scores = rfm_of({row + 1: (3, value, 1000) for row, value in enumerate(values)})
    for row, value in enumerate(values):
        below = sum(1 for other in values if other < value)
        assert scores[row + 1][1] == 1 + 5 * below // len(values)


def test_every_segment_is_reachable() -> None:
    from planner.core.facts import RFM_SEGMENTS

    named = {segment for row in RFM_SEGMENTS.values() for segment in row}
    assert named == {
        "Champions",
        "Loyal",
        "Potential Loyalist",
        "New Customers",
        "Promising",
        "Need Attention",
        "About To Sleep",
        "At Risk",
        "Cannot Lose Them",
        "Hibernating",
        "Lost",
    }
