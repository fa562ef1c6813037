"""Customer facts: the one documented place where every fact rules can use is defined.

A fact is a value about one customer as of a date (the *as-of* date, by default the
Monday of the planned week in the shop's time zone). Rules refer to facts by these
names. A fact that cannot be known (no orders yet, no birthday on file) is ``None``;
a comparison with a missing fact is false.

Money facts are ``decimal.Decimal`` in the shop's currency's major unit (won, dollars).
Refunded and cancelled orders are not purchases: they count only in ``refunds_count``.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, bindparam, text

from db.models import FeedbackKind, OrderStatus
from db.money import from_minor
from db.types import UTCDateTime
from planner.weeks import end_of_day


class FactType(enum.Enum):
    """The type of a fact, as the rules language sees it."""

    INT = "whole number"
    MONEY = "amount"
    DATE = "date"
    TEXT = "text"
    BOOL = "true/false"
    TEXT_LIST = "list of text"


@dataclass(frozen=True)
class Fact:
    """One fact: its name in rules, its type, whether it can be missing, and what it means."""

    name: str
    type: FactType
    nullable: bool
    description: str


FACTS: tuple[Fact, ...] = (
    Fact("orders_count", FactType.INT, False, "Purchases (paid orders) up to the as-of date."),
    Fact("total_spent", FactType.MONEY, False, "Sum of purchase totals."),
    Fact("average_order_value", FactType.MONEY, True, "total_spent / orders_count."),
    Fact("first_order_date", FactType.DATE, True, "Date of the first purchase."),
    Fact("last_order_date", FactType.DATE, True, "Date of the latest purchase."),
    Fact("days_since_first_order", FactType.INT, True, "Days from the first purchase to the as-of date."),
    Fact("days_since_last_order", FactType.INT, True, "Days from the latest purchase to the as-of date."),
    Fact("orders_last_90_days", FactType.INT, False, "Purchases in the 90 days before the as-of date."),
    Fact("spent_last_365_days", FactType.MONEY, False, "Purchase totals in the 365 days before the as-of date."),
    Fact("last_order_items", FactType.TEXT_LIST, False, "Item names of the latest purchase."),
    Fact("refunds_count", FactType.INT, False, "Orders refunded or cancelled."),
    Fact(
        "days_until_birthday",
        FactType.INT,
        True,
        "Days from the as-of date to the next birthday (0 = today).",
    ),
    Fact(
        "days_until_first_order_anniversary",
        FactType.INT,
        True,
        "Days to the next anniversary (1st, 2nd, ...) of the first purchase.",
    ),
    Fact("last_rating", FactType.INT, True, "Rating (1-5) of the customer's latest rated feedback."),
    Fact("days_since_last_complaint", FactType.INT, True, "Days since the latest complaint was received."),
    Fact("has_open_complaint", FactType.BOOL, False, "A complaint that has not been resolved."),
    Fact("gestures_last_365_days", FactType.INT, False, "Gestures sent in the 365 days before the as-of date."),
    Fact("days_since_last_gesture", FactType.INT, True, "Days since the latest gesture was sent."),
    Fact("last_gesture_kind", FactType.TEXT, True, "Kind of the latest gesture sent."),
    Fact("language", FactType.TEXT, False, "Preferred language: 'ko' or 'en'."),
    Fact("rfm_recency", FactType.INT, True, "Recency quintile 1-5 (5 = most recent) among buyers."),
    Fact("rfm_frequency", FactType.INT, True, "Frequency quintile 1-5 (5 = most orders) among buyers."),
    Fact("rfm_monetary", FactType.INT, True, "Monetary quintile 1-5 (5 = highest spend) among buyers."),
    Fact("rfm_segment", FactType.TEXT, True, "RFM segment name (see README), none without purchases."),
)

FACTS_BY_NAME: dict[str, Fact] = {fact.name: fact for fact in FACTS}


# --- Computing the facts ------------------------------------------------------------------

RFM_SEGMENTS: dict[int, tuple[str, str, str, str, str]] = {
    # recency score → segment by FM score 1..5, where FM = round-half-up((frequency + monetary) / 2)
    5: ("New Customers", "Potential Loyalist", "Loyal", "Champions", "Champions"),
    4: ("Promising", "Potential Loyalist", "Loyal", "Loyal", "Champions"),
    3: ("About To Sleep", "Need Attention", "Need Attention", "Loyal", "Loyal"),
    2: ("Hibernating", "About To Sleep", "At Risk", "At Risk", "Cannot Lose Them"),
    1: ("Lost", "Hibernating", "At Risk", "Cannot Lose Them", "Cannot Lose Them"),
}


@dataclass(frozen=True)
class PastGesture:
    """A gesture already in the store, as the planner and facts see it."""

    customer_id: int
    week: str
    kind: str
    status: str
    template: str | None
    sent_on: date | None


@dataclass(slots=True)
class Profile:
    """One customer as the planner sees them: who they are, what may be done, and their facts."""

    customer_id: int
    external_id: str
    name: str | None
    first_name: str | None
    language: str
    do_not_contact: bool
    erased: bool
    has_address: bool
    facts: dict[str, object]


# Grouped by (customer, status) so it follows the covering index with no sort; the
# paid row gives the purchase facts and the other rows count refunds and cancellations.
_ORDERS_SQL = text(
    """
    SELECT customer_id, status, COUNT(*), SUM(total_minor), MIN(placed_at), MAX(placed_at),
           SUM(CASE WHEN placed_at >= :since_90 THEN 1 ELSE 0 END),
           SUM(CASE WHEN placed_at >= :since_365 THEN total_minor ELSE 0 END)
    FROM orders
    WHERE placed_at < :until
    GROUP BY customer_id, status
    """
).bindparams(
    bindparam("since_90", type_=UTCDateTime),
    bindparam("since_365", type_=UTCDateTime),
    bindparam("until", type_=UTCDateTime),
)

_LAST_ITEMS_SQL = text(
    """
    SELECT o.customer_id, i.name
    FROM orders o
    JOIN (SELECT customer_id, MAX(placed_at) AS last_at FROM orders
          WHERE status = :paid AND placed_at < :until GROUP BY customer_id) latest
      ON o.customer_id = latest.customer_id AND o.placed_at = latest.last_at
    JOIN order_items i ON i.order_id = o.id
    WHERE o.status = :paid
    ORDER BY o.customer_id, o.id, i.id
    """
).bindparams(bindparam("until", type_=UTCDateTime))

_FEEDBACK_SQL = text(
    """
    SELECT customer_id, kind, rating, received_at, resolved_at
    FROM feedback
    WHERE received_at < :until
    ORDER BY customer_id, received_at, id
    """
).bindparams(bindparam("until", type_=UTCDateTime))

_CUSTOMERS_SQL = text(
    """
    SELECT id, external_id, name, first_name, language, birthday, do_not_contact,
           erased_at IS NOT NULL,
           address1 IS NOT NULL AND address1 <> '' AND (COALESCE(postal_code, '') <> '' OR COALESCE(city, '') <> '')
    FROM customers
    ORDER BY id
    """
)


def load_profiles(
    connection: Connection,
    *,
    as_of: date,
    timezone: ZoneInfo,
    currency: str,
    history: Mapping[int, Sequence[PastGesture]],
    with_last_items: bool = True,
) -> Iterator[Profile]:
    """Every customer's facts as of the end of ``as_of`` in the shop's time zone, one at a time.

    Orders are aggregated by the database in one ``GROUP BY`` pass; Python derives dates,
    RFM scores and the gesture facts from ``history``. Customers are streamed, so a caller
    that keeps only the profiles it needs keeps memory flat. ``with_last_items=False`` skips
    the second pass that finds the latest order's items (when no rule needs them).
    This runs over every customer, so the loop is written for speed.
    """
    until = end_of_day(as_of, timezone)
    paid = OrderStatus.PAID.value
    purchases: dict[int, tuple[int, int, date, date, int, int]] = {}
    refunds: dict[int, int] = {}
    for customer_id, status, count, total_minor, first_at, last_at, recent_count, recent_minor in connection.execute(
        _ORDERS_SQL, {"since_90": until - timedelta(days=90), "since_365": until - timedelta(days=365), "until": until}
    ):
        if status == paid:
            purchases[customer_id] = (
                int(count),
                int(total_minor),
                as_utc(first_at).astimezone(timezone).date(),
                as_utc(last_at).astimezone(timezone).date(),
                int(recent_count),
                int(recent_minor),
            )
        else:
            refunds[customer_id] = refunds.get(customer_id, 0) + int(count)
    rfm = rfm_scores({cid: ((as_of - bought[3]).days, bought[0], bought[1]) for cid, bought in purchases.items()})
    last_items: dict[int, tuple[str, ...]] = {}
    if with_last_items:
        names: dict[str, str] = {}  # one string object per item name, however many customers bought it
        grouped: dict[int, list[str]] = {}
        for customer_id, item_name in connection.execute(_LAST_ITEMS_SQL, {"paid": paid, "until": until}):
            grouped.setdefault(customer_id, []).append(names.setdefault(item_name, item_name))
        last_items = {customer_id: tuple(items) for customer_id, items in grouped.items()}
    feedback = _feedback_facts(connection, until, as_of, timezone)
    zero = from_minor(0, currency)
    no_rfm = (None, None, None, None)
    customers = connection.execute(_CUSTOMERS_SQL.execution_options(yield_per=5_000))
    for customer_id, external_id, name, first_name, language, birthday, dnc, erased, has_address in customers:
        bought = purchases.get(customer_id)
        if bought is None:
            count = total_minor = recent_count = recent_minor = 0
            first_date = last_date = None
        else:
            count, total_minor, first_date, last_date, recent_count, recent_minor = bought
        recency, frequency, monetary, segment = rfm.get(customer_id, no_rfm)
        said = feedback.get(customer_id, _NO_FEEDBACK)
        past = history.get(customer_id)
        gestures = gesture_facts(past, as_of) if past else _NO_GESTURES
        facts = {
            "orders_count": count,
            "total_spent": from_minor(total_minor, currency) if count else zero,
            "average_order_value": from_minor(round(total_minor / count), currency) if count else None,
            "first_order_date": first_date,
            "last_order_date": last_date,
            "days_since_first_order": (as_of - first_date).days if first_date else None,
            "days_since_last_order": (as_of - last_date).days if last_date else None,
            "orders_last_90_days": recent_count,
            "spent_last_365_days": from_minor(recent_minor, currency) if recent_minor else zero,
            "last_order_items": last_items.get(customer_id, ()),
            "refunds_count": refunds.get(customer_id, 0),
            "days_until_birthday": (
                None if birthday is None else _days_until_yearly(_as_date(birthday), as_of, from_year=as_of.year)
            ),
            "days_until_first_order_anniversary": (
                None if first_date is None else _days_until_yearly(first_date, as_of, from_year=first_date.year + 1)
            ),
            "last_rating": said["last_rating"],
            "days_since_last_complaint": said["days_since_last_complaint"],
            "has_open_complaint": said["has_open_complaint"],
            "gestures_last_365_days": gestures["gestures_last_365_days"],
            "days_since_last_gesture": gestures["days_since_last_gesture"],
            "last_gesture_kind": gestures["last_gesture_kind"],
            "language": language,
            "rfm_recency": recency,
            "rfm_frequency": frequency,
            "rfm_monetary": monetary,
            "rfm_segment": segment,
        }
        yield Profile(
            customer_id, external_id, name, first_name, language, bool(dnc), bool(erased), bool(has_address), facts
        )


_NO_FEEDBACK: dict[str, object] = {"last_rating": None, "days_since_last_complaint": None, "has_open_complaint": False}
_NO_GESTURES: dict[str, object] = {
    "gestures_last_365_days": 0,
    "days_since_last_gesture": None,
    "last_gesture_kind": None,
}


def _feedback_facts(
    connection: Connection, until: datetime, as_of: date, timezone: ZoneInfo
) -> dict[int, dict[str, object]]:
    facts: dict[int, dict[str, object]] = {}
    for customer_id, kind, rating, received_at, resolved_at in connection.execute(_FEEDBACK_SQL, {"until": until}):
        mine = facts.setdefault(customer_id, dict(_NO_FEEDBACK))
        if rating is not None:
            mine["last_rating"] = int(rating)
        if kind == FeedbackKind.COMPLAINT:
            received_on = as_utc(received_at).astimezone(timezone).date()
            mine["days_since_last_complaint"] = (as_of - received_on).days
            if resolved_at is None:
                mine["has_open_complaint"] = True
    return facts


def gesture_facts(history: Iterable[PastGesture], as_of: date) -> dict[str, object]:
    """The gesture facts from a customer's past gestures; only gestures sent count."""
    sent = sorted((g for g in history if g.status == "sent" and g.sent_on and g.sent_on <= as_of), key=_sent_on)
    year_ago = as_of - timedelta(days=365)
    latest = sent[-1] if sent else None
    return {
        "gestures_last_365_days": sum(1 for g in sent if _sent_on(g) > year_ago),
        "days_since_last_gesture": (as_of - _sent_on(latest)).days if latest else None,
        "last_gesture_kind": latest.kind if latest else None,
    }


def _sent_on(gesture: PastGesture) -> date:
    assert gesture.sent_on is not None  # callers filter unsent gestures out
    return gesture.sent_on


def _days_until_yearly(day: date, as_of: date, *, from_year: int) -> int:
    """Days from ``as_of`` to the next return of ``day``'s month and day, in ``from_year`` or later.

    29 February falls on 28 February in other years.
    """
    year = max(as_of.year, from_year)
    while True:
        candidate = _on_year(day, year)
        if candidate >= as_of:
            return (candidate - as_of).days
        year += 1


def _on_year(day: date, year: int) -> date:
    try:
        return day.replace(year=year)
    except ValueError:  # 29 February in a year without one
        return date(year, 2, 28)


def rfm_scores(buyers: Mapping[int, tuple[int, int, object]]) -> dict[int, tuple[int, int, int, str]]:
    """RFM quintiles (1-5) and segment for each buyer, from (days since last order, orders, spend).

    A score is ``1 + 5 * rank // buyers``, where rank counts buyers strictly worse, so ties
    share a score: the many customers with one order all get frequency 1.
    """
    count = len(buyers)
    scores: dict[int, list[int]] = {customer_id: [0, 0, 0] for customer_id in buyers}
    columns = (
        sorted((-days, customer_id) for customer_id, (days, _, _) in buyers.items()),  # recent is good
        sorted((orders, customer_id) for customer_id, (_, orders, _) in buyers.items()),
        sorted((spent, customer_id) for customer_id, (_, _, spent) in buyers.items()),
    )
    for position, ranked in enumerate(columns):
        tie_start, previous = 0, None
        for rank, (value, customer_id) in enumerate(ranked):
            if value != previous:
                tie_start, previous = rank, value
            scores[customer_id][position] = 1 + 5 * tie_start // count
    return {
        customer_id: (r, f, m, RFM_SEGMENTS[r][(f + m + 1) // 2 - 1])  # FM: the mean, rounded half up
        for customer_id, (r, f, m) in scores.items()
    }


def as_utc(value: datetime | str) -> datetime:
    """A UTC datetime from what the driver returns (SQLite: text; PostgreSQL: datetime)."""
    if isinstance(value, str):
        return datetime.fromisoformat(value).replace(tzinfo=UTC)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _as_date(value: date | str | None) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(value)
