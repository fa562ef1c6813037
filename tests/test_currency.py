"""Money is never counted in two currencies.

A US shop's Shopify export imported without a rules file once showed Alice's $84.00 as 8400 won,
and the plan budgeted in won.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from click.testing import Result

US_EXPORT = (
    "Name,Email,Financial Status,Paid at,Currency,Subtotal,Shipping,Taxes,Total,Created at,"
    "Lineitem quantity,Lineitem name,Lineitem price,Billing Name,Accepts Marketing\n"
    "#1001,alice@example.com,paid,2026-11-20 10:00:00 -0500,USD,80.00,4.00,0,84.00,"
    "2026-11-20 10:00:00 -0500,1,Mug,80.00,Alice Smith,yes\n"
)


def us_shop(run: Callable[..., Result], tmp_path: Path) -> None:
    export = tmp_path / "orders_export.csv"
    export.write_text(US_EXPORT, encoding="utf-8")
    assert run("import", "orders", str(export)).exit_code == 0


def test_without_a_rules_file_the_orders_currency_is_the_shops(
    initialised: Callable[..., Result], tmp_path: Path
) -> None:
    us_shop(initialised, tmp_path)
    facts = initialised("facts", "--as-of", "2026-11-30", "--format", "json")
    assert facts.exit_code == 0, facts.output
    (alice,) = json.loads(facts.output)
    assert (alice["total_spent"], alice["average_order_value"]) in (("84.00", "84.00"), (84.0, 84.0))
    plan = initialised("plan", "--week", "2026-W49", "--seed", "1")
    assert plan.exit_code == 0, plan.output
    assert "Budget: $" in plan.output and "₩" not in plan.output
    explained = initialised("explain", "alice@example.com", "--week", "2026-W49")
    assert "total_spent" in explained.output and "84.00" in explained.output


def test_a_rules_file_in_another_currency_stops_with_both_named(
    initialised: Callable[..., Result], tmp_path: Path
) -> None:
    us_shop(initialised, tmp_path)
    rules = tmp_path / "our-rules.toml"
    rules.write_text(initialised("rules", "show").output, encoding="utf-8")
    expected = (
        f'Error: the shop\'s orders are in USD, but {rules} says currency = "KRW": '
        'set currency = "USD" there (with its amounts in USD)\n'
    )
    for args in (("plan", "--week", "2026-W49"), ("facts",), ("explain", "alice@example.com")):
        result = initialised(*args, "--rules", str(rules))
        assert (result.exit_code, result.output) == (1, expected)
    listed = initialised("list", "--week", "2026-W49")  # nothing about money: it answers
    assert listed.exit_code == 0 and "이번 주에 할 일이 없어요" in listed.output
    rules.write_text(rules.read_text(encoding="utf-8").replace('currency = "KRW"', 'currency = "USD"'), "utf-8")
    assert initialised("plan", "--week", "2026-W49", "--rules", str(rules)).exit_code == 0


def test_orders_in_a_second_currency_are_bad_rows(initialised: Callable[..., Result], tmp_path: Path) -> None:
    us_shop(initialised, tmp_path)
    korean = tmp_path / "korean.csv"
    korean.write_text(
        "order_id,customer_id,placed_at,total\nK1,C1,2026-11-01,₩12000\nK2,C1,2026-11-02,$12.00\n", encoding="utf-8"
    )
    result = initialised("import", "orders", str(korean))
    assert result.exit_code == 1
    assert (
        result.stderr.splitlines()[0]
        == "line 2: currency: KRW, but the shop's orders are in USD (money is kept in one)"
    )
    mixed = tmp_path / "mixed.csv"
    mixed.write_text("order_id,customer_id,placed_at,total\nM1,C1,2026-11-01,$1\nM2,C1,2026-11-01,€1\n", "utf-8")
    result = initialised("import", "orders", str(mixed))
    assert (
        result.stderr.splitlines()[0]
        == "line 3: currency: EUR, but the shop's orders are in USD (money is kept in one)"
    )
