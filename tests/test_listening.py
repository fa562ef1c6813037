"""Listening first and a stable week, over seeded shops and several weeks with logging in between.

Each check is worked out here from the stored rows, independently of the planner: who is owed a
person, which words speak of "today", which openers repeat.
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from click.testing import Result
from sqlalchemy import Engine, select

from db.engine import transaction
from db.models import Customer, Feedback, FeedbackKind, Gesture
from planner.core.plan import words_timing
from planner.core.rules import load_rules
from planner.core.weeks import monday
from planner.words.templates import load_templates

SEOUL = ZoneInfo("Asia/Seoul")
WEEKS = ("2026-W46", "2026-W47", "2026-W48")
RULES = load_rules()
TEMPLATES = load_templates()
WRITERS = """
[writers.Minji]
capacity = 25
languages = ["ko", "en"]

[writers.Sam]
capacity = 15
languages = ["en"]
"""
TODAY_WORDS = re.compile(r"\btoday\b|오늘", re.IGNORECASE)


def week_rows(store: Engine, week: str) -> list[tuple[Gesture, str]]:
    with transaction(store) as session:
        rows = session.execute(
            select(Gesture, Customer.language)
            .join(Customer, Customer.id == Gesture.customer_id)
            .where(Gesture.week == week)
            .order_by(Gesture.id)
        ).all()
        session.expunge_all()
    return [(gesture, language) for gesture, language in rows]


def external_ids(store: Engine, customer_ids: set[int]) -> set[str]:
    with transaction(store) as session:
        return set(session.scalars(select(Customer.external_id).where(Customer.id.in_(customer_ids))))


def owed_a_person(store: Engine, week: str) -> set[int]:
    """An open complaint, or a rating of 2 or less with no reply, no resolution and no call sent since."""
    until = datetime.combine(monday(week) + timedelta(days=1), datetime.min.time(), tzinfo=SEOUL).astimezone(UTC)
    with transaction(store) as session:
        feedback = session.execute(select(Feedback).where(Feedback.received_at < until)).scalars().all()
        calls = session.execute(
            select(Gesture.customer_id, Gesture.sent_at).where(
                Gesture.kind == "recovery_call", Gesture.status == "sent", Gesture.sent_at < until
            )
        ).all()
    reached: dict[int, list[datetime]] = defaultdict(list)
    for customer_id, sent_at in calls:
        reached[customer_id].append(sent_at)
    owed = set()
    for row in feedback:
        if row.resolved_at is not None:
            continue
        if row.kind == FeedbackKind.COMPLAINT or (
            row.rating is not None
            and row.rating <= 2
            and row.replied_at is None
            and not any(at >= row.received_at for at in reached[row.customer_id])
        ):
            owed.add(row.customer_id)
    return owed


def opener_limits(rows: list[tuple[Gesture, str]]) -> None:
    """No opener twice in a writer's stack; at most ⌈gestures of a moment ÷ variants⌉ in the week."""
    occasions = {rule.name: rule.occasion for rule in RULES.rules}
    live = [(g, language) for g, language in rows if g.status in ("planned", "sent", "skipped", "failed")]
    stacks: dict[str, Counter] = defaultdict(Counter)
    groups: dict[tuple, list[Gesture]] = defaultdict(list)
    for gesture, language in live:
        if gesture.writer and gesture.opener:
            stacks[gesture.writer][gesture.opener] += 1
        kind = RULES.gestures[gesture.kind]
        timing = words_timing(gesture.for_day, gesture.send_by, kind.posting_days)
        groups[(gesture.kind, language, occasions.get(gesture.rule or ""), timing)].append(gesture)
    for writer, openers in stacks.items():
        assert max(openers.values()) == 1, (writer, openers.most_common(1))
    for (kind, language, occasion, timing), gestures in groups.items():
        variants = [t for t in TEMPLATES.variants(kind, language) if t.suits(occasion, timing)]
        uses = Counter(g.opener for g in gestures if g.opener)
        if uses:
            assert max(uses.values()) <= math.ceil(len(gestures) / len(variants)), (kind, language, occasion)


@pytest.mark.parametrize(("shop_seed", "locale"), [(3, "ko_KR"), (8, "mixed")])
def test_three_weeks_keep_every_promise(
    initialised: Callable[..., Result], store: Engine, tmp_path: Path, shop_seed: int, locale: str
) -> None:
    rules = tmp_path / "rules.toml"
    rules.write_text(RULES.source_text + WRITERS, encoding="utf-8")
    seeded = initialised(
        "seed", "--customers", "600", "--locale", locale, "--seed", str(shop_seed), "--today", "2026-11-08"
    )
    assert seeded.exit_code == 0, seeded.output
    not_done: set[int] = set()  # customers whose call was logged failed or skipped last week
    for number, week in enumerate(WEEKS):
        planned = initialised("plan", "--week", week, "--seed", str(number), "--rules", str(rules))
        assert planned.exit_code == 0, planned.output
        rows = week_rows(store, week)
        owed = owed_a_person(store, week)
        # Service recovery is never an experiment, and nobody owed a person gets a surprise.
        assert not [g for g, _ in rows if g.status == "held_out" and g.customer_id in owed]
        assert not [g for g, _ in rows if g.status == "planned" and g.kind != "recovery_call" and g.customer_id in owed]
        # A call that did not happen comes back the next week, first in line.
        calls = {g.customer_id for g, _ in rows if g.kind == "recovery_call" and g.status == "planned"}
        assert not_done <= calls
        # Words agree with the calendar; openers stay varied.
        for gesture, _language in rows:
            if gesture.message and TODAY_WORDS.search(gesture.message):
                assert gesture.for_day is not None and gesture.send_by == gesture.for_day, gesture.message
        opener_limits(rows)
        # Planning the week again keeps every planned gesture as it was.
        before = [(g.id, g.customer_id, g.kind, g.status, g.message, g.writer) for g, _ in rows]
        again = initialised("plan", "--week", week, "--seed", "99", "--rules", str(rules))
        assert again.exit_code == 0, again.output
        after = {g.id: (g.id, g.customer_id, g.kind, g.status, g.message, g.writer) for g, _ in week_rows(store, week)}
        assert all(after[row[0]] == row for row in before)
        # ...and nobody it already has a call for is said to be waiting.
        waiting = set(re.findall(r"^  .+ \((C\d+)\): ", again.output.split("Waiting for a person")[-1], re.M))
        assert not waiting & external_ids(store, calls)
        # Log the week: two calls fail, one is skipped, everything else is sent.
        ids = [g.id for g, _ in week_rows(store, week) if g.status == "planned"]
        call_ids = [g.id for g, _ in week_rows(store, week) if g.status == "planned" and g.kind == "recovery_call"]
        at = ["--at", f"{monday(week)}T15:00", "--by", "지민"]
        if call_ids[:2]:
            assert initialised("log", "failed", *map(str, call_ids[:2]), *at).exit_code == 0
        if call_ids[2:3]:
            assert initialised("log", "skipped", *map(str, call_ids[2:3]), *at).exit_code == 0
        rest = [i for i in ids if i not in call_ids[:3]]
        assert initialised("log", "sent", *map(str, rest), *at).exit_code == 0
        not_done = {g.customer_id for g, _ in week_rows(store, week) if g.id in call_ids[:3]}


def test_a_planned_week_fills_only_what_was_freed(planned_store: Callable[..., Result], store: Engine) -> None:
    week = "2026-W49"
    rows = week_rows(store, week)
    notes = [g for g, _ in rows if g.kind == "handwritten_note" and g.status == "planned"]
    assert len(notes) == RULES.gestures["handwritten_note"].capacity  # the week's notes are full
    skipped = [str(g.id) for g in notes[:3]]
    assert planned_store("log", "skipped", *skipped, "--at", "2026-11-30T10:00").exit_code == 0
    again = planned_store("plan", "--week", week, "--seed", "7")
    assert again.exit_code == 0, again.output
    assert "added 3 where capacity was free" in again.output
    after = week_rows(store, week)
    kept = {g.id: (g.customer_id, g.kind, g.message) for g, _ in after}
    assert all(kept[g.id] == (g.customer_id, g.kind, g.message) for g, _ in rows)
    new_notes = [g for g, _ in after if g.kind == "handwritten_note" and g.status == "planned" and g.plan_run_id != 1]
    assert len(new_notes) == 3  # the three skipped notes' places, and no more
    assert not {g.customer_id for g in new_notes} & {g.customer_id for g, _ in rows}


def test_a_complaint_before_planning_again_cancels_the_surprise(
    planned_store: Callable[..., Result], store: Engine
) -> None:
    week = "2026-W49"
    note = next(g for g, _ in week_rows(store, week) if g.kind == "handwritten_note" and g.status == "planned")
    with transaction(store) as session:
        customer = session.get(Customer, note.customer_id)
        assert customer is not None
        external_id = customer.external_id
        session.add(
            Feedback(
                customer_id=note.customer_id,
                kind=FeedbackKind.COMPLAINT,
                text="포장이 다 젖어서 왔어요",
                received_at=datetime(2026, 11, 30, 0, 30, tzinfo=UTC),  # Monday morning in Seoul
            )
        )
    again = planned_store("plan", "--week", week, "--seed", "7")
    assert again.exit_code == 0, again.output
    assert f"Cancelled gesture {note.id} (handwritten_note for" in again.output
    assert f"{external_id}): they are owed a person first." in again.output
    theirs = [(g.kind, g.status) for g, _ in week_rows(store, week) if g.customer_id == note.customer_id]
    assert ("handwritten_note", "cancelled") in theirs
    assert ("recovery_call", "planned") in theirs
    explained = planned_store("explain", external_id, "--week", week).output
    assert "Listening first: open complaint since 2026-11-30" in explained
