"""Customer facts: the one documented place where every fact rules can use is defined.

A fact is a value about one customer as of a date (the *as-of* date, by default the Monday of the
planned week in the shop's time zone). Rules refer to facts by these names. A fact that cannot be
known (no orders yet, no birthday on file) is null; a comparison with a missing fact is false.
Refunded and cancelled orders are not purchases: they count only in ``refunds_count``. How each
fact is worked out, for every customer at once, is ``planner.core.facts_frame``.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime


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


def as_utc(value: datetime | str) -> datetime:
    """A UTC datetime from what the driver returns (SQLite: text; PostgreSQL: datetime)."""
    if isinstance(value, str):
        return datetime.fromisoformat(value).replace(tzinfo=UTC)
    return value if value.tzinfo else value.replace(tzinfo=UTC)
