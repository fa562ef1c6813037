"""Every customer's facts as one polars DataFrame: each fact is one expression, defined here.

The facts (names, types, meanings) are ``planner.core.facts.FACTS``; they are worked out as of the
end of the as-of day in the shop's time zone (``Moments``), from what the store holds: customers,
their orders before that moment counted per customer, and their feedback, sent gestures and the
latest purchase's items as rows (``FactTables``, read by ``db.frames``). Nothing is precomputed
or kept between runs.

The frame has one row per customer, in customer-id order: who they are (``IDENTITY``), then
every fact asked for, null where it cannot be known. Values:

- money facts are whole minor units (Int64) of the shop's currency, so sums stay exact;
  ``with_money`` turns them into exact decimals of the major unit where people read them;
- dates are ``pl.Date`` in the shop's time zone; ``last_order_items`` is a list of text.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import polars as pl

from planner.core.facts import FACTS, FACTS_BY_NAME, RFM_SEGMENTS, FactType, Profile
from planner.core.money import exponent
from planner.core.weeks import end_of_day

RECENT_ORDERS = timedelta(days=90)  # orders_last_90_days
RECENT_SPEND = timedelta(days=365)  # spent_last_365_days
GESTURE_YEAR_DAYS = 365  # gestures_last_365_days
PAID = "paid"  # the one order status that is a purchase
COMPLAINT = "complaint"

MONEY_FACTS = tuple(fact.name for fact in FACTS if fact.type == FactType.MONEY)

_UTC = pl.Datetime("us", "UTC")

# What ``FactTables`` holds, column by column: the contract between the store and the facts.
CUSTOMERS_SCHEMA = {
    "customer_id": pl.Int64,
    "external_id": pl.String,
    "name": pl.String,
    "first_name": pl.String,
    "language": pl.String,
    "do_not_contact": pl.Boolean,
    "erased": pl.Boolean,
    "has_address": pl.Boolean,  # a street line and a postal code or city
    "birthday": pl.Date,
}
ORDER_TOTALS_SCHEMA = {
    "customer_id": pl.Int64,
    "purchases": pl.Int64,  # paid orders
    "spent_minor": pl.Int64,  # their totals
    "first_purchase_at": _UTC,
    "last_purchase_at": _UTC,
    "refunds": pl.Int64,  # orders refunded or cancelled
    "recent_purchases": pl.Int64,  # paid orders at or after Moments.orders_since
    "recent_spent_minor": pl.Int64,  # totals of paid orders at or after Moments.spend_since
}
FEEDBACK_SCHEMA = {
    "customer_id": pl.Int64,
    "feedback_id": pl.Int64,
    "kind": pl.String,
    "rating": pl.Int64,
    "received_at": _UTC,
    "resolved": pl.Boolean,
}
GESTURES_SCHEMA = {"customer_id": pl.Int64, "gesture_id": pl.Int64, "kind": pl.String, "sent_at": _UTC}
LAST_ITEMS_SCHEMA = {"customer_id": pl.Int64, "order_id": pl.Int64, "item_id": pl.Int64, "item": pl.String}


@dataclass(frozen=True)
class Moments:
    """The instants (UTC) the facts as of one day are counted between."""

    until: datetime  # the end of the as-of day in the shop's time zone: only what happened before it counts
    orders_since: datetime  # RECENT_ORDERS before ``until``
    spend_since: datetime  # RECENT_SPEND before ``until``


def moments(as_of: date, timezone: str) -> Moments:
    """The moments of the facts as of the end of ``as_of`` in ``timezone``."""
    until = end_of_day(as_of, ZoneInfo(timezone))
    return Moments(until, until - RECENT_ORDERS, until - RECENT_SPEND)


@dataclass(frozen=True)
class FactTables:
    """What the facts are made from, as the store held it before ``Moments.until`` (see the schemas above).

    ``orders``: one row per customer with orders, their totals. ``feedback``: every feedback row
    received. ``gestures``: every gesture sent. ``last_items``: the items of each customer's latest
    purchase (every paid order at that instant); None when not read.
    """

    customers: pl.DataFrame
    orders: pl.DataFrame
    feedback: pl.DataFrame
    gestures: pl.DataFrame
    last_items: pl.DataFrame | None = None


IDENTITY = ("customer_id", "external_id", "name", "first_name", "greeting", "do_not_contact", "erased", "has_address")
"""The columns before the facts: who the customer is and what the planner checks before any fact.
``greeting`` is what a reason calls them: their first name, else their name (null: neither)."""


def facts_frame(tables: FactTables, *, as_of: date, timezone: str, facts: Iterable[str] | None = None) -> pl.DataFrame:
    """Every customer's facts as of ``as_of`` (or only those named in ``facts``), one row each.

    ``last_order_items`` needs ``tables.last_items``.
    """
    names = [fact.name for fact in FACTS] if facts is None else list(dict.fromkeys(facts))
    unknown = [name for name in names if name not in FACTS_BY_NAME]
    if unknown:
        raise KeyError(f"unknown facts: {', '.join(unknown)}")
    totals = [tables.orders.lazy(), _feedback_totals(tables.feedback.lazy())]
    totals.append(_gesture_totals(tables.gestures.lazy(), as_of, timezone))
    if "last_order_items" in names:
        if tables.last_items is None:
            raise ValueError("last_order_items needs the latest purchases' items (FactTables.last_items)")
        totals.append(latest_items(tables.last_items.lazy()))
    joined = tables.customers.lazy()
    for per_customer in totals:
        joined = joined.join(per_customer, on="customer_id", how="left", maintain_order="left")
    expressions = fact_expressions(as_of)
    greeting = pl.coalesce(_unless_empty("first_name"), _unless_empty("name")).alias("greeting")
    identity = [greeting if column == "greeting" else pl.col(column) for column in IDENTITY]
    chosen = {name: expressions[name] for name in names}
    frame = joined.with_columns(**local_days(timezone)).sort("customer_id").select(*identity, **chosen)
    # 200,000 rows fit in memory many times over: the in-memory engine is quicker here than streaming.
    return frame.collect(engine="in-memory")


def latest_items(last_items: pl.LazyFrame) -> pl.LazyFrame:
    """Per customer: ``items``, the names of the latest purchase's items (``LAST_ITEMS_SCHEMA`` rows), in order."""
    in_order = last_items.sort("customer_id", "order_id", "item_id")
    return in_order.group_by("customer_id", maintain_order=True).agg(items=pl.col("item"))


def local_days(timezone: str) -> dict[str, pl.Expr]:
    """The days (in the shop's time zone) of the instants the facts count from, worked out once
    before the facts (``fact_expressions`` reads them)."""

    def local_day(column: str) -> pl.Expr:
        return pl.col(column).dt.convert_time_zone(timezone).dt.date()

    return {
        "first_day": local_day("first_purchase_at"),
        "last_day": local_day("last_purchase_at"),
        "complaint_day": local_day("last_complaint_at"),
    }


def fact_expressions(as_of: date) -> dict[str, pl.Expr]:
    """Each fact as one polars expression over the customers joined with their totals, as of ``as_of``.

    The columns they read: ``CUSTOMERS_SCHEMA``, ``ORDER_TOTALS_SCHEMA`` (null for customers
    without orders), ``items`` (the latest purchase's items), the feedback and gesture totals
    below (``_feedback_totals``, ``_gesture_totals``) and the ``local_days``.
    """

    def days_since(day: str) -> pl.Expr:
        return (pl.lit(as_of) - pl.col(day)).dt.total_days()

    orders = pl.col("purchases").fill_null(0)
    spent = pl.col("spent_minor").fill_null(0)
    first_day = pl.col("first_day")
    return {
        "orders_count": orders,
        "total_spent": spent,
        "average_order_value": _average(spent, orders),
        "first_order_date": first_day,
        "last_order_date": pl.col("last_day"),
        "days_since_first_order": days_since("first_day"),
        "days_since_last_order": days_since("last_day"),
        "orders_last_90_days": pl.col("recent_purchases").fill_null(0),
        "spent_last_365_days": pl.col("recent_spent_minor").fill_null(0),
        "last_order_items": pl.col("items").fill_null(pl.lit([], dtype=pl.List(pl.String))),
        "refunds_count": pl.col("refunds").fill_null(0),
        "days_until_birthday": _days_until_yearly(pl.col("birthday"), as_of),
        # The first anniversary is a year after the first purchase, never on its day.
        "days_until_first_order_anniversary": _days_until_yearly(
            first_day, as_of, this_year=first_day.dt.year() < as_of.year
        ),
        "last_rating": pl.col("last_rating"),
        "days_since_last_complaint": days_since("complaint_day"),
        "has_open_complaint": pl.col("open_complaints").fill_null(0) > 0,
        "gestures_last_365_days": pl.col("gestures_in_year").fill_null(0),
        "days_since_last_gesture": days_since("last_gesture_day"),
        "last_gesture_kind": pl.col("last_gesture_kind"),
        "language": pl.col("language"),
        **_rfm(orders, spent, pl.col("last_day")),
    }


def _feedback_totals(feedback: pl.LazyFrame) -> pl.LazyFrame:
    """Per customer: the latest rating given, the latest complaint, and complaints not resolved."""
    complaint = pl.col("kind") == COMPLAINT
    # Oldest first: a group keeps the rows' order, so the last rating given is the latest.
    return (
        feedback.sort("received_at", "feedback_id")
        .group_by("customer_id")
        .agg(
            last_rating=pl.col("rating").drop_nulls().last(),
            last_complaint_at=pl.col("received_at").filter(complaint).max(),
            open_complaints=(complaint & ~pl.col("resolved")).sum().cast(pl.Int64),
        )
    )


def _gesture_totals(gestures: pl.LazyFrame, as_of: date, timezone: str) -> pl.LazyFrame:
    """Per customer: gestures sent in the year before ``as_of``, the day and kind of the latest
    (by the moment it was sent; the later-made one of two sent at once)."""
    sent_on = pl.col("sent_at").dt.convert_time_zone(timezone).dt.date()
    year_ago = as_of - timedelta(days=GESTURE_YEAR_DAYS)
    return (
        gestures.sort("sent_at", "gesture_id")
        .group_by("customer_id")
        .agg(
            gestures_in_year=(sent_on > year_ago).sum().cast(pl.Int64),
            last_gesture_day=sent_on.max(),
            last_gesture_kind=pl.col("kind").last(),
        )
    )


def _average(total: pl.Expr, count: pl.Expr) -> pl.Expr:
    """``total / count`` in whole minor units, half to even (as Python's ``round``); null when ``count`` is 0."""
    quotient = total // count
    twice_rest = 2 * (total - quotient * count)
    up = (twice_rest > count) | ((twice_rest == count) & (quotient % 2 == 1))
    return pl.when(count > 0).then(quotient + up.cast(pl.Int64))


def _days_until_yearly(day: pl.Expr, as_of: date, *, this_year: pl.Expr | bool = True) -> pl.Expr:
    """Days from ``as_of`` to the next return of ``day``'s month and day (0 = on ``as_of``), this
    year where ``this_year`` allows, else next year; 29 February falls on 28 February in other years."""
    on_this_year, on_next_year = _on_year(day, as_of.year), _on_year(day, as_of.year + 1)
    next_return = pl.when((on_this_year >= as_of) & this_year).then(on_this_year).otherwise(on_next_year)
    return (next_return - pl.lit(as_of)).dt.total_days()


def _on_year(day: pl.Expr, year: int) -> pl.Expr:
    month, day_of_month = day.dt.month(), day.dt.day()
    if calendar.isleap(year):
        return pl.date(year, month, day_of_month)
    return pl.date(year, month, pl.when((month == 2) & (day_of_month == 29)).then(28).otherwise(day_of_month))


# rfm_segment by recency score and FM score (1-5): key recency * 10 + FM.
_SEGMENTS = {
    recency * 10 + fm: segment for recency, segments in RFM_SEGMENTS.items() for fm, segment in enumerate(segments, 1)
}


def _rfm(orders: pl.Expr, spent: pl.Expr, last_day: pl.Expr) -> dict[str, pl.Expr]:
    """RFM quintiles among buyers: ``1 + 5 * rank // buyers``, where ``rank`` counts the buyers
    strictly worse (so ties share a score: everyone with one order has frequency 1); the segment
    from recency and FM = (frequency + monetary) / 2 rounded half up. Null without purchases."""
    buyer = orders > 0
    buyers = buyer.sum().cast(pl.Int64)

    def quintile(value: pl.Expr) -> pl.Expr:  # higher values are better
        strictly_worse = pl.when(buyer).then(value).rank("min").cast(pl.Int64) - 1
        return 1 + 5 * strictly_worse // buyers

    recency, frequency, monetary = quintile(last_day), quintile(orders), quintile(spent)
    segment = (recency * 10 + (frequency + monetary + 1) // 2).replace_strict(
        _SEGMENTS, default=None, return_dtype=pl.String
    )
    return {"rfm_recency": recency, "rfm_frequency": frequency, "rfm_monetary": monetary, "rfm_segment": segment}


def _unless_empty(column: str) -> pl.Expr:
    return pl.when(pl.col(column) != "").then(pl.col(column))


_DTYPES = {
    FactType.INT: pl.Int64,
    FactType.MONEY: pl.Int64,
    FactType.DATE: pl.Date,
    FactType.TEXT: pl.String,
    FactType.BOOL: pl.Boolean,
    FactType.TEXT_LIST: pl.List(pl.String),
}


def frame_of_facts(customers: Sequence[Mapping[str, object]], currency: str) -> pl.DataFrame:
    """A frame of facts given as values (money as Decimal, lists as tuples), one row per customer:
    what ``facts_frame`` makes, for tests and callers with a few customers at hand."""
    places = exponent(currency)
    columns: dict[str, list] = {}
    for fact in FACTS:
        values = [customer[fact.name] for customer in customers]
        if fact.type == FactType.MONEY:
            values = [None if value is None else _minor(value, places) for value in values]  # type: ignore[arg-type]
        elif fact.type == FactType.TEXT_LIST:
            values = [None if value is None else list(value) for value in values]  # type: ignore[call-overload]
        columns[fact.name] = values
    return pl.DataFrame(columns, schema={fact.name: _DTYPES[fact.type] for fact in FACTS})


def profiles_frame(profiles: Sequence[Profile], currency: str) -> pl.DataFrame:
    """A facts frame (``facts_frame``'s columns, every fact) of customers given as profiles: for
    tests and callers with a few customers at hand."""
    identity = pl.DataFrame(
        {
            "customer_id": [p.customer_id for p in profiles],
            "external_id": [p.external_id for p in profiles],
            "name": [p.name for p in profiles],
            "first_name": [p.first_name for p in profiles],
            "greeting": [p.first_name or p.name or None for p in profiles],
            "do_not_contact": [p.do_not_contact for p in profiles],
            "erased": [p.erased for p in profiles],
            "has_address": [p.has_address for p in profiles],
        },
        schema={
            "customer_id": pl.Int64,
            "external_id": pl.String,
            "name": pl.String,
            "first_name": pl.String,
            "greeting": pl.String,
            "do_not_contact": pl.Boolean,
            "erased": pl.Boolean,
            "has_address": pl.Boolean,
        },
    )
    facts = [{**{fact.name: None for fact in FACTS}, **p.facts} for p in profiles]
    return identity.hstack(frame_of_facts(facts, currency))


def _minor(amount: Decimal, places: int) -> int:
    minor = amount.scaleb(places)
    if minor != minor.to_integral_value():
        raise ValueError(f"{amount} has more decimal places than the currency ({places})")
    return int(minor)


def with_money(frame: pl.DataFrame, currency: str) -> pl.DataFrame:
    """``frame`` with its money facts as exact decimals of the currency's major unit (1250 → 12.50 USD)."""
    places = exponent(currency)
    money = [name for name in MONEY_FACTS if name in frame.columns]
    return frame.with_columns(pl.col(money).cast(pl.Decimal(38, places)) / 10**places)
