"""Reading back what an import wrote, for comparing the store before and after."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, select

from db.models import Customer, Feedback, Order, OrderItem


def snapshot(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of the tables an import writes, for comparing before and after."""
    tables = {"customers": Customer, "orders": Order, "order_items": OrderItem, "feedback": Feedback}
    with engine.connect() as connection:
        return {
            name: sorted(tuple(row) for row in connection.execute(select(model.__table__)))  # type: ignore[attr-defined]
            for name, model in tables.items()
        }


def orders_by_external_id(engine: Engine) -> dict[str, Any]:
    with engine.connect() as connection:
        return {row.external_id: row for row in connection.execute(select(Order.__table__))}


def customers_by_external_id(engine: Engine) -> dict[str, Any]:
    with engine.connect() as connection:
        return {row.external_id: row for row in connection.execute(select(Customer.__table__))}


def items_of(engine: Engine, external_id: str) -> list[tuple[str, str | None, int, int]]:
    items, orders = OrderItem.__table__, Order.__table__
    query = (
        select(items.c.name, items.c.sku, items.c.quantity, items.c.unit_price_minor)
        .join(orders, orders.c.id == items.c.order_id)
        .where(orders.c.external_id == external_id)
    )
    with engine.connect() as connection:
        return sorted(tuple(row) for row in connection.execute(query))


def lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line]
