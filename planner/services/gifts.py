"""Gifts on the shelf: how many of each are left, and which a customer already bought.

How stock is counted. A gift's ``stock`` in the rules file is how many were on the shelf when
someone counted them on ``counted_on``. From then on:

* **on hand** = ``stock`` − the gestures carrying it that were logged *sent* on or after
  ``counted_on`` (in the shop's time zone). A gesture logged failed (returned) or skipped never
  left the shelf for good, and `delight log undo` puts a sent one back.
* **left to plan** = on hand − the gestures carrying it that are still *planned* (any week):
  a planned gift is set aside until it is logged.

The planner gives a gift only while some is left to plan; the packing list shows on hand and
what will be left once the week is packed. After a recount, change ``stock`` and ``counted_on``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, bindparam, func, select, text

from db.models import Gesture, GestureStatus
from planner.core.rules import Gift, RuleSet


@dataclass(frozen=True)
class GiftStock:
    """One gift of a kind's shelf, with what the store says about it."""

    kind: str
    gift: Gift
    sent_since_count: int = 0  # logged sent on or after ``gift.counted_on``
    planned: int = 0  # still planned, any week

    @property
    def on_hand(self) -> int | None:
        """How many should be on the shelf now; None when the gift is not counted."""
        return None if self.gift.stock is None else self.gift.stock - self.sent_since_count

    @property
    def left_to_plan(self) -> int | None:
        """How many more the planner may give; None when the gift never runs out."""
        on_hand = self.on_hand
        return None if on_hand is None else max(on_hand - self.planned, 0)


def shelf(connection: Connection, rules: RuleSet) -> list[GiftStock]:
    """Every gift in the rules, in their order, with how many were sent since counted and are planned."""
    timezone = ZoneInfo(rules.timezone)
    stock = []
    for kind in rules.gestures.values():
        for gift in kind.gifts:
            carrying = (Gesture.kind == kind.name) & (Gesture.gift == gift.name)
            planned = connection.execute(
                select(func.count()).where(carrying, Gesture.status == GestureStatus.PLANNED)
            ).scalar_one()
            sent = 0
            if gift.counted_on is not None:
                since = datetime.combine(gift.counted_on, time(0), timezone)
                sent = connection.execute(
                    select(func.count()).where(carrying, Gesture.status == GestureStatus.SENT, Gesture.sent_at >= since)
                ).scalar_one()
            stock.append(GiftStock(kind.name, gift, sent, planned))
    return stock


def left_to_plan(stock: Sequence[GiftStock]) -> dict[str, int]:
    """How many of each counted gift the planner may still give, by name."""
    return {item.gift.name: left for item in stock if (left := item.left_to_plan) is not None}


def _key(text_value: str) -> str:
    return " ".join(text_value.casefold().split())


_BOUGHT_SQL = text(
    "SELECT o.customer_id, i.name, i.sku FROM orders o JOIN order_items i ON i.order_id = o.id "
    "WHERE o.customer_id IN :ids"
).bindparams(bindparam("ids", expanding=True))


def bought_lookup(connection: Connection, rules: RuleSet) -> Callable[[Sequence[int]], Mapping[int, frozenset[str]]]:
    """A function giving, for some customers, the gifts on the rules' shelves each of them ordered:
    an item with the gift's name (ignoring case and spacing) or its ``sku``."""
    by_name: dict[str, str] = {}
    by_sku: dict[str, str] = {}
    for kind in rules.gestures.values():
        for gift in kind.gifts:
            by_name[_key(gift.name)] = gift.name
            if gift.sku:
                by_sku[gift.sku.strip().casefold()] = gift.name

    def bought(customer_ids: Sequence[int]) -> dict[int, frozenset[str]]:
        if not by_name or not customer_ids:
            return {}
        found: dict[int, set[str]] = defaultdict(set)
        for customer_id, name, sku in connection.execute(_BOUGHT_SQL, {"ids": list(customer_ids)}):
            gift = by_name.get(_key(name or "")) or by_sku.get((sku or "").strip().casefold())
            if gift is not None:
                found[customer_id].add(gift)
        return {customer_id: frozenset(gifts) for customer_id, gifts in found.items()}

    return bought
