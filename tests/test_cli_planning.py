"""The weekly planning commands, end to end through the CLI on a seeded store."""

from __future__ import annotations

import csv
import io
import json
import re
from collections import Counter
from collections.abc import Callable
from datetime import date
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from click.testing import Result
from pypdf import PdfReader
from sqlalchemy import Engine, func, select, text

from db.engine import make_engine
from db.frames import read_last_items
from db.models import Gesture, PlanRun
from planner.core.rules import load_rules
from planner.core.weeks import end_of_day
from planner.words.templates import load_templates

WEEK = "2026-W49"


@pytest.fixture
def seeded(initialised: Callable[..., Result]) -> Callable[..., Result]:
    result = initialised("seed", "--customers", "400", "--seed", "3", "--today", "2026-11-30", "--locale", "mixed")
    assert result.exit_code == 0, result.output
    return initialised


def gestures(db_url: str) -> list[tuple]:
    engine: Engine = make_engine(db_url)
    with engine.connect() as connection:
        rows = connection.execute(
            select(Gesture.customer_id, Gesture.kind, Gesture.status, Gesture.template).order_by(Gesture.id)
        ).all()
    engine.dispose()
    return [tuple(row) for row in rows]


def test_plan_stores_and_shows_the_week(seeded: Callable[..., Result], db_url: str) -> None:
    result = seeded("plan", "--week", WEEK, "--seed", "11")
    assert result.exit_code == 0, result.output
    assert f"Plan for {WEEK} (facts as of 2026-11-30, seed 11" in result.output
    assert "Budget: ₩" in result.output and "of ₩300,000" in result.output
    assert "Removed by constraint:" in result.output
    assert re.search(r"Took \d+\.\d s \(facts \d+\.\d s, planning \d+\.\d s, storing \d+\.\d s\)", result.output)
    assert "Planning for" not in result.output  # step lines are for a terminal only
    stored = gestures(db_url)
    assert stored and {status for _, _, status, _ in stored} <= {"planned", "held_out"}
    counts = re.search(r"planned (\d+), held out as control ([\d,]+)\.", result.output)
    assert counts is not None
    assert int(counts.group(1)) == sum(1 for _, _, status, _ in stored if status == "planned")
    assert int(counts.group(2).replace(",", "")) == sum(1 for _, _, status, _ in stored if status == "held_out")
    listed = json.loads(seeded("list", "--week", WEEK, "--status", "all", "--format", "json").output)
    assert len(listed) == len(stored)
    assert set(listed[0]) >= {
        "gesture_id",
        "customer_id",
        "customer_name",
        "kind",
        "rule",
        "status",
        "cost",
        "reason",
        "week",
        "writer",
    }
    assert all(item["week"] == WEEK and item["customer_id"].startswith("C") for item in listed)


def test_the_words_name_what_each_customer_bought_last(seeded: Callable[..., Result], db_url: str) -> None:
    # The latest items are looked up after the draw, only for the customers whose words are chosen.
    assert seeded("plan", "--week", WEEK, "--seed", "11").exit_code == 0
    engine = make_engine(db_url)
    with engine.connect() as connection:
        rows = connection.execute(
            select(Gesture.customer_id, Gesture.template, Gesture.message).where(Gesture.message.is_not(None))
        ).all()
    with_item = {template.id for template in load_templates().templates if "last_item" in template.placeholders}
    named = [(customer_id, message) for customer_id, template, message in rows if template in with_item]
    assert named, "no words in this plan name the latest item"
    items = read_last_items(engine.url, end_of_day(date(2026, 11, 30), ZoneInfo("Asia/Seoul")), [c for c, _ in named])
    engine.dispose()
    assert all(items[customer_id][0] in message for customer_id, message in named)


def test_a_rule_on_the_latest_items_picks_only_who_bought_them(
    seeded: Callable[..., Result], db_url: str, tmp_path: Path
) -> None:
    # A rule that uses last_order_items has them worked out for everyone before the draw.
    engine = make_engine(db_url)
    with engine.connect() as connection:
        ids = list(connection.scalars(text("SELECT id FROM customers")))
    latest = read_last_items(engine.url, end_of_day(date(2026, 11, 30), ZoneInfo("Asia/Seoul")), ids)
    item = Counter(name for items in latest.values() for name in set(items)).most_common(1)[0][0]
    rule = (
        '\n[[rules]]\nname = "bought it last"\ngesture = "cheer_message"\n'
        f"when = '\"{item}\" in last_order_items'\n"
        'priority = 500\nreason = { ko = "마지막 주문", en = "their latest order" }\n'
    )
    rules = tmp_path / "rules.toml"
    rules.write_text(load_rules(None).source_text + rule, encoding="utf-8")
    assert seeded("plan", "--week", WEEK, "--seed", "4", "--rules", str(rules)).exit_code == 0
    with engine.connect() as connection:
        picked = set(connection.scalars(select(Gesture.customer_id).where(Gesture.rule == "bought it last")))
    engine.dispose()
    assert picked
    assert all(item in latest[customer_id] for customer_id in picked)


def test_replacing_a_week_with_the_same_seed_gives_the_same_plan(seeded: Callable[..., Result], db_url: str) -> None:
    assert seeded("plan", "--week", WEEK, "--seed", "5").exit_code == 0
    first = [row for row in gestures(db_url) if row[2] != "cancelled"]
    again = seeded("plan", "--week", WEEK, "--seed", "5", "--replace", "--yes")
    assert again.exit_code == 0
    assert f"Replaced {len(first)} gestures that were still only planned or held out." in again.output
    rows = gestures(db_url)
    assert [row for row in rows if row[2] != "cancelled"] == first
    assert sum(1 for row in rows if row[2] == "cancelled") == len(first)
    engine = make_engine(db_url)
    with engine.connect() as connection:
        assert connection.execute(select(func.count()).select_from(PlanRun)).scalar_one() == 2
    engine.dispose()


def test_planning_a_week_again_keeps_what_was_planned(seeded: Callable[..., Result], db_url: str) -> None:
    assert seeded("plan", "--week", WEEK, "--seed", "5").exit_code == 0
    first = gestures_with_ids(db_url)
    again = seeded("plan", "--week", WEEK, "--seed", "99")
    assert again.exit_code == 0, again.output
    planned = sum(1 for row in first if row[3] == "planned")
    assert f"Kept the {planned} gestures already planned for {WEEK} as they were" in again.output
    assert gestures_with_ids(db_url) == first  # nothing freed, nothing added, nothing changed


def test_replacing_a_week_asks_first(seeded: Callable[..., Result], db_url: str) -> None:
    assert seeded("plan", "--week", WEEK, "--seed", "5").exit_code == 0
    first = gestures_with_ids(db_url)
    refused = seeded("plan", "--week", WEEK, "--replace")  # CliRunner's input is not a terminal
    assert refused.exit_code == 2
    assert "Add --yes to redraw it without asking." in refused.stderr
    assert seeded("plan", "--week", WEEK, "--yes").exit_code == 2
    assert gestures_with_ids(db_url) == first


def gestures_with_ids(db_url: str) -> list[tuple]:
    engine: Engine = make_engine(db_url)
    with engine.connect() as connection:
        rows = connection.execute(
            select(Gesture.id, Gesture.customer_id, Gesture.kind, Gesture.status, Gesture.message).order_by(Gesture.id)
        ).all()
    engine.dispose()
    return [tuple(row) for row in rows]


def test_plan_without_seed_prints_and_stores_the_one_it_chose(seeded: Callable[..., Result], db_url: str) -> None:
    result = seeded("plan", "--week", WEEK)
    engine = make_engine(db_url)
    with engine.connect() as connection:
        seed = connection.execute(select(PlanRun.seed)).scalar_one()
    engine.dispose()
    assert f"seed {seed}," in result.output


def test_list_csv_is_spreadsheet_ready(seeded: Callable[..., Result]) -> None:
    seeded("plan", "--week", WEEK, "--seed", "1")
    output = seeded("list", "--week", WEEK, "--format", "csv").output
    assert output.startswith("gesture_id,customer_id,customer_name")  # no BOM: stdout is not a file here
    rows = list(csv.DictReader(io.StringIO(output)))
    assert rows and all(row["week"] == WEEK for row in rows)


def test_explain_says_why(seeded: Callable[..., Result]) -> None:
    seeded("plan", "--week", WEEK, "--seed", "2")
    listed = json.loads(seeded("list", "--week", WEEK, "--format", "json").output)
    chosen = next(item for item in listed if item["status"] == "planned")
    result = seeded("explain", chosen["customer_id"], "--week", WEEK)
    assert result.exit_code == 0
    assert f"matched  {chosen['rule']} → {chosen['kind']}" in result.output or chosen["rule"] == "wildcard"
    assert f"This week: {chosen['kind']} (planned)" in result.output
    assert "days_since_last_order" in result.output


def test_explain_names_the_constraint(seeded: Callable[..., Result]) -> None:
    seeded("plan", "--week", WEEK, "--seed", "2", "--budget", "0")
    everyone = seeded("list", "--week", WEEK, "--status", "all", "--format", "json").output
    listed = {item["customer_id"] for item in json.loads(everyone)}
    facts = list(csv.DictReader(io.StringIO(seeded("facts", "--as-of", "2026-11-30").output)))
    first_timer = next(
        row["customer_id"]
        for row in facts
        if row["orders_count"] == "1"
        and row["days_since_last_order"]
        and int(row["days_since_last_order"]) <= 14
        and row["customer_id"] not in listed
        and row["has_open_complaint"] == "false"
    )
    result = seeded("explain", first_timer, "--week", WEEK)
    assert "matched  first-order thanks → handwritten_note" in result.output
    assert "Not chosen:" in result.output
    assert "earlier gesture" not in result.output  # nothing this week, so nothing earlier either


def test_explain_unknown_customer(seeded: Callable[..., Result]) -> None:
    result = seeded("explain", "NOPE", "--week", WEEK)
    assert result.exit_code == 1
    assert (
        result.output == 'Error: no customer "NOPE": give their id as imported, email or name (see `delight facts`)\n'
    )


def test_facts_csv_and_json(seeded: Callable[..., Result]) -> None:
    csv_out = seeded("facts", "--as-of", "2026-11-30").output
    rows = list(csv.DictReader(io.StringIO(csv_out.lstrip("\ufeff"))))
    assert len(rows) == 400
    assert rows[0]["customer_id"] == "C0000001"
    as_json = json.loads(seeded("facts", "--as-of", "2026-11-30", "--format", "json").output)
    assert len(as_json) == 400 and "rfm_segment" in as_json[0]


def test_bad_week_and_budget(seeded: Callable[..., Result]) -> None:
    bad_week = seeded("plan", "--week", "2026-W60")
    assert bad_week.exit_code == 1
    assert bad_week.output == 'Error: "2026-W60" is not an ISO week: 2026 has no week 60\n'
    bad_budget = seeded("plan", "--budget", "lots")
    assert bad_budget.exit_code == 2
    assert '"lots" is not an amount like 300000' in bad_budget.output


def test_rules_show_and_check(run: Callable[..., Result], tmp_path: Path) -> None:
    shown = run("rules", "show")
    assert shown.exit_code == 0 and "[[rules]]" in shown.output
    good = tmp_path / "rules.toml"
    good.write_text(shown.output, encoding="utf-8")
    assert run("rules", "check", str(good)).output.startswith(f"{good}: OK — ")
    bad = tmp_path / "bad.toml"
    bad.write_text(shown.output.replace("orders_count == 1", "order_count == 1"), encoding="utf-8")
    result = run("rules", "check", str(bad))
    assert result.exit_code == 1
    assert 'unknown fact "order_count" (did you mean "orders_count"?)' in result.output
    assert result.output.count("\n") == 1


def test_printouts_for_the_week(seeded: Callable[..., Result], tmp_path: Path) -> None:
    seeded("plan", "--week", WEEK, "--seed", "4")
    cards = tmp_path / "cards.pdf"
    result = seeded("print", "cards", "--week", WEEK, "-o", str(cards), "--layout", "a4x4")
    assert result.exit_code == 0, result.output
    listed = json.loads(seeded("list", "--week", WEEK, "--status", "planned", "--format", "json").output)
    notes = [g for g in listed if g["kind"] in ("handwritten_note", "small_gift")]
    assert f"Wrote note cards ({len(notes)} customers, " in result.output
    reader = PdfReader(cards)
    assert len(reader.pages) == -(-len(notes) // 4)
    briefs = tmp_path / "briefs.pdf"
    assert seeded("print", "briefs", "--week", WEEK, "-o", str(briefs)).exit_code == 0
    text = "".join(page.extract_text() for page in PdfReader(briefs).pages)
    assert listed[0]["customer_name"] in text
    labels = tmp_path / "labels.pdf"
    result = seeded("print", "labels", "--week", WEEK, "-o", str(labels), "--paper", "letter")
    gifts = [g for g in listed if g["kind"] == "small_gift"]
    if gifts:
        assert result.exit_code == 0, result.output
        assert (tmp_path / "labels-packing-list.pdf").exists()
        assert PdfReader(labels).pages[0].mediabox.width == 612
    messages = seeded("export", "messages", "--week", WEEK, "--format", "json")
    cheer = [g for g in listed if g["kind"] == "cheer_message"]
    assert len(json.loads(messages.output)) == len(cheer)


def test_printing_an_unplanned_week(seeded: Callable[..., Result]) -> None:
    result = seeded("print", "cards", "--week", "2027-W01")
    assert result.exit_code == 1
    assert result.output == (
        "Error: nothing to print: week 2027-W01 has no planned handwritten note or small gift "
        "(run `delight plan --week 2027-W01`)\n"
    )
