"""Customers' privacy: opting out of every gesture, and being forgotten.

Both are one write transaction that locks the customer, cancels their planned gestures
for this week and later, and leaves an audit event that holds no personal data. A
forgotten customer keeps their row, external id and anonymous counts (orders, gestures),
so re-imports still recognise them (and skip them) and reports stay true.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, func, select, update
from sqlmodel import Session

from db.engine import write_transaction
from db.models import AuditEvent, Customer, Feedback, Gesture, GestureStatus, Order
from planner.core.rules import load_rules
from planner.core.weeks import current_week
from planner.services.logbook import record_event, without_note
from planner.services.planning import find_customer
from planner.terminal import plural

# Everything that says who a customer is or where they live; external_id and language stay.
PERSONAL_FIELDS = (
    "name",
    "first_name",
    "email",
    "phone",
    "birthday",
    "postal_code",
    "country",
    "region",
    "city",
    "address1",
    "address2",
    "address_name",
)
ERASED_REASON = "(erased)"


@dataclass(frozen=True)
class PrivacyResult:
    """What `delight customer optout|forget` did to one customer."""

    customer_id: str
    action: str  # "optout" or "forget"
    already: bool
    cancelled: int
    erased_feedback: int = 0
    kept_orders: int = 0
    kept_gestures: int = 0

    def describe(self) -> str:
        """One or two lines for people."""
        cancelled = f"{plural(self.cancelled, 'planned gesture')} cancelled"
        if self.action == "optout":
            state = "was already opted out" if self.already else "opted out"
            return f"{self.customer_id} {state}: never planned again; {cancelled}."
        state = "was already forgotten" if self.already else "forgotten"
        return (
            f"{self.customer_id} {state}: name, contact details, birthday, address, messages and "
            f"{plural(self.erased_feedback, 'feedback text')} erased; {cancelled}.\n"
            f"Kept as anonymous counts: {plural(self.kept_orders, 'order')}, {plural(self.kept_gestures, 'gesture')}."
        )


def opt_out(engine: Engine, customer_ref: str, by: str, rules_path: Path | None = None) -> PrivacyResult:
    """`delight customer optout`: never plan this customer again (imports never clear it)."""
    this_week = current_week(ZoneInfo(load_rules(rules_path).timezone))

    def work(session: Session) -> PrivacyResult:
        customer = _locked_customer(session, customer_ref)
        already = customer.do_not_contact
        customer.do_not_contact = True
        cancelled = _cancel_planned(session, customer.id, this_week, by, "customer opted out")
        record_event(session, "customer", customer.id, by, "optout", f"do not contact; {cancelled} planned cancelled")
        return PrivacyResult(customer.external_id, "optout", already, cancelled)

    return write_transaction(engine, work)


def forget(engine: Engine, customer_ref: str, by: str, rules_path: Path | None = None) -> PrivacyResult:
    """`delight customer forget`: erase a customer's personal data for good, keeping anonymous counts."""
    this_week = current_week(ZoneInfo(load_rules(rules_path).timezone))

    def work(session: Session) -> PrivacyResult:
        customer = _locked_customer(session, customer_ref)
        already = customer.erased_at is not None
        for name in PERSONAL_FIELDS:
            setattr(customer, name, None)
        customer.do_not_contact = True
        customer.erased_at = customer.erased_at or datetime.now(UTC)
        erased_feedback = session.execute(
            update(Feedback)
            .where(Feedback.customer_id == customer.id, (Feedback.text.is_not(None)) | (Feedback.reply.is_not(None)))
            .values(text=None, reply=None)
        ).rowcount
        gesture_ids = list(session.execute(select(Gesture.id).where(Gesture.customer_id == customer.id)).scalars())
        # Messages, reasons and notes were written to or about them: keep kind, week, status and cost only.
        session.execute(
            update(Gesture)
            .where(Gesture.customer_id == customer.id)
            .values(message=None, reason=ERASED_REASON, note=None)
            .execution_options(synchronize_session=False)
        )
        _erase_notes_in_audit(session, gesture_ids)
        cancelled = _cancel_planned(session, customer.id, this_week, by, "customer asked to be forgotten")
        session.flush()
        orders = session.execute(select(func.count()).where(Order.customer_id == customer.id)).scalar_one()
        record_event(
            session,
            "customer",
            customer.id,
            by,
            "forget",
            f"personal data erased; {erased_feedback} feedback texts erased; {cancelled} planned cancelled; "
            f"kept {orders} orders, {len(gesture_ids)} gestures",
        )
        return PrivacyResult(
            customer.external_id, "forget", already, cancelled, erased_feedback, orders, len(gesture_ids)
        )

    return write_transaction(engine, work)


def _locked_customer(session: Session, reference: str) -> Customer:
    found = find_customer(session, reference)
    customer = session.get(Customer, found.id, with_for_update=True, populate_existing=True)
    assert customer is not None  # found a moment ago, in this transaction
    return customer


def _cancel_planned(session: Session, customer_id: int, this_week: str, by: str, why: str) -> int:
    """Cancel the customer's planned gestures for this week and later, each with an audit event."""
    planned = session.execute(
        select(Gesture)
        .where(Gesture.customer_id == customer_id, Gesture.status == GestureStatus.PLANNED, Gesture.week >= this_week)
        .order_by(Gesture.id)
        .with_for_update()
    ).scalars()
    count = 0
    for gesture in planned:
        gesture.status, gesture.note = GestureStatus.CANCELLED, why
        record_event(session, "gesture", gesture.id, by, "cancelled", why)
        count += 1
    return count


def _erase_notes_in_audit(session: Session, gesture_ids: list[int]) -> None:
    """Take free-text notes (which may name the customer) out of their gestures' audit trail."""
    if not gesture_ids:
        return
    events = session.execute(
        select(AuditEvent).where(AuditEvent.entity == "gesture", AuditEvent.entity_id.in_(gesture_ids))
    ).scalars()
    for event in events:
        event.detail = without_note(event.detail)
