"""Gifts from a shelf: the planner's choice, the rules that describe the shelf, and its stock."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import Result
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from profiles import make_profile
from pypdf import PdfReader

from planner.core.errors import RulesError
from planner.core.facts import PastGesture
from planner.core.plan import NO_GIFT_FOR_THEM, NO_GIFTS_LEFT, PLANNED, Plan, PlanRequest, make_plan
from planner.core.rules import default_rules_text, parse_rules
from planner.words.templates import load_templates

WEEK = "2026-W49"
AS_OF = date(2026, 11, 30)
TEMPLATES = load_templates()

SHELF_RULES = """
currency = "KRW"
weekly_budget = 1000000
cooldown_days = 0
holdout_percent = 0
wildcards = 0

[gestures.small_gift]
cost = 4000
capacity = 50
physical = true
choices = [
    { name = "유자차", cost = 9000, sku = "TEA-YUJA" },
    { name = "향초", cost = 12000, stock = 2, counted_on = 2026-11-01 },
    { name = "손수건", cost = 5000 },
]

[gestures.handwritten_note]
cost = 1500
capacity = 50
physical = true

[[rules]]
name = "gift"
gesture = "small_gift"
when = "orders_count >= 1"
priority = 10

[[rules]]
name = "note instead"
gesture = "handwritten_note"
when = "orders_count >= 1"
priority = 1
"""
RULES = parse_rules(SHELF_RULES)


def plan_for(people, budget: int = 1_000_000, history=None, rules=RULES, **request) -> Plan:
    return make_plan(PlanRequest(WEEK, AS_OF, 3, rules, Decimal(budget), people, history or {}, TEMPLATES, **request))


def gifts_of(plan) -> dict[int, str | None]:
    return {g.customer_id: g.gift for g in plan.gestures if g.status == PLANNED and g.kind == "small_gift"}


def test_each_gift_costs_its_kind_plus_the_gift_and_is_shared_out_evenly() -> None:
    plan = plan_for([make_profile(n) for n in range(1, 7)], gifts_left={"향초": 2})
    chosen = gifts_of(plan)
    assert sorted(chosen.values()) == ["손수건", "손수건", "유자차", "유자차", "향초", "향초"]
    prices = {"유자차": 9000, "향초": 12000, "손수건": 5000}
    for gesture in plan.gestures:
        assert gesture.cost == 4000 + prices[gesture.gift]
    assert plan.spent == sum(g.cost for g in plan.gestures)


def test_a_gift_they_had_or_bought_is_never_given_again() -> None:
    people = [make_profile(1), make_profile(2), make_profile(3)]
    history = {  # a gift last year, then a note: the variety rule lets a gift come next
        1: [
            PastGesture(1, "2025-W10", "small_gift", "sent", None, date(2025, 3, 3), "유자차"),
            PastGesture(1, "2025-W30", "handwritten_note", "sent", None, date(2025, 7, 21)),
        ]
    }
    bought = {2: frozenset({"손수건"}), 3: frozenset({"유자차", "향초", "손수건"})}
    asked: list[list[int]] = []

    def gifts_bought(customer_ids):
        asked.append(list(customer_ids))
        return {customer_id: bought[customer_id] for customer_id in customer_ids if customer_id in bought}

    plan = plan_for(people, history=history, gifts_bought=gifts_bought)
    chosen = gifts_of(plan)
    assert chosen[1] != "유자차" and chosen[2] != "손수건"
    # Someone who had or bought everything on the shelf gets the next rule's gesture instead...
    assert 3 not in chosen
    assert [(g.customer_id, g.kind) for g in plan.gestures if g.customer_id == 3] == [(3, "handwritten_note")]
    assert sorted(customer_id for ids in asked for customer_id in ids) == [1, 2, 3]  # looked up once each


def test_what_stops_one_customer_does_not_stop_the_others() -> None:
    # Customer 1 bought every gift: the gift kind is closed for them alone, never for the week.
    note = 'gesture = "handwritten_note"\nwhen = "orders_count >= 1"'
    gifts_only = parse_rules(SHELF_RULES.replace(note, note.replace(">= 1", ">= 99")))
    everything = frozenset({"유자차", "향초", "손수건"})
    people = [make_profile(n) for n in range(1, 5)]
    plan = plan_for(people, rules=gifts_only, gifts_bought=lambda ids: {1: everything} if 1 in ids else {})
    assert set(gifts_of(plan)) == {2, 3, 4}
    assert plan.decisions[1].constraint == NO_GIFT_FOR_THEM
    assert plan.removed[NO_GIFT_FOR_THEM] == 1


def test_the_gift_fits_the_budget_left() -> None:
    # 4,000 for the box and post + the cheapest gift (5,000) fits; nothing dearer does.
    plan = plan_for([make_profile(1)], budget=9000)
    assert gifts_of(plan) == {1: "손수건"}
    assert plan.spent == Decimal(9000)


def test_a_gift_with_none_left_is_not_given_and_an_empty_shelf_closes_the_kind() -> None:
    plan = plan_for([make_profile(n) for n in range(1, 7)], gifts_left={"향초": 0})
    assert "향초" not in gifts_of(plan).values()
    single = parse_rules(
        SHELF_RULES.replace('    { name = "유자차", cost = 9000, sku = "TEA-YUJA" },\n', "").replace(
            '    { name = "손수건", cost = 5000 },\n', ""
        )
    )
    plan = plan_for([make_profile(n) for n in range(1, 5)], rules=single, gifts_left={"향초": 1})
    assert list(gifts_of(plan).values()) == ["향초"]
    assert plan.removed[f"{NO_GIFTS_LEFT}: small_gift"] == 0  # the others fell back to a note
    assert sum(1 for g in plan.gestures if g.kind == "handwritten_note") == 3


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    had=st.lists(st.sampled_from(["유자차", "향초", "손수건", None]), min_size=12, max_size=12),
    bought=st.lists(st.sets(st.sampled_from(["유자차", "향초", "손수건"])), min_size=12, max_size=12),
    candles=st.integers(0, 5),
    budget=st.integers(0, 200_000),
    seed=st.integers(0, 2**31),
)
def test_gifts_keep_their_promises(had, bought, candles, budget, seed) -> None:
    people = [make_profile(n) for n in range(1, 13)]
    history = {
        n: [PastGesture(n, "2025-W10", "small_gift", "sent", None, date(2025, 3, 3), gift)]
        for n, gift in enumerate(had, start=1)
        if gift
    }
    bought_by = {n: frozenset(items) for n, items in enumerate(bought, start=1)}
    plan = make_plan(
        PlanRequest(
            WEEK, AS_OF, seed, RULES, Decimal(budget), people, history, TEMPLATES,
            gifts_left={"향초": candles}, gifts_bought=lambda ids: {n: bought_by[n] for n in ids},
        )
    )  # fmt: skip
    chosen = gifts_of(plan)
    for customer_id, gift in chosen.items():
        assert gift is not None
        assert gift not in bought_by[customer_id]
        assert all(g.gift != gift for g in history.get(customer_id, []))
    assert list(chosen.values()).count("향초") <= candles
    assert plan.spent <= budget


# --- the rules file ----------------------------------------------------------------------------

MINIMAL = """\
currency = "KRW"
weekly_budget = 300000

[gestures.small_gift]
cost = 4000
capacity = 8
physical = true
"""


def test_one_fixed_gift_is_a_shelf_of_one() -> None:
    rules = parse_rules(MINIMAL + 'gift = "수제 유자청"\n')
    (gift,) = rules.gestures["small_gift"].gifts
    assert (gift.name, gift.cost, gift.stock) == ("수제 유자청", Decimal(0), None)
    counted = parse_rules(MINIMAL + 'gift = { name = "유자청", stock = 5, counted_on = 2026-12-01 }\n')
    assert counted.gestures["small_gift"].gifts[0].stock == 5


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (
            'choices = [{ name = "a" }]',
            'gesture "small_gift", gift "a": missing required key "cost" (add e.g. cost = 9000)',
        ),
        ("choices = []", 'gesture "small_gift": choices must be a list of gifts'),
        ('choices = ["a"]', 'gesture "small_gift": gift #1 must be a table like { name = "유자차", cost = 9000 }'),
        ("choices = [{ cost = 1 }]", 'gesture "small_gift": gift #1 needs a name, e.g. name = "유자차"'),
        (
            'choices = [{ name = "a", cost = 1, stock = 3 }]',
            'gesture "small_gift", gift "a": stock needs the day it was counted, e.g. counted_on = 2026-12-01',
        ),
        (
            'choices = [{ name = "a", cost = 1, stock = 3, counted_on = "yesterday" }]',
            'gesture "small_gift", gift "a": counted_on must be a date without quotes, e.g. counted_on = 2026-12-01',
        ),
        (
            'choices = [{ name = "a", cost = 1, counted_on = 2026-12-01 }]',
            'gesture "small_gift", gift "a": counted_on goes with stock, e.g. stock = 12',
        ),
        ('choices = [{ name = "a", cost = 1, stock = -1, counted_on = 2026-12-01 }]', "stock must not be negative"),
        ('choices = [{ name = "a", cost = 1.5 }]', "cost = 1.5 is a TOML float, and money is never a float"),
        ('choices = [{ name = "a", cost = 1, colour = "red" }]', 'unknown key "colour"'),
        (
            'choices = [{ name = "a", cost = 1 }, { name = "a", cost = 2 }]',
            'gesture "small_gift": gift "a" is listed twice',
        ),
        (
            'gift = "a"\nchoices = [{ name = "b", cost = 1 }]',
            "give either choices (several gifts) or gift (one), not both",
        ),
    ],
)
def test_a_bad_shelf_is_one_line_naming_the_fix(extra: str, message: str) -> None:
    with pytest.raises(RulesError) as raised:
        parse_rules(MINIMAL + extra + "\n")
    assert message in str(raised.value) and "\n" not in str(raised.value)


def test_a_gift_must_be_posted_and_belongs_to_one_kind() -> None:
    with pytest.raises(RulesError, match="a gift is posted, so small_gift needs physical = true"):
        parse_rules(MINIMAL.replace("physical = true", "physical = false") + 'gift = "a"\n')
    twice = MINIMAL + 'gift = "a"\n\n[gestures.big_gift]\ncost = 1\ncapacity = 1\nphysical = true\ngift = "a"\n'
    with pytest.raises(RulesError, match='gift "a" is offered by both small_gift and big_gift'):
        parse_rules(twice)


def test_return_address() -> None:
    rules = parse_rules(
        MINIMAL.replace(
            "[gestures.small_gift]", '[return_address]\nname = "마루"\ncountry = "kr"\n\n[gestures.small_gift]'
        )
    )
    assert rules.return_address is not None and (rules.return_address.name, rules.return_address.country) == (
        "마루",
        "KR",
    )
    for table, message in (
        ('street = "1 Main St"', 'return_address: needs a name, e.g. name = "마루 잡화점"'),
        ('name = "x"\ncountry = "Korea"', 'return_address: country "Korea" must be a 2-letter ISO code'),
        ('name = "x"\nphone = "1"', 'return_address: unknown key "phone"'),
    ):
        with pytest.raises(RulesError, match=message):
            parse_rules(MINIMAL.replace("[gestures.small_gift]", f"[return_address]\n{table}\n\n[gestures.small_gift]"))


# --- stock through the CLI -----------------------------------------------------------------------


@pytest.fixture
def shop(initialised: Callable[..., Result], tmp_path: Path) -> tuple[Callable[..., Result], Path]:
    result = initialised("seed", "--customers", "400", "--seed", "3", "--today", "2026-11-30", "--locale", "mixed")
    assert result.exit_code == 0, result.output
    rules = tmp_path / "rules.toml"
    rules.write_text(
        default_rules_text().replace("stock = 12, counted_on = 2026-11-30", "stock = 3, counted_on = 2026-11-30"),
        encoding="utf-8",
    )
    assert initialised("plan", "--week", WEEK, "--seed", "2", "--rules", str(rules)).exit_code == 0
    return initialised, rules


def packing_text(run: Callable[..., Result], rules: Path, folder: Path) -> str:
    labels = folder / "labels.pdf"
    result = run("print", "labels", "--week", WEEK, "--rules", str(rules), "-o", str(labels))
    assert result.exit_code == 0, result.output
    assert "Wrote packing list" in result.output
    return " ".join(
        " ".join(page.extract_text() for page in PdfReader(folder / "labels-packing-list.pdf").pages).split()
    )


def test_the_packing_list_names_each_gift_and_stock_goes_down_as_gifts_are_logged_sent(
    shop: tuple[Callable[..., Result], Path], tmp_path: Path
) -> None:
    run, rules = shop
    listed = json.loads(run("list", "--week", WEEK, "--rules", str(rules), "--format", "json").output)
    gifts = [g for g in listed if g["kind"] == "small_gift"]
    assert gifts and all(g["gift"] for g in gifts)
    text = packing_text(run, rules, tmp_path)
    for gift in gifts:
        assert f"#{gift['gesture_id']} {gift['customer_name']} {gift['gift']}" in text
    candles = [g for g in gifts if g["gift"] == "무화과 향초 미니"]
    assert f"무화과 향초 미니 {len(candles)} 3 2026-11-30 기준, 그 뒤 발송 기록 0개 {3 - len(candles)}" in text
    assert candles, "the seeded week gives at least one counted gift"
    assert run("log", "sent", str(candles[0]["gesture_id"]), "--by", "지민", "--rules", str(rules)).exit_code == 0
    text = packing_text(run, rules, tmp_path)
    assert f"무화과 향초 미니 {len(candles) - 1} 2 2026-11-30 기준, 그 뒤 발송 기록 1개 {3 - len(candles)}" in text
    assert run("log", "undo", str(candles[0]["gesture_id"]), "--by", "지민", "--rules", str(rules)).exit_code == 0
    assert "3 2026-11-30 기준, 그 뒤 발송 기록 0개" in packing_text(run, rules, tmp_path)
