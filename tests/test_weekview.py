"""`delight week`: the week at a glance, and the hook other modules use to add lines."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import Result

from db.engine import make_engine
from planner.core.rules import default_rules_text
from planner.services import overview

WEEK = "2026-W49"


@pytest.fixture
def extra_section() -> Iterator[None]:
    def overdue(context: overview.WeekContext) -> overview.WeekSection:
        return overview.WeekSection("Overdue feedback", (f"nothing overdue in {context.week}",))

    overview.add_section(overdue)
    yield
    overview._SECTION_MAKERS.remove(overdue)


def test_week_counts_per_kind_and_writer_budget_and_open(
    planned_store: Callable[..., Result], db_url: str, tmp_path: Path
) -> None:
    listed = json.loads(planned_store("list", "--week", WEEK, "--status", "all", "--format", "json").output)
    planned = [g for g in listed if g["status"] == "planned"]
    notes = [g for g in planned if g["kind"] == "handwritten_note"]
    sent, failed, skipped = notes[:2], notes[2:3], notes[3:4]
    planned_store("log", "sent", *(str(g["gesture_id"]) for g in sent), "--by", "ana")
    planned_store("log", "failed", str(failed[0]["gesture_id"]), "--by", "ana")
    planned_store("log", "skipped", str(skipped[0]["gesture_id"]), "--by", "ana")
    engine = make_engine(db_url)
    summary = overview.week_summary(engine, WEEK)
    engine.dispose()
    note_tally = summary.by_kind["handwritten_note"]
    assert note_tally.row() == [len(notes) - 4, 2, 1, 1]
    assert summary.total.row() == [len(planned) - 4, 2, 1, 1]
    assert sum(t.planned for t in summary.by_writer.values()) == len(planned) - 4
    cost = sum(int(g["cost"]) for g in notes[:1])
    assert summary.spent == 3 * cost  # sent and failed cost money; skipped does not
    assert summary.budget == 300000
    assert len(summary.open) == len(planned) - 4
    assert summary.held_out == sum(1 for g in listed if g["status"] == "held_out")
    text = planned_store("week", "--week", WEEK).output  # the default rules' team speaks Korean
    assert "종류              계획  보냄  건너뜀  실패" in text
    assert f"handwritten_note  {len(notes) - 4:>4}     2       1     1" in text
    assert f"쓴 돈: ₩300,000 중 ₩{3 * cost:,}; " in text
    assert f"아직 남은 일 ({len(planned) - 4}건 계획, 기록 전):" in text
    english = planned_store("week", "--week", WEEK, "--rules", str(english_rules(tmp_path))).output
    assert f"handwritten_note  {len(notes) - 4:>7}     2        1       1" in english
    assert f"Spent: ₩{3 * cost:,} of ₩300,000; " in english
    assert f"Still open ({len(planned) - 4} planned, not yet logged):" in english


def english_rules(folder: Path) -> Path:
    path = folder / "rules.toml"
    path.write_text(default_rules_text().replace('team_language = "ko"', 'team_language = "en"'), encoding="utf-8")
    return path


def test_an_unplanned_week(planned_store: Callable[..., Result], tmp_path: Path) -> None:
    result = planned_store("week", "--week", "2027-W01")
    assert result.exit_code == 0
    assert result.output.splitlines()[0] == (
        "2027-W01 주차: 계획된 것이 없어요. `delight plan --week 2027-W01`으로 계획해 보세요."
    )
    result = planned_store("week", "--week", "2027-W01", "--rules", str(english_rules(tmp_path)))
    assert (
        result.output.splitlines()[0] == "Week 2027-W01: nothing planned. Plan it with `delight plan --week 2027-W01`."
    )


def test_other_modules_add_sections(planned_store: Callable[..., Result], extra_section: None) -> None:
    text = planned_store("week", "--week", WEEK).output
    assert text.endswith(f"\nOverdue feedback:\n  nothing overdue in {WEEK}\n")


def test_bad_week_is_one_line(planned_store: Callable[..., Result]) -> None:
    result = planned_store("week", "--week", "2026-W60")
    assert result.output == 'Error: "2026-W60" is not an ISO week: 2026 has no week 60\n'
