"""The feedback inbox: list, reply, resolve, overdue; and what it means for planning."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from click.testing import Result
from profiles import make_profile
from sqlalchemy import Engine, select

from db.engine import make_engine, transaction
from db.models import AuditEvent, Customer, Feedback, Gesture, Order, OrderItem
from planner.core.errors import RulesError
from planner.core.facts import PastGesture
from planner.core.plan import COOLDOWN, PlanRequest, make_plan
from planner.core.rules import load_rules, parse_rules
from planner.services import printing
from planner.services.feedback import overdue_feedback
from planner.words.templates import load_templates

NOW = datetime.now(UTC)
WEEK_NOW = f"{NOW.isocalendar().year}-W{NOW.isocalendar().week:02d}"


def add_shop(db_url: str) -> dict[str, int]:
    """Three customers: a first-time buyer with an open complaint, a low rating, a happy reviewer."""
    engine = make_engine(db_url)
    ids: dict[str, int] = {}
    with transaction(engine) as session:
        for ref, name, first in (("C1", "김민지", "민지"), ("C2", "Sam Lee", "Sam"), ("C3", "박서연", "서연")):
            customer = Customer(
                external_id=ref,
                name=name,
                first_name=first,
                language="en" if ref == "C2" else "ko",
                address1="테헤란로 1",
                postal_code="06234",
                city="서울",
            )
            session.add(customer)
            session.flush()
            order = Order(
                external_id=f"O{ref}",
                customer_id=customer.id,
                placed_at=NOW - timedelta(days=3),
                total_minor=30000,
                currency="KRW",
            )
            session.add(order)
            session.flush()
            session.add(OrderItem(order_id=order.id, name="머그컵", unit_price_minor=30000))
            ids[ref] = customer.id
        rows = [
            ("F1", "C1", "complaint", None, "배송이 늦고 포장이 찢어져 왔어요", 30),
            ("F2", "C2", "review", 2, "The lid was cracked.", 1),
            ("F3", "C3", "review", 5, "정말 좋아요!", 5),
            ("F4", "C2", "request", None, "Gift wrap next time?", 0),
        ]
        for ref, customer_ref, kind, rating, text, days_ago in rows:
            session.add(
                Feedback(
                    external_id=ref,
                    customer_id=ids[customer_ref],
                    kind=kind,
                    rating=rating,
                    text=text,
                    received_at=NOW - timedelta(days=days_ago, hours=1),
                )
            )
    engine.dispose()
    return ids


def feedback_id(db_url: str, reference: str) -> int:
    engine = make_engine(db_url)
    with transaction(engine) as session:
        found = session.execute(select(Feedback.id).where(Feedback.external_id == reference)).scalar_one()
    engine.dispose()
    return found


def listed(run: Callable[..., Result], *args: str) -> list[dict]:
    result = run("feedback", "list", "--format", "json", *args)
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_the_inbox_lists_newest_first_with_who_is_waiting(initialised: Callable[..., Result], db_url: str) -> None:
    add_shop(db_url)
    items = listed(initialised)
    assert [i["reference"] for i in items] == ["F4", "F2", "F3", "F1"]
    by_ref = {i["reference"]: i for i in items}
    assert by_ref["F1"]["status"] == "overdue" and by_ref["F1"]["waiting_days"] == 30
    assert by_ref["F2"]["status"] == "waiting" and not by_ref["F2"]["overdue"]  # 1 day: not yet overdue
    assert by_ref["F3"]["overdue"] is False  # a happy review needs no reply to be on time
    assert [i["reference"] for i in listed(initialised, "--max-rating", "2")] == ["F2"]
    assert [i["reference"] for i in listed(initialised, "--kind", "complaint")] == ["F1"]
    table = initialised("feedback", "list")
    assert table.exit_code == 0
    assert "OVERDUE" in table.output and "none for 30 days" in table.output
    assert "4 shown; 1 overdue (no reply from a person within 2 days)." in table.output
    csv_out = initialised("feedback", "list", "--format", "csv").output
    assert csv_out.startswith("feedback_id,reference,customer_id")
    bad = initialised("feedback", "list", "--kind", "praise")
    assert bad.exit_code == 1 and bad.output.startswith('Error: --kind "praise" is not a feedback kind')


def test_reply_within_days_comes_from_the_rules(
    initialised: Callable[..., Result], db_url: str, tmp_path: Path
) -> None:
    add_shop(db_url)
    rules = tmp_path / "rules.toml"
    rules.write_text(load_rules().source_text.replace("reply_within_days = 2", "reply_within_days = 0"))
    items = {i["reference"]: i for i in listed(initialised, "--rules", str(rules))}
    assert items["F2"]["overdue"] is True and items["F4"]["overdue"] is False  # a request is never overdue
    with pytest.raises(RulesError, match="reply_within_days must not be negative"):
        parse_rules(load_rules().source_text.replace("reply_within_days = 2", "reply_within_days = -1"))
    assert load_rules().reply_within_days == 2


def test_reply_and_resolve_keep_who_and_when(initialised: Callable[..., Result], db_url: str) -> None:
    add_shop(db_url)
    complaint = feedback_id(db_url, "F1")
    text = "보내주신 말씀 잘 받았습니다. 곧 좋은 답변 드릴게요!"
    result = initialised("feedback", "reply", str(complaint), "--by", "Minji", "--text", text)
    assert result.exit_code == 0, result.output
    assert f"The complaint stays open until `delight feedback resolve {complaint}`." in result.output
    [item] = [i for i in listed(initialised, "--open") if i["reference"] == "F1"]
    assert (item["status"], item["replied_by"], item["reply"], item["waiting_days"]) == ("open", "Minji", text, None)
    assert initialised("feedback", "resolve", "F1", "--by", "Jun").exit_code == 0
    assert "F1" not in {i["reference"] for i in listed(initialised, "--open")}
    again = initialised("feedback", "resolve", str(complaint), "--by", "Jun")
    assert again.exit_code == 1 and again.output.startswith(f"Error: feedback {complaint} was already resolved by Jun")
    engine = make_engine(db_url)
    with transaction(engine) as session:
        row = session.get(Feedback, complaint)
        assert (row.replied_by, row.resolved_by) == ("Minji", "Jun")
        assert row.replied_at is not None and row.resolved_at is not None and row.resolved_at >= row.replied_at
        events = session.execute(
            select(AuditEvent.actor, AuditEvent.action).where(AuditEvent.entity == "feedback").order_by(AuditEvent.id)
        ).all()
    engine.dispose()
    assert [tuple(e) for e in events] == [("Minji", "reply"), ("Jun", "resolve")]


def test_reply_errors_change_nothing(
    initialised: Callable[..., Result], db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    add_shop(db_url)
    missing = initialised("feedback", "reply", "999", "--by", "Minji", "--text", "hi")
    assert missing.exit_code == 1
    assert missing.output == 'Error: no feedback "999": use the id shown by `delight feedback list`\n'
    empty = initialised("feedback", "reply", "F2", "--by", " ", "--text", "hi")
    assert empty.output == "Error: --by: say who replied, e.g. --by 지민\n"
    assert initialised("feedback", "reply", "F2", "--by", "Minji", "--text", "  ").exit_code == 1
    monkeypatch.delenv("DELIGHT_USER")
    assert initialised("feedback", "reply", "F2", "--text", "hi").exit_code == 2  # --by, or $DELIGHT_USER
    assert all(i["replied_by"] is None for i in listed(initialised))


def test_overdue_feedback_for_the_week_view(engine: Engine, db_url: str) -> None:
    add_shop(db_url)
    with transaction(engine) as session:
        assert [i.reference for i in overdue_feedback(session, NOW, 2)] == ["F1"]
        assert [i.reference for i in overdue_feedback(session, NOW, 0)] == ["F1", "F2"]
        assert overdue_feedback(session, NOW, 31) == []


def test_the_writers_brief_uses_the_setting(engine: Engine, db_url: str) -> None:
    add_shop(db_url)
    with transaction(engine) as session:
        row = session.execute(select(Feedback).where(Feedback.external_id == "F2")).scalar_one()
    seoul = ZoneInfo("Asia/Seoul")
    assert printing._feedback_view(row, NOW, seoul, 2).days_without_reply is None
    assert printing._feedback_view(row, NOW, seoul, 1).days_without_reply == 1


def test_an_open_complaint_keeps_to_recovery_until_resolved(initialised: Callable[..., Result], db_url: str) -> None:
    add_shop(db_url)

    def planned_for_c1() -> list[tuple[str, str]]:
        engine = make_engine(db_url)
        with transaction(engine) as session:
            rows = session.execute(
                select(Gesture.kind, Gesture.status)
                .join(Customer, Customer.id == Gesture.customer_id)
                .where(Customer.external_id == "C1", Gesture.status == "planned")
            ).all()
        engine.dispose()
        return [tuple(row) for row in rows]

    as_of = NOW.astimezone(ZoneInfo("Asia/Seoul")).date().isoformat()
    first = initialised("plan", "--week", WEEK_NOW, "--seed", "1", "--as-of", as_of)
    assert first.exit_code == 0, first.output
    assert planned_for_c1() == [("recovery_call", "planned")]
    assert initialised("feedback", "resolve", "F1", "--by", "Minji").exit_code == 0
    assert initialised("plan", "--week", WEEK_NOW, "--seed", "1", "--as-of", as_of).exit_code == 0
    assert planned_for_c1() == [("recovery_call", "planned")]  # the planned week stays as it was
    replaced = initialised("plan", "--week", WEEK_NOW, "--seed", "1", "--as-of", as_of, "--replace", "--yes")
    assert replaced.exit_code == 0
    assert planned_for_c1() == [("handwritten_note", "planned")]  # a first-order thanks, now the complaint is closed


def test_after_a_recovery_gesture_no_surprise_within_the_cooldown() -> None:
    rules = load_rules()
    as_of = date(2026, 11, 30)
    person = make_profile(
        name="김민지", gestures_last_365_days=1, days_since_last_complaint=40, days_since_last_gesture=10
    )
    history = {1: [PastGesture(1, "2026-W47", "recovery_call", "sent", "call-ko-1", as_of - timedelta(days=10))]}
    plan = make_plan(PlanRequest("2026-W49", as_of, 1, rules, Decimal(300000), [person], history, load_templates()))
    assert plan.gestures == []
    assert plan.decisions[1].constraint == COOLDOWN
    later = {1: [PastGesture(1, "2026-W30", "recovery_call", "sent", "call-ko-1", as_of - timedelta(days=120))]}
    plan = make_plan(PlanRequest("2026-W49", as_of, 1, rules, Decimal(300000), [person], later, load_templates()))
    assert [g.kind for g in plan.gestures] == ["handwritten_note"]
