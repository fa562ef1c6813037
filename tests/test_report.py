"""`delight report`: the planted effect is recovered, no effect is found where none was planted,
and too little data gives plain words, not numbers."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from click.testing import Result
from pypdf import PdfReader
from sqlalchemy import Engine, insert

from db.engine import transaction
from db.models import Customer, Gesture
from db.seed import SeedOptions, seed_database
from planner.core.weeks import week_of
from planner.services.report import ReportOptions, make_report, report_json

TODAY = date(2026, 11, 25)
# About a third of seeded customers qualify for the planted experiment (contactable, no order in
# the ~25 weeks it covers), so 6,000 customers give about 2,000 in it, split evenly: ~1,000 a group.
CUSTOMERS = 6_000


def seed(engine: Engine, effect: float, customers: int = CUSTOMERS) -> None:
    with transaction(engine) as session:
        seed_database(session.connection(), SeedOptions(customers, seed=11, today=TODAY, plant_effect=effect))


def overall(engine: Engine, days: int, confidence: float) -> dict:
    report = make_report(engine, ReportOptions(until=TODAY, confidence=confidence))
    (row,) = [o for o in report_json(report)["outcomes"] if o["group"] == "overall" and o["window_days"] == days]
    return row


def test_the_report_recovers_a_planted_effect(engine: Engine) -> None:
    seed(engine, 0.15)
    # With ~1,000 a group at rates 0.30 and 0.45 the standard error of the difference is
    # sqrt(.3*.7/1000 + .45*.55/1000) = 0.021, so 0.15 is 7 standard errors: the 95% interval
    # excludes 0 with probability Φ(7 - 1.96) > 0.9999. A 99.9% interval covers the true 0.15
    # with probability 0.999 (Newcombe's interval keeps its level at these sizes), so neither
    # assertion depends on a lucky seed.
    row = overall(engine, 90, confidence=0.95)
    assert row["treated_n"] > 900 and row["control_n"] > 900
    assert row["ci_low"] > 0
    assert row["difference"] == pytest.approx(row["treated_rate"] - row["control_rate"])
    assert row["control_rate"] == pytest.approx(0.30, abs=0.06)
    covering = overall(engine, 90, confidence=0.999)
    assert covering["ci_low"] <= 0.15 <= covering["ci_high"]


def test_the_report_finds_no_effect_where_none_was_planted(engine: Engine) -> None:
    seed(engine, 0.0)
    # Same sizes: with no planted effect, the 99.9% interval contains 0 with probability 0.999.
    row = overall(engine, 90, confidence=0.999)
    assert row["ci_low"] <= 0 <= row["ci_high"]
    assert abs(row["difference"]) < 0.08


def test_seeding_with_a_planted_effect_is_repeatable(engine: Engine, tmp_path: Path) -> None:
    seed(engine, 0.15, customers=800)
    first = report_json(make_report(engine, ReportOptions(until=TODAY)))
    second = report_json(make_report(engine, ReportOptions(until=TODAY)))
    assert first == second
    assert first["weeks"] and all(row["counts"]["sent"] + row["counts"]["held_out"] for row in first["weeks"])


def test_cli_json_shape_and_pdf(initialised: Callable[..., Result], tmp_path: Path) -> None:
    seeded = initialised(
        "seed", "--customers", "3000", "--seed", "5", "--today", TODAY.isoformat(), "--plant-effect", "0.15"
    )
    assert seeded.exit_code == 0, seeded.output
    assert "Planted an effect of +15% on repurchase" in seeded.output
    pdf = tmp_path / "report.pdf"
    result = initialised("report", "--until", TODAY.isoformat(), "--format", "json", "--pdf", str(pdf))
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert {"weeks", "spend", "writers", "overdue_feedback", "outcomes", "summary"} <= set(data)
    keys = {"group", "window_days", "treated_n", "control_n", "treated_rate", "control_rate"}
    keys |= {"difference", "ci_low", "ci_high", "note"}
    assert all(keys <= set(outcome) for outcome in data["outcomes"])
    groups = {outcome["group"] for outcome in data["outcomes"]}
    assert {"overall", "we miss you", "small_gift"} <= groups
    assert {outcome["window_days"] for outcome in data["outcomes"]} == {30, 60, 90}
    headline = data["summary"]
    assert headline.startswith("Customers who got a gesture came back")

    reader = PdfReader(pdf)
    assert 1 <= len(reader.pages) <= 3
    text = " ".join(" ".join((page.extract_text() or "").split()) for page in reader.pages)
    assert "Did it work?" in text
    assert " ".join(headline.split())[:60] in text
    fonts = {
        font["/BaseFont"]
        for page in reader.pages
        for font in page["/Resources"]["/Font"].values()
        if "/BaseFont" in font.get_object()
    }
    assert fonts and all("DelightGothic" in str(name) for name in fonts)

    table = initialised("report", "--until", TODAY.isoformat())
    assert table.exit_code == 0
    assert "Repurchase within N days" in table.output and "Spend against budget" in table.output


def add_gestures(engine: Engine, week: str, sent: int, held_out: int) -> None:
    created = datetime(2026, 1, 1, tzinfo=UTC)
    customers = [
        {"id": i, "external_id": f"C{i}", "name": f"Customer {i}", "created_at": created}
        for i in range(1, sent + held_out + 1)
    ]
    gestures = [
        {
            "customer_id": i,
            "week": week,
            "kind": "handwritten_note",
            "rule": "we miss you",
            "status": "sent" if i <= sent else "held_out",
            "cost_minor": 1500,
            "currency": "KRW",
            "created_at": created,
        }
        for i in range(1, sent + held_out + 1)
    ]
    if not customers:
        return
    with transaction(engine) as session:
        session.execute(insert(Customer), customers)
        if gestures:
            session.execute(insert(Gesture), gestures)


@pytest.mark.parametrize(
    ("week", "sent", "held_out", "words"),
    [
        ("2026-W20", 0, 0, "no gestures were sent or held out in this period"),
        ("2026-W20", 60, 0, "no held-out customers to compare with (60 sent a gesture, none held out)"),
        ("2026-W20", 0, 40, "no customer was sent a gesture (40 held out, none sent)"),
        ("2026-W20", 12, 3, "too few customers to say: 12 sent a gesture and 3 held out (need at least 30 in each)"),
        (week_of(TODAY), 80, 80, "too early to tell: no 30-day window has ended by 2026-11-25"),
    ],
)
def test_not_enough_data_says_so_in_plain_words(
    engine: Engine, run: Callable[..., Result], week: str, sent: int, held_out: int, words: str
) -> None:
    add_gestures(engine, week, sent, held_out)
    result = run("report", "--until", TODAY.isoformat(), "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["summary"].startswith("Not enough to say whether gestures made a difference yet")
    first = data["outcomes"][0]
    assert first["group"] == "overall" and first["difference"] is None and first["ci_low"] is None
    notes = " ".join(outcome["note"] or "" for outcome in data["outcomes"])
    assert words in notes
    text = run("report", "--until", TODAY.isoformat())
    assert text.exit_code == 0 and "Not enough to say" in text.output


def test_since_after_until_is_one_error_line(initialised: Callable[..., Result]) -> None:
    result = initialised("report", "--since", "2026-12-01", "--until", "2026-11-01")
    assert result.exit_code == 1
    assert result.output == "Error: --since 2026-12-01 is after --until 2026-11-01: swap them\n"


def test_plant_effect_out_of_range_is_refused(initialised: Callable[..., Result]) -> None:
    result = initialised("seed", "--customers", "10", "--plant-effect", "0.9")
    assert result.exit_code == 1
    assert result.output.startswith("Error: --plant-effect 0.9 is out of range")


def test_a_young_shop_says_too_early_once_per_group_and_a_pdf_report_prints_only_where_it_went(
    engine: Engine, run: Callable[..., Result], tmp_path: Path
) -> None:
    add_gestures(engine, week_of(TODAY), 80, 80)
    text = run("report", "--until", TODAY.isoformat()).output
    too_early = [line for line in text.splitlines() if "too early to tell" in line]
    groups = [line for line in too_early if " (overall): " in line or " (rule): " in line or " (kind): " in line]
    assert len(groups) == 3  # overall, the rule, the kind: one sentence each, not a row per window
    assert groups[0].startswith(
        "overall (overall): too early to tell at 30, 60 and 90 days: no 30-day window has ended by 2026-11-25"
    )
    pdf = tmp_path / "report.pdf"
    result = run("report", "--until", TODAY.isoformat(), "--pdf", str(pdf))
    assert result.exit_code == 0
    assert result.output == f"Wrote {pdf} (1 page).\n"
