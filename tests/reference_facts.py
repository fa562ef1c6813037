"""The customer facts worked out the plain way, customer by customer, from the stored rows: the
definitions in planner/core/facts.py and default_rules.toml, written as directly as they read, for
tests to hold the polars frame (planner.core.facts_frame) to. Slow, and meant to be.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, select
from sqlmodel import SQLModel

from planner.core.facts import RFM_SEGMENTS
from planner.core.money import from_minor
from planner.core.weeks import end_of_day


def _utc(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _next_yearly(day: date, as_of: date, first_year: int) -> int:
    """Days from ``as_of`` to the next return of ``day``'s month and day, in ``first_year`` or later."""
    year = max(as_of.year, first_year)
    while True:
        try:
            candidate = day.replace(year=year)
        except ValueError:  # 29 February in a year without one
            candidate = date(year, 2, 28)
        if candidate >= as_of:
            return (candidate - as_of).days
        year += 1


def _quintiles(values: dict[int, object]) -> dict[int, int]:
    """1 + 5 * (buyers strictly worse) // buyers, higher values better."""
    ordered = sorted(values.values())  # type: ignore[type-var]
    count = len(ordered)
    return {key: 1 + 5 * sum(1 for other in ordered if other < value) // count for key, value in values.items()}  # type: ignore[operator]


def reference_facts(engine: Engine, as_of: date, timezone: str, currency: str) -> dict[str, list]:
    """Every customer's identity and facts as columns, in customer-id order (money as Decimal)."""
    zone = ZoneInfo(timezone)
    until = end_of_day(as_of, zone)
    tables = SQLModel.metadata.tables
    with engine.connect() as connection:
        customers = connection.execute(select(tables["customers"]).order_by(tables["customers"].c.id)).all()
        orders = connection.execute(select(tables["orders"])).all()
        items = connection.execute(select(tables["order_items"])).all()
        feedback = connection.execute(select(tables["feedback"])).all()
        gestures = connection.execute(select(tables["gestures"])).all()

    def local_day(instant: datetime) -> date:
        return _utc(instant).astimezone(zone).date()

    orders_of, feedback_of, gestures_of, items_of = (
        defaultdict(list),
        defaultdict(list),
        defaultdict(list),
        defaultdict(list),
    )
    for order in orders:
        if _utc(order.placed_at) < until:
            orders_of[order.customer_id].append(order)
    for item in items:
        items_of[item.order_id].append(item)
    for row in feedback:
        if _utc(row.received_at) < until:
            feedback_of[row.customer_id].append(row)
    for gesture in gestures:
        if gesture.status == "sent" and gesture.sent_at is not None and _utc(gesture.sent_at) < until:
            gestures_of[gesture.customer_id].append(gesture)

    columns: dict[str, list] = defaultdict(list)
    buyers: dict[int, tuple[date, int, int]] = {}
    for customer in customers:
        paid = [o for o in orders_of[customer.id] if o.status == "paid"]
        spent = sum(o.total_minor for o in paid)
        first = min((_utc(o.placed_at) for o in paid), default=None)
        last = max((_utc(o.placed_at) for o in paid), default=None)
        first_day = local_day(first) if first else None
        last_day = local_day(last) if last else None
        latest = sorted((o for o in paid if _utc(o.placed_at) == last), key=lambda o: o.id)
        told = sorted(feedback_of[customer.id], key=lambda f: (_utc(f.received_at), f.id))
        rated = [f for f in told if f.rating is not None]
        complaints = [f for f in told if f.kind == "complaint"]
        sent = sorted(gestures_of[customer.id], key=lambda g: (_utc(g.sent_at), g.id))
        year_ago = as_of - timedelta(days=365)
        birthday = customer.birthday
        if isinstance(birthday, str):
            birthday = date.fromisoformat(birthday)
        values = {
            "customer_id": customer.id,
            "external_id": customer.external_id,
            "name": customer.name,
            "first_name": customer.first_name,
            "greeting": customer.first_name or customer.name or None,
            "do_not_contact": bool(customer.do_not_contact),
            "erased": customer.erased_at is not None,
            "has_address": bool(customer.address1) and bool(customer.postal_code or customer.city),
            "orders_count": len(paid),
            "total_spent": from_minor(spent, currency),
            "average_order_value": from_minor(round(spent / len(paid)), currency) if paid else None,
            "first_order_date": first_day,
            "last_order_date": last_day,
            "days_since_first_order": (as_of - first_day).days if first_day else None,
            "days_since_last_order": (as_of - last_day).days if last_day else None,
            "orders_last_90_days": sum(1 for o in paid if _utc(o.placed_at) >= until - timedelta(days=90)),
            "spent_last_365_days": from_minor(
                sum(o.total_minor for o in paid if _utc(o.placed_at) >= until - timedelta(days=365)), currency
            ),
            "last_order_items": tuple(
                item.name for order in latest for item in sorted(items_of[order.id], key=lambda i: i.id)
            ),
            "refunds_count": sum(1 for o in orders_of[customer.id] if o.status != "paid"),
            "days_until_birthday": _next_yearly(birthday, as_of, as_of.year) if birthday else None,
            "days_until_first_order_anniversary": _next_yearly(first_day, as_of, first_day.year + 1)
            if first_day
            else None,
            "last_rating": rated[-1].rating if rated else None,
            "days_since_last_complaint": (as_of - local_day(complaints[-1].received_at)).days if complaints else None,
            "has_open_complaint": any(f.resolved_at is None for f in complaints),
            "gestures_last_365_days": sum(1 for g in sent if local_day(g.sent_at) > year_ago),
            "days_since_last_gesture": (as_of - max(local_day(g.sent_at) for g in sent)).days if sent else None,
            "last_gesture_kind": sent[-1].kind if sent else None,
            "language": customer.language,
        }
        for name, value in values.items():
            columns[name].append(value)
        if paid:
            buyers[customer.id] = (last_day, len(paid), spent)  # type: ignore[assignment]
    recency = _quintiles({key: value[0] for key, value in buyers.items()})
    frequency = _quintiles({key: value[1] for key, value in buyers.items()})
    monetary = _quintiles({key: value[2] for key, value in buyers.items()})
    for customer_id in columns["customer_id"]:
        if customer_id in buyers:
            r, f, m = recency[customer_id], frequency[customer_id], monetary[customer_id]
            scores = (r, f, m, RFM_SEGMENTS[r][(f + m + 1) // 2 - 1])
        else:
            scores = (None, None, None, None)
        for name, value in zip(("rfm_recency", "rfm_frequency", "rfm_monetary", "rfm_segment"), scores, strict=True):
            columns[name].append(value)
    assert all(isinstance(value, Decimal) for value in columns["total_spent"])
    return dict(columns)
