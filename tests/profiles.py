"""A customer as the planner sees one, for tests that plan without a database."""

from __future__ import annotations

from decimal import Decimal

from planner.core.facts import FACTS, Profile


def make_profile(
    customer_id: int = 1,
    *,
    name: str | None = None,
    first_name: str | None = "민지",
    language: str = "ko",
    **facts: object,
) -> Profile:
    """A first-time buyer from three days ago, with a postal address; ``facts`` override any fact."""
    values: dict[str, object] = {fact.name: None for fact in FACTS}
    values.update(
        orders_count=1,
        total_spent=Decimal(10000),
        days_since_last_order=3,
        days_since_first_order=3,
        orders_last_90_days=1,
        spent_last_365_days=Decimal(10000),
        last_order_items=("머그컵",),
        refunds_count=0,
        has_open_complaint=False,
        gestures_last_365_days=0,
        language=language,
    )
    values.update(facts)
    display = name if name is not None else (first_name or f"고객{customer_id}")
    return Profile(customer_id, f"C{customer_id}", display, first_name, language, False, False, True, values)
