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
import json
import math
import operator
from bisect import bisect_left
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from itertools import compress
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, TextClause, bindparam, text

from db.engine import fetch_all
from db.models import OrderStatus
from db.money import exponent, from_minor
from db.summaries import read_summaries
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
    gift: str | None = None  # the gift it carried, so nobody gets the same gift twice


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


# A fact is worked out by one function of whole "raw" columns (what the database aggregated),
# so a column for every customer (for the rules), for some (a rule's later part) and one
# customer's value (for a reason or `delight explain`: one-row columns) always agree.
Derivation = tuple[tuple[str, ...], Callable[..., list]]

# Facts the database looks up customer by customer, only for the customers a rule or a reason
# gets to; every other fact comes from the customer summaries, for everyone at once. Rules
# test these last in a chain of ``and``/``or``, so they are looked up for as few as possible.
LOOKED_UP = frozenset({"orders_last_90_days", "spent_last_365_days", "last_order_items"})
LOOKUP_BATCH = 5_000  # customer ids per query
FEW = 2  # rows are "few" below half the table: their facts are worked out for them alone

# How dear each fact is to work out for every customer, so a chain of conditions can test the
# cheap ones first: 0 read as stored, 1 worked out per customer, 2 also needs every buyer's
# ranking (RFM), 3 looked up in the database customer by customer.
COST: dict[str, int] = {
    **dict.fromkeys(
        ("orders_count", "total_spent", "refunds_count", "last_rating", "has_open_complaint", "language"), 0
    ),
    **dict.fromkeys(("rfm_recency", "rfm_frequency", "rfm_monetary", "rfm_segment"), 2),
    **dict.fromkeys(LOOKED_UP, 3),
}


class RowSource:
    """Values the database looks up for some customers only, each the first time it is needed.

    ``fetch(customer_ids)`` returns ``{customer_id: value}`` for those customers (``None``: for
    everyone); customers it leaves out get ``default``. ``settle(rows)``, when given, says what
    is already known without a lookup: the value for each row, or ``LOOK_UP``.
    """

    def __init__(
        self,
        ids: list[int],
        fetch: Callable[[Sequence[int] | None], Mapping[int, object]],
        default: object,
        settle: Callable[[list[int]], list] | None = None,
    ) -> None:
        self._ids, self._fetch, self._default, self._settle = ids, fetch, default, settle
        self._found: dict[int, object] = {}  # by row
        self._everyone: list | None = None

    def values(self, rows: Sequence[int]) -> list:
        if self._everyone is not None:
            return [self._everyone[row] for row in rows]
        found, ids = self._found, self._ids
        missing = [row for row in dict.fromkeys(rows) if row not in found]
        if self._settle is not None and missing:
            settled = self._settle(missing)
            found.update((row, value) for row, value in zip(missing, settled, strict=True) if value is not LOOK_UP)
            missing = list(compress(missing, (value is LOOK_UP for value in settled)))
        for start in range(0, len(missing), LOOKUP_BATCH):
            batch = missing[start : start + LOOKUP_BATCH]
            fetched = self._fetch([ids[row] for row in batch])
            for row in batch:
                found[row] = fetched.get(ids[row], self._default)
        return [found[row] for row in rows]

    def everyone(self) -> list:
        if self._everyone is None:
            fetched = self._fetch(None)
            self._everyone = [fetched.get(customer_id, self._default) for customer_id in self._ids]
        return self._everyone


LOOK_UP = object()  # what ``RowSource``'s ``settle`` gives for a value only a lookup can tell


class FactTable:
    """Every customer's facts as columns, each worked out the first time it is asked for.

    Rules read whole columns (``column``) or some rows of them (``select``), so a plan for
    200,000 customers computes only the facts its rules use, without a per-customer
    dictionary; ``profile`` gives one customer. Rows are in customer-id order.
    ``identity`` holds, for every row, what the planner checks before any fact: customer_id,
    language, do_not_contact, erased and has_address; and the greeting a reason calls them by.
    """

    def __init__(
        self,
        identity: dict[str, list],
        raw: dict[str, list | Callable[[], list]],
        derivations: dict[str, Derivation],
        sources: dict[str, RowSource],
        profiles: Sequence[Profile] | None = None,
    ) -> None:
        self.ids: list[int] = identity["customer_id"]
        self.identity = identity
        self._raw = raw
        self._derivations = derivations
        self._sources = sources  # raw values looked up per customer; "people": (external_id, name, first_name)
        self._columns: dict[str, list] = {}
        self._profiles = profiles
        self._index: dict[int, int] | None = None

    @classmethod
    def from_profiles(cls, profiles: Iterable[Profile]) -> FactTable:
        """A table of profiles whose facts are already worked out (tests, small callers)."""
        people = list(profiles)
        identity = {field: [getattr(p, field) for p in people] for field in _IDENTITY}
        identity["greeting"] = [p.first_name or p.name or None for p in people]
        raw: dict[str, list | Callable[[], list]] = {
            fact.name: [p.facts.get(fact.name) for p in people] for fact in FACTS
        }
        names = {p.customer_id: (p.external_id, p.name, p.first_name) for p in people}
        sources = {"people": RowSource(identity["customer_id"], lambda _only: names, None)}
        derivations: dict[str, Derivation] = {fact.name: ((fact.name,), _same) for fact in FACTS}
        return cls(identity, raw, derivations, sources, profiles=people)

    def __len__(self) -> int:
        return len(self.ids)

    def column(self, name: str) -> list:
        """One fact for every customer, in row order."""
        found = self._columns.get(name)
        if found is None:
            inputs, function = self._derivations[name]
            found = self._columns[name] = function(*(self._everyone(raw) for raw in inputs))
        return found

    def column_at(self, name: str, rows: Sequence[int]) -> list:
        """One fact for the customers in ``rows``: worked out (or looked up) for them only when
        they are few, else for everyone once and kept for the next rule."""
        found = self._columns.get(name)
        if found is None:
            inputs, function = self._derivations[name]
            if len(rows) * FEW < len(self.ids) or any(raw in self._sources for raw in inputs):
                return function(*(self._at(raw, rows) for raw in inputs))
            found = self.column(name)
        return list(map(found.__getitem__, rows))

    def select(self, rows: Sequence[int]) -> FactRows:
        """Some rows of this table, as columns: what the right side of an ``and`` is tested on."""
        return FactRows(self, rows)

    def value(self, name: str, row: int) -> object:
        """One fact for the customer in ``row``, without working out the whole column."""
        found = self._columns.get(name)
        if found is not None:
            return found[row]
        inputs, function = self._derivations[name]
        return function(*(self._at(raw, (row,)) for raw in inputs))[0]

    def prefetch(self, rows: Sequence[int], names: Iterable[str]) -> None:
        """Look these facts (and ``people``: names) up for these rows at once, before using them one by one."""
        for name in names:
            inputs = ("people",) if name == "people" else self._derivations[name][0]
            for raw in inputs:
                if raw in self._sources:
                    self._sources[raw].values(rows)

    def person(self, row: int) -> tuple[str, str | None, str | None]:
        """(external_id, name, first_name) of the customer in ``row``."""
        return self._sources["people"].values((row,))[0]

    def greetings(self, rows: Sequence[int]) -> list[str | None]:
        """What a reason calls the customers in ``rows``: their first name, else their name (None: neither)."""
        greeting = self.identity["greeting"]
        return [greeting[row] for row in rows]

    def people(self) -> list[tuple[str, str | None, str | None]]:
        """(external_id, name, first_name) of every customer, in row order."""
        return self._sources["people"].everyone()

    def row_of(self, customer_id: int) -> int | None:
        if self._index is None:
            self._index = {customer_id: row for row, customer_id in enumerate(self.ids)}
        return self._index.get(customer_id)

    def profile(self, row: int) -> Profile:
        """The customer in ``row``, with facts read from this table as they are used."""
        if self._profiles is not None:
            return self._profiles[row]
        identity = self.identity
        external_id, name, first_name = self.person(row)
        return Profile(
            self.ids[row],
            external_id,
            name,
            first_name,
            identity["language"][row],
            bool(identity["do_not_contact"][row]),
            bool(identity["erased"][row]),
            bool(identity["has_address"][row]),
            RowFacts(self, row),
        )

    def _at(self, raw: str, rows: Sequence[int]) -> list:
        source = self._sources.get(raw)
        if source is not None:
            return source.values(rows)
        values = self._raw_column(raw)
        return [values[row] for row in rows]

    def _everyone(self, raw: str) -> list:
        source = self._sources.get(raw)
        return source.everyone() if source is not None else self._raw_column(raw)

    def _raw_column(self, name: str) -> list:
        found = self._raw[name]
        if callable(found):
            found = self._raw[name] = found()
        return found


class FactRows:
    """Some rows of a ``FactTable``, read as columns."""

    __slots__ = ("rows", "table")

    def __init__(self, table: FactTable, rows: Sequence[int]) -> None:
        self.table, self.rows = table, rows

    def __len__(self) -> int:
        return len(self.rows)

    def column(self, name: str) -> list:
        return self.table.column_at(name, self.rows)

    def select(self, positions: Sequence[int]) -> FactRows:
        return FactRows(self.table, list(map(self.rows.__getitem__, positions)))


_IDENTITY = ("customer_id", "language", "do_not_contact", "erased", "has_address")


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


def _same(column: list) -> list:
    """A fact stored as it is: the raw column itself, not a copy."""
    return column


# A customer's purchases since a moment (90 or 365 days before the as-of moment), counted or
# summed, read through the covering index on (customer_id, status, placed_at, total_minor).
_WINDOW_SQL = """
    SELECT customer_id, {aggregate}
    FROM orders
    WHERE status = :paid AND placed_at >= :since AND placed_at < :until {{only}}
    GROUP BY customer_id
"""

# The items of each customer's latest purchase.
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

_PEOPLE_SQL = "SELECT id, external_id, name, first_name FROM customers WHERE 1 = 1 {only}"


def load_fact_table(
    connection: Connection,
    *,
    as_of: date,
    timezone: ZoneInfo,
    currency: str,
    history: Mapping[int, Sequence[PastGesture]],
) -> FactTable:
    """Every customer's facts as of the end of ``as_of`` in the shop's time zone.

    Most facts come from the customer summaries (``db.summaries``), read for everyone at once;
    Python turns them into facts column by column, only for the facts asked for. The facts in
    ``LOOKED_UP`` and customers' names are looked up only for the customers that need them.
    This runs over every customer, so it is written for speed.
    """
    until = end_of_day(as_of, timezone)
    summary = read_summaries(connection, until)
    ids = summary["customer_id"]
    identity = {
        "customer_id": ids,
        **{field: summary[field] for field in _IDENTITY[1:]},
        "greeting": summary["greeting"],
    }
    local = LocalDays(timezone)
    last_day = functools.cache(lambda: local.column(summary["last_purchase_epoch"]))
    raw: dict[str, list | Callable[[], list]] = {
        "language": summary["language"],
        "birthday": summary["birthday"],
        "orders": summary["purchases"],
        "spent_minor": summary["spent_minor"],
        "refunds": summary["refunds"],
        "last_rating": summary["last_rating"],
        "open_complaints": summary["open_complaints"],
        "first_day": lambda: local.column(summary["first_purchase_epoch"]),
        "last_day": last_day,
        "complaint_day": lambda: local.column(summary["last_complaint_epoch"]),
        "gestures": lambda: _gesture_column(ids, history, as_of),
    }

    @functools.cache
    def rfm_thresholds() -> tuple[list, list, list]:
        orders = summary["purchases"]
        # The latest order's day ranks buyers exactly as "days since" does, the other way round.
        columns = (last_day(), orders, summary["spent_minor"])
        recency, frequency, monetary = (_thresholds(list(compress(column, orders))) for column in columns)
        return recency, frequency, monetary

    paid = OrderStatus.PAID.value

    def window(days: int, aggregate: str, total: str) -> RowSource:
        """The count or sum (``aggregate``) of purchases in the last ``days``, looked up only where
        the first and latest purchase do not settle it: none in the window, or all of them."""
        since = until - timedelta(days=days)
        sql, parameters = _WINDOW_SQL.format(aggregate=aggregate), {"paid": paid, "since": since, "until": until}

        def fetch(only: Sequence[int] | None) -> dict[int, int]:
            return {
                customer_id: int(value)
                for customer_id, value in _select_for(connection, sql, parameters, "customer_id", only)
            }

        # Summaries keep whole seconds, rounded down: these say "all" or "none" only when sure.
        since_epoch = (since - datetime(1970, 1, 1, tzinfo=UTC)).total_seconds()
        after, before = math.ceil(since_epoch), math.floor(since_epoch)
        firsts, lasts, totals = summary["first_purchase_epoch"], summary["last_purchase_epoch"], summary[total]

        def settle(rows: list[int]) -> list:
            return [
                0 if (last := lasts[row]) is None or last < before else totals[row] if firsts[row] >= after else LOOK_UP
                for row in rows
            ]

        return RowSource(ids, fetch, 0, settle)

    def fetch_last_items(only: Sequence[int] | None) -> dict[int, tuple[str, ...]]:
        names: dict[str, str] = {}  # one string object per item name, however many customers bought it
        grouped: dict[int, list[str]] = {}
        parameters = {"paid": paid, "until": until}
        for customer_id, item_name in _select_for(connection, _LAST_ITEMS_SQL, parameters, "customer_id", only):
            grouped.setdefault(customer_id, []).append(names.setdefault(item_name, item_name))
        return {customer_id: tuple(items) for customer_id, items in grouped.items()}

    def fetch_people(only: Sequence[int] | None) -> dict[int, tuple[str, str | None, str | None]]:
        rows = _select_for(connection, _PEOPLE_SQL, {}, "id", only)
        return {customer_id: (external_id, name, first) for customer_id, external_id, name, first in rows}

    sources = {
        "orders_90": window(90, "COUNT(*)", "purchases"),
        "spent_365": window(365, "SUM(total_minor)", "spent_minor"),
        "last_items": RowSource(ids, fetch_last_items, ()),
        "people": RowSource(ids, fetch_people, None),
    }
    return FactTable(identity, raw, _derivations(as_of, currency, rfm_thresholds), sources)


def _select_for(
    connection: Connection, sql: str, parameters: Mapping[str, object], column: str, only: Sequence[int] | None
) -> list:
    """Run ``sql`` for the customers ``only`` lists (its ``{only}`` filters ``column``), or for everyone.

    The ids go to the database as one parameter (a JSON array on SQLite, an array on PostgreSQL):
    thousands of separate parameters cost more to send than the lookups themselves.
    """
    if only is None:
        return fetch_all(connection, _statement(sql, ""), parameters)
    if connection.dialect.name == "sqlite":
        where, ids = f"AND {column} IN (SELECT value FROM json_each(:only))", json.dumps(list(only))
    else:
        where, ids = f"AND {column} = ANY(:only)", list(only)
    return fetch_all(connection, _statement(sql, where), {**parameters, "only": ids})


@functools.cache
def _statement(sql: str, only: str) -> TextClause:
    statement = text(sql.format(only=only))
    return statement.bindparams(
        *(bindparam(name, type_=UTCDateTime) for name in ("until", "since") if f":{name}" in sql)
    )


def _gesture_column(
    ids: list[int], history: Mapping[int, Sequence[PastGesture]], as_of: date
) -> list[dict[str, object] | None]:
    column: list[dict[str, object] | None] = [None] * len(ids)
    if history:
        row_of = {customer_id: row for row, customer_id in enumerate(ids)}
        for customer_id, past in history.items():
            row = row_of.get(customer_id)
            if row is not None:
                column[row] = gesture_facts(past, as_of)
    return column


def _derivations(
    as_of: date, currency: str, rfm_thresholds: Callable[[], tuple[list, list, list]]
) -> dict[str, Derivation]:
    """How each fact's column comes from the raw aggregates' columns, as of ``as_of``.

    ``rfm_thresholds`` gives the recency (latest order's day), frequency and monetary values
    where buyers' scores step up (see ``_thresholds``). Each is one comprehension over the
    columns: a function call per customer would cost more than the fact itself.
    """
    today = as_of.toordinal()
    zero = from_minor(0, currency)
    places = -exponent(currency)

    def money(minors: list[int]) -> list[Decimal]:  # from_minor, without looking the currency up each time
        return [Decimal(minor).scaleb(places) if minor else zero for minor in minors]

    def average(orders: list[int], minors: list[int]) -> list[Decimal | None]:
        return [from_minor(round(minor / n), currency) if n else None for n, minor in zip(orders, minors, strict=True)]

    def days_since(days: list[int | None]) -> list[int | None]:
        return [None if day is None else today - day for day in days]

    def dates(days: list[int | None]) -> list[date | None]:
        return [None if day is None else date.fromordinal(day) for day in days]

    @functools.cache
    def until_month_day() -> dict[str, int]:  # "MM-DD" → days; 2000 had a 29 February
        days = range(date(2000, 1, 1).toordinal(), date(2001, 1, 1).toordinal())
        month_days = (date.fromordinal(day) for day in days)
        return {f"{d:%m-%d}": _days_until_yearly(d, as_of, from_year=as_of.year) for d in month_days}

    def until_birthday(birthdays: list[date | str | None]) -> list[int | None]:
        # Many customers share a birthday: each distinct one is worked out once. str() of a date
        # or of a stored "YYYY-MM-DD" is the ISO form.
        month_days = until_month_day()
        days = {birthday: month_days[str(birthday)[5:10]] for birthday in set(birthdays) if birthday is not None}
        return [None if birthday is None else days[birthday] for birthday in birthdays]

    def until_anniversary(first_days: list[int | None]) -> list[int | None]:
        return [None if day is None else anniversaries[day] for day in first_days]

    def next_anniversary(first_day: int) -> int:
        first = date.fromordinal(first_day)
        return _days_until_yearly(first, as_of, from_year=first.year + 1)

    anniversaries = _Memo(next_anniversary)

    def rfm(position: int) -> Callable[[list, list, list], list]:
        def scores(orders: list[int], minors: list[int], last_days: list[int | None]) -> list:
            if not any(orders):
                return [None] * len(orders)
            recency, frequency, monetary = rfm_thresholds()
            grid = _SCORE_GRID[position]
            return [
                grid[bisect_left(recency, day)][bisect_left(frequency, n)][bisect_left(monetary, minor)] if n else None
                for n, minor, day in zip(orders, minors, last_days, strict=True)
            ]

        return scores

    def gesture(name: str, default: object) -> Callable[[list], list]:
        return lambda past: [default if facts is None else facts[name] for facts in past]

    return {
        "orders_count": (("orders",), _same),
        "total_spent": (("spent_minor",), money),
        "average_order_value": (("orders", "spent_minor"), average),
        "first_order_date": (("first_day",), dates),
        "last_order_date": (("last_day",), dates),
        "days_since_first_order": (("first_day",), days_since),
        "days_since_last_order": (("last_day",), days_since),
        "orders_last_90_days": (("orders_90",), _same),
        "spent_last_365_days": (("spent_365",), money),
        "last_order_items": (("last_items",), _same),
        "refunds_count": (("refunds",), _same),
        "days_until_birthday": (("birthday",), until_birthday),
        "days_until_first_order_anniversary": (("first_day",), until_anniversary),
        "last_rating": (("last_rating",), _same),
        "days_since_last_complaint": (("complaint_day",), days_since),
        "has_open_complaint": (("open_complaints",), lambda counts: [count > 0 for count in counts]),
        "gestures_last_365_days": (("gestures",), gesture("gestures_last_365_days", 0)),
        "days_since_last_gesture": (("gestures",), gesture("days_since_last_gesture", None)),
        "last_gesture_kind": (("gestures",), gesture("last_gesture_kind", None)),
        "language": (("language",), _same),
        **{
            name: (("orders", "spent_minor", "last_day"), rfm(position))
            for position, name in enumerate(("rfm_recency", "rfm_frequency", "rfm_monetary", "rfm_segment"))
        },
    }


class LocalDays:
    """The shop's calendar day (a date ordinal) of instants given as seconds since 1970 UTC, fast.

    Where the zone keeps one UTC offset over all the instants (most of Asia, for one), a day
    is plain arithmetic. Otherwise instants in one UTC hour fall on the same local day unless
    the day turns within that hour (a half-hour offset, a clock change), so the day is kept
    per hour and worked out exactly for the few hours where it turns.
    """

    CHECK_EVERY = 6 * 3600  # no zone keeps an offset for less than this between two changes

    def __init__(self, timezone: ZoneInfo) -> None:
        self.timezone = timezone
        self.by_hour: dict[int, int] = {}
        self.fixed: tuple[int, int, int] | None = None  # (first, last, offset): a span of one offset

    def column(self, instants: Sequence[int | None]) -> list[int | None]:
        known = list(filter(functools.partial(operator.is_not, None), instants))
        offset = self.fixed_offset(min(known), max(known)) if known else None
        if offset is not None:
            shift = offset + _UNIX_EPOCH_DAY * 86400
            return [None if instant is None else (instant + shift) // 86400 for instant in instants]
        by_hour = self.by_hour
        for hour in {instant // 3600 for instant in known}.difference(by_hour):
            by_hour[hour] = self.hour_day(hour)
        return [
            None if instant is None else day if (day := by_hour[instant // 3600]) >= 0 else self.exact(instant)
            for instant in instants
        ]

    def fixed_offset(self, first: int, last: int) -> int | None:
        """The zone's UTC offset in seconds if it is the same at every instant from ``first`` to ``last``.

        Instants are checked every ``CHECK_EVERY`` seconds, except within a span already found
        to keep one offset that overlaps this one (the next column's instants, say).
        """
        known, step = self.fixed, self.CHECK_EVERY
        if known is not None and known[0] <= last and first <= known[1]:
            start, end = min(first, known[0]), max(last, known[1])
            instants = [*range(start, known[0], step), *range(known[1], end, step), end]
            offsets = {known[2]}
        else:
            start, end = first, last
            instants, offsets = [*range(first, last, step), last], set()
        for instant in instants:
            offset = datetime.fromtimestamp(instant, self.timezone).utcoffset()
            offsets.add(None if offset is None else int(offset.total_seconds()))
        if len(offsets) != 1 or None in offsets:
            return None
        self.fixed = (start, end, offsets.pop())
        return self.fixed[2]

    def exact(self, instant: int) -> int:
        return datetime.fromtimestamp(instant, self.timezone).date().toordinal()

    def hour_day(self, hour: int) -> int:
        """The local day of every instant in this UTC hour, or -1 if the day or offset changes in it."""
        start = datetime.fromtimestamp(hour * 3600, self.timezone)
        end = datetime.fromtimestamp(hour * 3600 + 3599, self.timezone)
        if start.date() != end.date() or start.utcoffset() != end.utcoffset():
            return -1
        return start.date().toordinal()


_UNIX_EPOCH_DAY = date(1970, 1, 1).toordinal()


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
    steps = [_thresholds(column) for column in (recency, frequency, monetary)]
    return [
        _scores(1 + bisect_left(steps[0], r), 1 + bisect_left(steps[1], f), 1 + bisect_left(steps[2], m))
        for r, f, m in zip(recency, frequency, monetary, strict=True)
    ]


def _scores(recency: int, frequency: int, monetary: int) -> tuple[int, int, int, str]:
    """(R, F, M, segment): the segment by recency and FM, the mean of F and M rounded half up."""
    return recency, frequency, monetary, RFM_SEGMENTS[recency][(frequency + monetary + 1) // 2 - 1]


# Each score (R, F, M) and the segment, by position, for every (R - 1, F - 1, M - 1).
_SCORE_GRID = [
    [[[_scores(r, f, m)[position] for m in range(1, 6)] for f in range(1, 6)] for r in range(1, 6)]
    for position in range(4)
]


class _Memo(dict):
    """A dict that works a missing key's value out (``function(key)``) the first time it is asked for."""

    def __init__(self, function: Callable[[Any], object]) -> None:
        super().__init__()
        self.function = function

    def __missing__(self, key: object) -> object:
        value = self[key] = self.function(key)
        return value


def _thresholds(values: Sequence) -> list:
    """The four values where the quintile score among ``values`` (higher is better) steps up.

    A value's score is ``1 + 5 * rank // count``, where ``rank`` counts the values strictly
    below it, so ties share a score. The score passes k once the rank reaches ceil(k * count / 5),
    that is once the value exceeds the one at that place in sorted order: the score of ``value``
    is ``1 + bisect_left(thresholds, value)``. Buyers share few distinct values (days, order
    counts, round prices), so those are counted and sorted rather than every value.
    """
    count = len(values)
    places = [-(-k * count // 5) - 1 for k in range(1, 5)] if count else []
    tally = Counter(values)
    thresholds: list = []
    seen = 0
    for value in sorted(tally):
        seen += tally[value]
        while len(thresholds) < len(places) and places[len(thresholds)] < seen:
            thresholds.append(value)
    return thresholds


def as_utc(value: datetime | str) -> datetime:
    """A UTC datetime from what the driver returns (SQLite: text; PostgreSQL: datetime)."""
    if isinstance(value, str):
        return datetime.fromisoformat(value).replace(tzinfo=UTC)
    return value if value.tzinfo else value.replace(tzinfo=UTC)
