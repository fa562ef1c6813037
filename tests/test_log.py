"""Logging what was sent, skipped or failed: audit trail, all-or-nothing batches, idempotence, undo."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from click.testing import Result
from sqlalchemy import Engine, func, select
from sqlmodel import Session

from db.models import AuditEvent, Gesture

WEEK = "2026-W49"
NEXT_WEEK = "2026-W50"


def listed(run: Callable[..., Result], week: str = WEEK) -> list[dict]:
    return json.loads(run("list", "--week", week, "--status", "all", "--format", "json").output)


def with_status(run: Callable[..., Result], status: str, count: int) -> list[int]:
    ids = [item["gesture_id"] for item in listed(run) if item["status"] == status]
    assert len(ids) >= count
    return ids[:count]


def gesture(store: Engine, gesture_id: int) -> Gesture:
    with Session(store) as session:
        found = session.get(Gesture, gesture_id)
        assert found is not None
        return found


def events(store: Engine, gesture_id: int) -> list[tuple[str, str, str]]:
    with Session(store) as session:
        rows = session.execute(
            select(AuditEvent.actor, AuditEvent.action, AuditEvent.detail)
            .where(AuditEvent.entity == "gesture", AuditEvent.entity_id == gesture_id)
            .order_by(AuditEvent.id)
        )
        return [tuple(row) for row in rows]


def audit_count(store: Engine) -> int:
    with Session(store) as session:
        return session.execute(select(func.count()).select_from(AuditEvent)).scalar_one()


def test_log_sent_keeps_who_when_and_the_note(planned_store: Callable[..., Result], store: Engine) -> None:
    first, second = with_status(planned_store, "planned", 2)
    result = planned_store(
        "log", "sent", str(first), str(second), "--by", "지민", "--note", "카드 잘 씀", "--at", "2026-11-28T10:00"
    )
    assert result.exit_code == 0, result.output
    assert result.output == "Logged 2 gestures (2 sent).\n"
    logged = gesture(store, first)
    assert logged.status == "sent" and logged.sent_by == "지민" and logged.note == "카드 잘 씀"
    assert logged.sent_at == datetime(2026, 11, 28, 1, 0, tzinfo=UTC)  # 10:00 in Seoul
    assert events(store, first) == [("지민", "sent", "sent at 2026-11-28 10:00 KST; note: 카드 잘 씀")]


@pytest.mark.parametrize(
    ("at", "expected"),
    [
        ("2026-11-28T10:00+00:00", datetime(2026, 11, 28, 10, 0, tzinfo=UTC)),
        ("2026-11-28 19:30:15", datetime(2026, 11, 28, 10, 30, 15, tzinfo=UTC)),
        ("2026-11-28", datetime(2026, 11, 27, 15, 0, tzinfo=UTC)),
    ],
)
def test_at_with_and_without_offset(
    planned_store: Callable[..., Result], store: Engine, at: str, expected: datetime
) -> None:
    (gesture_id,) = with_status(planned_store, "planned", 1)
    assert planned_store("log", "sent", str(gesture_id), "--by", "bo", "--at", at).exit_code == 0
    assert gesture(store, gesture_id).sent_at == expected


def test_bad_at_is_one_line(planned_store: Callable[..., Result]) -> None:
    (gesture_id,) = with_status(planned_store, "planned", 1)
    bad = planned_store("log", "sent", str(gesture_id), "--at", "yesterday")
    assert bad.exit_code == 1
    assert bad.output == (
        'Error: --at "yesterday" is not a date and time like 2026-12-01T15:30 (or 2026-12-01T15:30+09:00)\n'
    )
    future = planned_store("log", "sent", str(gesture_id), "--at", "2999-01-01T00:00")
    assert future.output == 'Error: --at "2999-01-01T00:00" is in the future: log what was done, once it is done\n'


def test_logging_twice_keeps_the_first_record(planned_store: Callable[..., Result], store: Engine) -> None:
    first, other = with_status(planned_store, "planned", 2)
    assert planned_store("log", "sent", str(first), "--by", "ana", "--at", "2026-11-28T09:00").exit_code == 0
    again = planned_store("log", "sent", str(first), str(other), "--by", "bo", "--note", "late")
    assert again.exit_code == 0
    assert again.output == (
        "Logged 1 gesture (1 sent).\n"
        f"gesture {first}: already logged as sent by ana at 2026-11-28 09:00 KST; kept the first record\n"
    )
    kept = gesture(store, first)
    assert (kept.sent_by, kept.note) == ("ana", None)
    assert [action for _, action, _ in events(store, first)] == ["sent"]
    skipped = planned_store("log", "skipped", str(other), "--by", "bo")
    assert "cannot be skipped" in skipped.output  # other was sent just now


def test_a_bad_batch_changes_nothing_and_names_every_bad_id(
    planned_store: Callable[..., Result], store: Engine
) -> None:
    good, sent = with_status(planned_store, "planned", 2)
    (held,) = with_status(planned_store, "held_out", 1)
    assert planned_store("log", "sent", str(sent)).exit_code == 0
    before = audit_count(store)
    result = planned_store("log", "failed", str(good), "99999", str(held), str(sent), "--by", "bo")
    assert result.exit_code == 1
    assert result.stderr == (
        "gesture 99999 does not exist (see `delight list` for ids)\n"
        f"gesture {held} is held out (control group): it is never sent, so there is nothing to log\n"
        f"gesture {sent} is already logged as sent, so it cannot be failed: run `delight log undo {sent}` first\n"
        "Error: nothing was logged: 3 of 4 gestures cannot be logged as failed (listed above)\n"
    )
    assert result.stdout == ""
    assert gesture(store, good).status == "planned"
    assert audit_count(store) == before


def test_undo_returns_to_planned_and_keeps_the_trail(planned_store: Callable[..., Result], store: Engine) -> None:
    (gesture_id,) = with_status(planned_store, "planned", 1)
    planned_store("log", "sent", str(gesture_id), "--by", "ana", "--at", "2026-11-28T09:00", "--note", "oops")
    result = planned_store("log", "undo", str(gesture_id), "--by", "bo")
    assert result.exit_code == 0
    assert result.output == f"Gesture {gesture_id}: no longer sent; back to planned.\n"
    undone = gesture(store, gesture_id)
    assert (undone.status, undone.sent_at, undone.sent_by) == ("planned", None, None)
    assert events(store, gesture_id) == [
        ("ana", "sent", "sent at 2026-11-28 09:00 KST; note: oops"),
        ("bo", "undo", "was sent by ana at 2026-11-28 09:00 KST; back to planned"),
    ]
    again = planned_store("log", "undo", str(gesture_id))
    assert again.exit_code == 1
    assert again.output == f"Error: gesture {gesture_id} is planned, not logged: there is nothing to undo\n"
    assert planned_store("log", "failed", str(gesture_id), "--by", "bo").exit_code == 0  # a new outcome after undo
    history = planned_store("log", "history", str(gesture_id))
    assert history.exit_code == 0
    lines = history.output.splitlines()
    assert lines[0].startswith(f"Gesture {gesture_id}: ") and lines[0].endswith(f"week {WEEK}, now failed")
    assert [line.split()[3:5] for line in lines[4:]] == [
        ["planner", "planned"],
        ["ana", "sent"],
        ["bo", "undo"],
        ["bo", "failed"],
    ]


def test_unknown_gesture_for_undo_and_history(planned_store: Callable[..., Result]) -> None:
    for command in ("undo", "history"):
        result = planned_store("log", command, "424242")
        assert result.exit_code == 1
        assert result.output == "Error: no gesture 424242 (see `delight list` for ids)\n"


def test_an_empty_by_is_refused(planned_store: Callable[..., Result]) -> None:
    (gesture_id,) = with_status(planned_store, "planned", 1)
    result = planned_store("log", "sent", str(gesture_id), "--by", "  ")
    assert result.output == "Error: --by: say who did it, e.g. --by 지민\n"


def test_what_is_logged_as_sent_counts_at_once_for_cooldown(
    planned_store: Callable[..., Result], store: Engine
) -> None:
    chosen = [item for item in listed(planned_store) if item["status"] == "planned" and item["kind"] != "recovery_call"]
    ids = [str(item["gesture_id"]) for item in chosen]
    assert planned_store("log", "sent", *ids, "--by", "ana", "--at", "2026-11-28T10:00").exit_code == 0
    # Re-planning the same week keeps what was sent and plans nobody who already had a gesture.
    replanned = planned_store("plan", "--week", WEEK, "--seed", "9")
    assert replanned.exit_code == 0
    again = listed(planned_store)
    sent_customers = {item["customer_id"] for item in chosen}
    assert {item["customer_id"] for item in again if item["status"] == "sent"} == sent_customers
    assert not [item for item in again if item["status"] == "planned" and item["customer_id"] in sent_customers]
    # Next week, their sent gesture (nine days before 7 December, not the week's Monday) starts the cooldown.
    assert planned_store("plan", "--week", NEXT_WEEK, "--seed", "1").exit_code == 0
    next_week = listed(planned_store, NEXT_WEEK)
    assert not [g for g in next_week if g["customer_id"] in sent_customers and g["kind"] != "recovery_call"]
    explained = [planned_store("explain", customer, "--week", NEXT_WEEK).output for customer in sorted(sent_customers)]
    cooled = [text for text in explained if "Not chosen: cooldown" in text]
    assert cooled, "no customer who was sent a gesture was stopped by the cooldown"
    assert all("last gesture 9 days ago" in text for text in cooled)


def test_a_cancelled_gesture_cannot_be_logged(planned_store: Callable[..., Result], store: Engine) -> None:
    (gesture_id,) = with_status(planned_store, "planned", 1)
    assert planned_store("plan", "--week", WEEK, "--seed", "2", "--replace", "--yes").exit_code == 0
    result = planned_store("log", "sent", str(gesture_id))
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == (
        f"gesture {gesture_id} is cancelled (replaced by plan run 2): there is nothing to log"
    )


def test_a_skipped_gesture_shows_in_the_list_without_a_sent_time(
    planned_store: Callable[..., Result], store: Engine
) -> None:
    (gesture_id,) = with_status(planned_store, "planned", 1)
    planned_store("log", "skipped", str(gesture_id), "--by", "ana")
    assert next(g for g in listed(planned_store) if g["gesture_id"] == gesture_id)["status"] == "skipped"
    assert gesture(store, gesture_id).sent_at is None  # only a sent gesture has a sent time
