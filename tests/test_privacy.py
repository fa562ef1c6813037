"""`delight customer optout|forget`: never planned again, personal data gone, counts kept, all audited."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path

import polars as pl
import pytest
from click.testing import Result
from sqlalchemy import Engine, func, select, update
from sqlmodel import Session

from db.frames import load_facts
from db.models import AuditEvent, Customer, Feedback, Gesture, Order

# A week far ahead, so that "this week and later" holds whenever the tests run.
WEEK = "2030-W10"
AS_OF = "2026-11-30"


@pytest.fixture
def seeded(initialised: Callable[..., Result]) -> Callable[..., Result]:
    result = initialised("seed", "--customers", "300", "--seed", "3", "--today", AS_OF)
    assert result.exit_code == 0, result.output
    assert initialised("plan", "--week", WEEK, "--seed", "1", "--as-of", AS_OF).exit_code == 0
    return initialised


def planned_customer(run: Callable[..., Result]) -> dict:
    listed = json.loads(run("list", "--week", WEEK, "--format", "json").output)
    return next(item for item in listed if item["status"] == "planned")


def customer(store: Engine, external_id: str) -> Customer:
    with Session(store) as session:
        return session.execute(select(Customer).where(Customer.external_id == external_id)).scalar_one()


def customer_events(store: Engine, customer_id: int) -> list[tuple[str, str, str]]:
    with Session(store) as session:
        rows = session.execute(
            select(AuditEvent.actor, AuditEvent.action, AuditEvent.detail).where(
                AuditEvent.entity == "customer", AuditEvent.entity_id == customer_id
            )
        )
        return [tuple(row) for row in rows]


def test_optout_cancels_planned_gestures_and_is_never_planned_again(
    seeded: Callable[..., Result], store: Engine, tmp_path: Path
) -> None:
    chosen = planned_customer(seeded)
    result = seeded("customer", "optout", chosen["customer_id"], "--by", "지민")
    assert result.exit_code == 0, result.output
    assert result.output == f"{chosen['customer_id']} opted out: never planned again; 1 planned gesture cancelled.\n"
    found = customer(store, chosen["customer_id"])
    assert found.do_not_contact and found.name is not None and found.erased_at is None
    with Session(store) as session:
        cancelled = session.get(Gesture, chosen["gesture_id"])
        assert cancelled is not None and (cancelled.status, cancelled.note) == ("cancelled", "customer opted out")
    assert customer_events(store, found.id) == [("지민", "optout", "do not contact; 1 planned cancelled")]
    assert seeded("log", "sent", str(chosen["gesture_id"])).exit_code == 1
    # A re-import that says nothing about opting out keeps the opt-out.
    csv_file = tmp_path / "customers.csv"
    csv_file.write_text(f"customer_id,name\n{chosen['customer_id']},New Name\n", encoding="utf-8")
    assert seeded("import", "customers", str(csv_file)).exit_code == 0
    assert customer(store, chosen["customer_id"]).do_not_contact
    assert seeded("plan", "--week", WEEK, "--seed", "5", "--as-of", AS_OF).exit_code == 0
    listed = json.loads(seeded("list", "--week", WEEK, "--format", "json").output)
    assert chosen["customer_id"] not in {item["customer_id"] for item in listed}
    explained = seeded("explain", chosen["customer_id"], "--week", WEEK).output
    assert "do-not-contact" in explained
    again = seeded("customer", "optout", chosen["customer_id"])
    assert (
        again.output
        == f"{chosen['customer_id']} was already opted out: never planned again; 0 planned gestures cancelled.\n"
    )


def test_forget_erases_personal_data_and_keeps_counts(seeded: Callable[..., Result], store: Engine) -> None:
    with Session(store) as session:
        target = session.execute(
            select(Customer)
            .join(Feedback, Feedback.customer_id == Customer.id)
            .join(Gesture, Gesture.customer_id == Customer.id)
            .where(Gesture.status == "planned", Feedback.text.is_not(None), Customer.email.is_not(None))
            .where(Customer.birthday.is_not(None))
            .order_by(Customer.id)
            .limit(1)
        ).scalar_one()
    with Session(store) as session, session.begin():
        session.execute(update(Feedback).where(Feedback.customer_id == target.id).values(reply="고맙습니다, 민수님"))
    counts_before = _counts(store, target.id)
    planned = next(
        item
        for item in json.loads(seeded("list", "--week", WEEK, "--format", "json").output)
        if item["customer_id"] == target.external_id
    )
    # A past gesture logged with a note that names them: the note must leave the audit trail too.
    with Session(store) as session, session.begin():
        past = Gesture(customer_id=target.id, week="2026-W40", kind="cheer_message", currency="KRW", reason="x")
        session.add(past)
        session.flush()
        past_id = past.id
    assert (
        seeded("log", "sent", str(past_id), "--note", f"{target.name} loved it", "--at", "2026-10-01T10:00").exit_code
        == 0
    )
    by_email = seeded("customer", "forget", target.email or "", "--by", "ops")
    assert by_email.exit_code == 0, by_email.output
    feedback_count = counts_before["feedback"]
    assert by_email.output == (
        f"{target.external_id} forgotten: name, contact details, birthday, address, messages and "
        f"{feedback_count} feedback text{'s' if feedback_count != 1 else ''} erased; 1 planned gesture cancelled.\n"
        f"Kept as anonymous counts: {counts_before['orders']} order{'s' if counts_before['orders'] != 1 else ''}, "
        f"{counts_before['gestures'] + 1} gestures.\n"
    )
    erased = customer(store, target.external_id)
    assert erased.erased_at is not None and erased.erased_at <= datetime.now(UTC)
    assert erased.external_id == target.external_id and erased.do_not_contact
    assert all(
        getattr(erased, name) is None
        for name in ("name", "first_name", "email", "phone", "birthday", "postal_code", "city", "address1", "address2")
    )
    assert _counts(store, target.id) == {**counts_before, "gestures": counts_before["gestures"] + 1}
    facts = load_facts(store.url, as_of=date(2026, 11, 30), timezone="Asia/Seoul")  # nothing kept elsewhere
    theirs = facts.filter(pl.col("customer_id") == target.id).row(0, named=True)
    assert (theirs["name"], theirs["first_name"], theirs["days_until_birthday"]) == (None, None, None)
    with Session(store) as session:
        texts = session.execute(select(Feedback.text, Feedback.reply).where(Feedback.customer_id == target.id)).all()
        assert texts and all(row == (None, None) for row in texts)
        gestures = session.execute(select(Gesture).where(Gesture.customer_id == target.id)).scalars().all()
        assert all(g.message is None and g.note in (None, "customer asked to be forgotten") for g in gestures)
        assert next(g for g in gestures if g.id == planned["gesture_id"]).status == "cancelled"
        assert next(g for g in gestures if g.id == past_id).status == "sent"  # what happened stays counted
        details = " ".join(session.execute(select(AuditEvent.detail)).scalars())
    assert target.name not in details and (target.email or "@") not in details
    assert "sent at 2026-10-01 10:00 KST; note erased" in details
    assert customer_events(store, target.id)[0][:2] == ("ops", "forget")
    # Never planned again; found by external id only; forgetting twice says so.
    assert seeded("plan", "--week", WEEK, "--seed", "7", "--as-of", AS_OF).exit_code == 0
    listed = json.loads(seeded("list", "--week", WEEK, "--format", "json").output)
    assert target.external_id not in {item["customer_id"] for item in listed if item["status"] == "planned"}
    again = seeded("customer", "forget", target.external_id)
    assert again.exit_code == 0 and again.output.startswith(f"{target.external_id} was already forgotten:")


def test_unknown_customer_is_one_line(seeded: Callable[..., Result]) -> None:
    for action in ("optout", "forget"):
        result = seeded("customer", action, "NOPE")
        assert result.exit_code == 1
        assert (
            result.output
            == 'Error: no customer "NOPE": give their id as imported, email or name (see `delight facts`)\n'
        )


def _counts(store: Engine, customer_id: int) -> dict[str, int]:
    with Session(store) as session:
        return {
            name: session.execute(select(func.count()).where(table.customer_id == customer_id)).scalar_one()
            for name, table in (("orders", Order), ("gestures", Gesture), ("feedback", Feedback))
        }
