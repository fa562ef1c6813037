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
import functools
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, bindparam, text

from db.models import FeedbackKind, OrderStatus
from db.money import exponent, from_minor
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
    facts: Mapping[str, object]


# A fact is worked out by one function of "raw" values (what the database aggregated), so a
# whole column (for the rules, over every customer) and one customer's value (for a reason or
# `delight explain`) always agree: a column is ``map(function, *raw columns)``.
Derivation = tuple[tuple[str, ...], Callable[..., object]]


class FactTable:
    """Every customer's facts as columns, each worked out the first time it is asked for.

    Rules read whole columns (``column``), so a plan for 200,000 customers computes only the
    facts its rules use, without a per-customer dictionary; ``profile`` gives one customer.
    Rows are in customer-id order.
    """

    def __init__(
        self,
        identity: dict[str, list],
        raw: dict[str, list | Callable[[], list]],
        derivations: dict[str, Derivation],
        last_items: Callable[[Sequence[int] | None], dict[int, tuple[str, ...]]] | None = None,
        profiles: Sequence[Profile] | None = None,
    ) -> None:
        self.ids: list[int] = identity["customer_id"]
        self.identity = identity
        self._identity_columns = [identity[field] for field in _IDENTITY]
        self._raw = raw
        self._derivations = derivations
        self._columns: dict[str, list] = {}
        self._last_items = last_items
        self._profiles = profiles
        self._index: dict[int, int] | None = None

    @classmethod
    def from_profiles(cls, profiles: Iterable[Profile]) -> FactTable:
        """A table of profiles whose facts are already worked out (tests, small callers)."""
        people = list(profiles)
        identity = {field: [getattr(p, field) for p in people] for field in _IDENTITY}
        raw: dict[str, list | Callable[[], list]] = {
            fact.name: [p.facts.get(fact.name) for p in people] for fact in FACTS
        }
        return cls(identity, raw, {fact.name: ((fact.name,), _same) for fact in FACTS}, profiles=people)

    def __len__(self) -> int:
        return len(self.ids)

    def column(self, name: str) -> list:
        """One fact for every customer, in row order."""
        found = self._columns.get(name)
        if found is None:
            if name == "last_order_items" and self._last_items is not None:
                items = self._last_items(None)
                found = [items.get(customer_id, ()) for customer_id in self.ids]
            else:
                inputs, function = self._derivations[name]
                found = list(map(function, *(self._raw_column(raw) for raw in inputs)))
            self._columns[name] = found
        return found

    def value(self, name: str, row: int) -> object:
        """One fact for the customer in ``row``, without working out the whole column."""
        found = self._columns.get(name)
        if found is not None:
            return found[row]
        if name == "last_order_items" and self._last_items is not None:
            customer_id = self.ids[row]
            return self._last_items([customer_id]).get(customer_id, ())
        inputs, function = self._derivations[name]
        return function(*(self._raw_column(raw)[row] for raw in inputs))

    def row_of(self, customer_id: int) -> int | None:
        if self._index is None:
            self._index = {customer_id: row for row, customer_id in enumerate(self.ids)}
        return self._index.get(customer_id)

    def profile(self, row: int) -> Profile:
        """The customer in ``row``, with facts read from this table as they are used."""
        if self._profiles is not None:
            return self._profiles[row]
        return Profile(*[column[row] for column in self._identity_columns], RowFacts(self, row))

    def _raw_column(self, name: str) -> list:
        found = self._raw[name]
        if callable(found):
            found = self._raw[name] = found()
        return found


_IDENTITY = ("customer_id", "external_id", "name", "first_name", "language", "do_not_contact", "erased", "has_address")


class RowFacts(Mapping[str, object]):
    """One customer's facts, read from a FactTable when asked for."""

    __slots__ = ("_row", "_table")

    def __init__(self, table: FactTable, row: int) -> None:
        self._table, self._row = table, row

    def __getitem__(self, name: str) -> object:
        if name not in FACTS_BY_NAME:
            raise KeyError(name)
        return self._table.value(name, self._row)

    def __iter__(self) -> Iterator[str]:
        return (fact.name for fact in FACTS)

    def __len__(self) -> int:
        return len(FACTS)


def _same(value: object) -> object:
    return value


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

# The items of each customer's latest purchase; ``:only`` limits it to some customers.
_LAST_ITEMS_SQL = """
    SELECT o.customer_id, i.name
    FROM orders o
    JOIN (SELECT customer_id, MAX(placed_at) AS last_at FROM orders
          WHERE status = :paid AND placed_at < :until {only} GROUP BY customer_id) latest
      ON o.customer_id = latest.customer_id AND o.placed_at = latest.last_at
    JOIN order_items i ON i.order_id = o.id
    WHERE o.status = :paid
    ORDER BY o.customer_id, o.id, i.id
"""

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
    SELECT id, external_id, name, first_name, language, do_not_contact,
           erased_at IS NOT NULL,
           address1 IS NOT NULL AND address1 <> '' AND (COALESCE(postal_code, '') <> '' OR COALESCE(city, '') <> ''),
           birthday
    FROM customers
    ORDER BY id
    """
)


def load_fact_table(
    connection: Connection,
    *,
    as_of: date,
    timezone: ZoneInfo,
    currency: str,
    history: Mapping[int, Sequence[PastGesture]],
) -> FactTable:
    """Every customer's facts as of the end of ``as_of`` in the shop's time zone.

    The database aggregates orders in one ``GROUP BY`` pass and feedback in one ordered pass;
    Python turns the aggregates into facts column by column, only for the facts asked for.
    The latest order's items are looked up only when asked for (for a few customers, or all).
    This runs over every customer, so it is written for speed.
    """
    until = end_of_day(as_of, timezone)
    rows = connection.execute(_CUSTOMERS_SQL).all()
    count = len(rows)
    columns = list(zip(*rows, strict=True)) if rows else [()] * 9
    identity = {field: list(values) for field, values in zip(_IDENTITY, columns, strict=False)}
    for flag in ("do_not_contact", "erased", "has_address"):
        identity[flag] = [bool(value) for value in identity[flag]]
    row_of = {customer_id: row for row, customer_id in enumerate(identity["customer_id"])}
    raw: dict[str, list | Callable[[], list]] = {"birthday": list(columns[8]), "language": identity["language"]}
    raw.update(_order_columns(connection, row_of, count, until, timezone))
    raw.update(_feedback_columns(connection, row_of, count, until, timezone))
    gestures: list[dict[str, object] | None] = [None] * count
    for customer_id, past in history.items():
        row = row_of.get(customer_id)
        if row is not None:
            gestures[row] = gesture_facts(past, as_of)
    raw["gestures"] = gestures
    raw["rfm"] = lambda: _rfm_column(raw)

    def last_items(only: Sequence[int] | None) -> dict[int, tuple[str, ...]]:
        return _last_items(connection, until, only)

    return FactTable(identity, raw, _derivations(as_of, currency), last_items=last_items)


def _order_columns(
    connection: Connection, row_of: Mapping[int, int], count: int, until: datetime, timezone: ZoneInfo
) -> dict[str, list]:
    paid = OrderStatus.PAID.value
    names = ("orders", "spent_minor", "first_day", "last_day", "recent_orders", "recent_minor", "refunds")
    columns: dict[str, list] = {name: [0] * count for name in names}
    columns["first_day"] = [None] * count
    columns["last_day"] = [None] * count
    orders, spent, first_day, last_day, recent, recent_minor, refunds = columns.values()
    local_day = LocalDays(timezone)
    parameters = {"since_90": until - timedelta(days=90), "since_365": until - timedelta(days=365), "until": until}
    rows = connection.execute(_ORDERS_SQL, parameters).all()
    for customer_id, status, number, total, first_at, last_at, recent_number, recent_total in rows:
        row = row_of[customer_id]
        if status == paid:
            orders[row], spent[row] = number, int(total)
            first_day[row], last_day[row] = local_day(first_at), local_day(last_at)
            recent[row], recent_minor[row] = recent_number, int(recent_total)
        else:
            refunds[row] += number
    return columns


def _feedback_columns(
    connection: Connection, row_of: Mapping[int, int], count: int, until: datetime, timezone: ZoneInfo
) -> dict[str, list]:
    last_rating: list[int | None] = [None] * count
    complaint_day: list[int | None] = [None] * count
    open_complaint = [False] * count
    local_day = LocalDays(timezone)
    complaint = FeedbackKind.COMPLAINT.value
    for customer_id, kind, rating, received_at, resolved_at in connection.execute(
        _FEEDBACK_SQL, {"until": until}
    ).all():
        row = row_of[customer_id]
        if rating is not None:
            last_rating[row] = int(rating)
        if kind == complaint:
            complaint_day[row] = local_day(received_at)
            if resolved_at is None:
                open_complaint[row] = True
    return {"last_rating": last_rating, "complaint_day": complaint_day, "open_complaint": open_complaint}


def _last_items(connection: Connection, until: datetime, only: Sequence[int] | None) -> dict[int, tuple[str, ...]]:
    """The item names of each customer's latest purchase (of ``only`` these customers, or everyone)."""
    statement = text(_LAST_ITEMS_SQL.format(only="AND customer_id IN :only" if only is not None else ""))
    parameters: dict[str, object] = {"paid": OrderStatus.PAID.value, "until": until}
    statement = statement.bindparams(bindparam("until", type_=UTCDateTime))
    if only is not None:
        statement = statement.bindparams(bindparam("only", expanding=True))
        parameters["only"] = list(only)
    names: dict[str, str] = {}  # one string object per item name, however many customers bought it
    grouped: dict[int, list[str]] = {}
    for customer_id, item_name in connection.execute(statement, parameters):
        grouped.setdefault(customer_id, []).append(names.setdefault(item_name, item_name))
    return {customer_id: tuple(items) for customer_id, items in grouped.items()}


def _rfm_column(raw: Mapping[str, list | Callable[[], list]]) -> list[tuple[int, int, int, str] | None]:
    orders, spent, last_day = raw["orders"], raw["spent_minor"], raw["last_day"]
    assert isinstance(orders, list) and isinstance(spent, list) and isinstance(last_day, list)
    buyers = [row for row, number in enumerate(orders) if number]
    column: list[tuple[int, int, int, str] | None] = [None] * len(orders)
    # The latest order's day ranks buyers exactly as "days since" does, the other way round.
    scores = _rfm([last_day[row] for row in buyers], [orders[row] for row in buyers], [spent[row] for row in buyers])
    for row, score in zip(buyers, scores, strict=True):
        column[row] = score
    return column


def _derivations(as_of: date, currency: str) -> dict[str, Derivation]:
    """How each fact comes from the raw aggregates, as of ``as_of``."""
    today = as_of.toordinal()
    zero = from_minor(0, currency)

    places = -exponent(currency)

    def money(minor: int) -> Decimal:  # from_minor, without looking the currency up 200,000 times
        return Decimal(minor).scaleb(places) if minor else zero

    def days_since(day: int | None) -> int | None:
        return None if day is None else today - day

    @functools.cache
    def until_birthday(birthday: date | str | None) -> int | None:
        day = _as_date(birthday)
        return None if day is None else _days_until_yearly(day, as_of, from_year=as_of.year)

    @functools.cache
    def until_anniversary(first_day: int | None) -> int | None:
        if first_day is None:
            return None
        first = date.fromordinal(first_day)
        return _days_until_yearly(first, as_of, from_year=first.year + 1)

    def rfm(position: int) -> Callable[[tuple | None], object]:
        return lambda scores: None if scores is None else scores[position]

    def gesture(name: str, default: object) -> Callable[[Mapping[str, object] | None], object]:
        return lambda facts: default if facts is None else facts[name]

    return {
        "orders_count": (("orders",), _same),
        "total_spent": (("spent_minor",), money),
        "average_order_value": (
            ("orders", "spent_minor"),
            lambda orders, minor: from_minor(round(minor / orders), currency) if orders else None,
        ),
        "first_order_date": (("first_day",), _to_date),
        "last_order_date": (("last_day",), _to_date),
        "days_since_first_order": (("first_day",), days_since),
        "days_since_last_order": (("last_day",), days_since),
        "orders_last_90_days": (("recent_orders",), _same),
        "spent_last_365_days": (("recent_minor",), money),
        "refunds_count": (("refunds",), _same),
        "days_until_birthday": (("birthday",), until_birthday),
        "days_until_first_order_anniversary": (("first_day",), until_anniversary),
        "last_rating": (("last_rating",), _same),
        "days_since_last_complaint": (("complaint_day",), days_since),
        "has_open_complaint": (("open_complaint",), _same),
        "gestures_last_365_days": (("gestures",), gesture("gestures_last_365_days", 0)),
        "days_since_last_gesture": (("gestures",), gesture("days_since_last_gesture", None)),
        "last_gesture_kind": (("gestures",), gesture("last_gesture_kind", None)),
        "language": (("language",), _same),
        "rfm_recency": (("rfm",), rfm(0)),
        "rfm_frequency": (("rfm",), rfm(1)),
        "rfm_monetary": (("rfm",), rfm(2)),
        "rfm_segment": (("rfm",), rfm(3)),
    }


def _to_date(day: int | None) -> date | None:
    return None if day is None else date.fromordinal(day)


class LocalDays:
    """The shop's calendar day (a date ordinal) of instants the database returns, fast.

    Instants in one UTC hour fall on the same local day unless the day turns within that hour
    (a half-hour offset, a clock change), so the day is kept per hour and worked out exactly
    for the few hours where it turns. PostgreSQL's datetimes are converted directly.
    """

    def __init__(self, timezone: ZoneInfo) -> None:
        self.timezone = timezone
        self.by_hour: dict[str, int] = {}

    def __call__(self, value: datetime | str | None) -> int | None:
        if value is None:
            return None
        if not isinstance(value, str):
            return self.exact(value)
        day = self.by_hour.get(value[:13])
        if day is None:
            day = self.by_hour[value[:13]] = self.hour_day(value[:13])
        return day if day >= 0 else self.exact(value)

    def exact(self, value: datetime | str) -> int:
        return as_utc(value).astimezone(self.timezone).date().toordinal()

    def hour_day(self, hour: str) -> int:
        """The local day of every instant in this UTC hour, or -1 if the day or offset changes in it."""
        utc = datetime.fromisoformat(f"{hour}:00").replace(tzinfo=UTC)
        start = utc.astimezone(self.timezone)
        end = (utc + timedelta(hours=1, microseconds=-1)).astimezone(self.timezone)
        if start.date() != end.date() or start.utcoffset() != end.utcoffset():
            return -1
        return start.date().toordinal()


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
    if not buyers:
        return {}
    days, orders, spent = zip(*buyers.values(), strict=True)
    return dict(zip(buyers, _rfm([-d for d in days], orders, spent), strict=True))  # recent is good


def _rfm(recency: Sequence, frequency: Sequence, monetary: Sequence) -> list[tuple[int, int, int, str]]:
    """(R, F, M, segment) for buyers given as three columns, higher values better in each."""
    return [
        (r, f, m, RFM_SEGMENTS[r][(f + m + 1) // 2 - 1])  # FM: the mean, rounded half up
        for r, f, m in zip(
            map(_quintiles(recency), recency),
            map(_quintiles(frequency), frequency),
            map(_quintiles(monetary), monetary),
            strict=True,
        )
    ]


def _quintiles(values: Sequence) -> Callable[[object], int]:
    """The score of each value among ``values`` (higher is better): ``1 + 5 * rank // count``."""
    scores: dict[object, int] = {}
    count = len(values)
    for rank, value in enumerate(sorted(values)):
        if value not in scores:  # ties share the rank of the first of them
            scores[value] = 1 + 5 * rank // count
    return scores.__getitem__


def as_utc(value: datetime | str) -> datetime:
    """A UTC datetime from what the driver returns (SQLite: text; PostgreSQL: datetime)."""
    if isinstance(value, str):
        return datetime.fromisoformat(value).replace(tzinfo=UTC)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _as_date(value: date | str | None) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(value)
