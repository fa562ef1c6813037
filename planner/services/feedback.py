"""Listening: the feedback inbox. Reviews, complaints, surveys and requests, and a person's reply.

Who replied or resolved, and when, is kept on the feedback row and in an ``AuditEvent`` each.
A complaint, or a rating of 2 or less, that has had no reply from a person after
``reply_within_days`` (a rules setting, default 2) is overdue. A complaint stays open, and
the planner keeps that customer to recovery gestures only, until someone resolves it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, case, or_, select
from sqlalchemy.sql import ColumnElement
from sqlmodel import Session

from db.engine import transaction
from db.models import AuditEvent, Customer, Feedback, FeedbackKind
from planner.core.errors import InputError, NotFound, refuse_batch
from planner.core.limits import MAX_ID
from planner.core.rules import DEFAULT_LOW_RATING, load_rules
from planner.files.spreadsheet import Sheet
from planner.terminal import checked_name, clean, fit, table, to_json

if TYPE_CHECKING:
    from planner.words.tone import Flag

FIELDS = (
    "feedback_id",
    "reference",
    "customer_id",
    "customer_name",
    "kind",
    "rating",
    "text",
    "received_at",
    "status",
    "waiting_days",
    "overdue",
    "reply",
    "replied_by",
    "replied_at",
    "resolved_by",
    "resolved_at",
)


@dataclass(frozen=True)
class FeedbackItem:
    """One piece of feedback as the inbox shows it."""

    feedback_id: int
    reference: str | None
    customer_id: str
    customer_name: str
    kind: str
    rating: int | None
    text: str
    received_at: datetime
    reply: str | None
    replied_by: str | None
    replied_at: datetime | None
    resolved_by: str | None
    resolved_at: datetime | None
    waiting_days: int | None  # days with no reply from a person, while it is open; None once answered
    overdue: bool
    status: str  # overdue, waiting, open (a replied complaint not yet resolved), replied or resolved


def _status(row: Feedback, overdue: bool) -> str:
    if row.resolved_at is not None:
        return "resolved"
    if overdue:
        return "overdue"
    if row.replied_at is None:
        return "waiting"
    return "open" if row.kind == FeedbackKind.COMPLAINT else "replied"


@dataclass(frozen=True)
class FeedbackFilter:
    """What `delight feedback list` was asked for."""

    open_only: bool = False
    overdue_only: bool = False
    max_rating: int | None = None
    kind: str | None = None
    limit: int | None = 100
    # Overdue first, then other complaints and low ratings still open (oldest first), then the rest still
    # open, then everything else (newest first).
    attention_first: bool = False


@dataclass(frozen=True)
class Inbox:
    """What `delight feedback list` shows: the items, and the settings they were judged by."""

    items: list[FeedbackItem]
    reply_within_days: int
    timezone: str


def needs_reply(kind: str, rating: int | None, low_rating: int = DEFAULT_LOW_RATING) -> bool:
    """A complaint or a low rating (``low_rating`` or less, a rules setting) must have a reply from a person."""
    return kind == FeedbackKind.COMPLAINT or (rating is not None and rating <= low_rating)


def is_overdue(row: Feedback, now: datetime, days: int, low_rating: int = DEFAULT_LOW_RATING) -> bool:
    """True when ``row`` needs a reply, has none, is unresolved and has waited ``days`` days or more."""
    return (
        needs_reply(row.kind, row.rating, low_rating)
        and row.replied_at is None
        and row.resolved_at is None
        and (now - row.received_at).days >= days
    )


def _item(
    row: Feedback, customer: Customer, now: datetime, days: int, low_rating: int = DEFAULT_LOW_RATING
) -> FeedbackItem:
    waiting = (now - row.received_at).days if row.replied_at is None and row.resolved_at is None else None
    overdue = is_overdue(row, now, days, low_rating)
    return FeedbackItem(
        feedback_id=row.id,
        reference=row.external_id,
        customer_id=customer.external_id,
        customer_name="(erased)" if customer.erased_at is not None else customer.name or "",
        kind=row.kind,
        rating=row.rating,
        text=row.text or "",
        received_at=row.received_at,
        reply=row.reply,
        replied_by=row.replied_by,
        replied_at=row.replied_at,
        resolved_by=row.resolved_by,
        resolved_at=row.resolved_at,
        waiting_days=waiting,
        overdue=overdue,
        status=_status(row, overdue),
    )


def _overdue(now: datetime, days: int, low_rating: int) -> ColumnElement[bool]:
    """``is_overdue`` as a condition: needs a person's reply, has none, unresolved, waited ``days`` or more."""
    return (
        Feedback.replied_at.is_(None)
        & Feedback.resolved_at.is_(None)
        & or_(Feedback.kind == FeedbackKind.COMPLAINT, Feedback.rating <= low_rating)
        & (Feedback.received_at <= now - timedelta(days=days))
    )


def _is_open() -> ColumnElement[bool]:
    """Still waiting for a person: not resolved, and no reply yet (a complaint stays open until resolved)."""
    return Feedback.resolved_at.is_(None) & or_(Feedback.replied_at.is_(None), Feedback.kind == FeedbackKind.COMPLAINT)


def list_feedback(
    engine: Engine, filters: FeedbackFilter, rules_path: Path | None = None, now: datetime | None = None
) -> Inbox:
    """`delight feedback list`: newest first, each with its reply, wait and overdue flag."""
    if filters.kind is not None and filters.kind not in set(FeedbackKind):
        raise InputError(f'--kind "{filters.kind}" is not a feedback kind (use {", ".join(FeedbackKind)})')
    rules = load_rules(rules_path)
    days = rules.reply_within_days
    now = now or datetime.now(UTC)
    query = select(Feedback, Customer).join(Customer, Customer.id == Feedback.customer_id)
    if filters.open_only:
        query = query.where(_is_open())
    if filters.overdue_only:
        query = query.where(_overdue(now, days, rules.low_rating))
    if filters.max_rating is not None:
        query = query.where(Feedback.rating <= filters.max_rating)
    if filters.kind is not None:
        query = query.where(Feedback.kind == filters.kind)
    if filters.attention_first:
        owed = _is_open() & or_(Feedback.kind == FeedbackKind.COMPLAINT, Feedback.rating <= rules.low_rating)
        overdue = owed & Feedback.replied_at.is_(None) & (Feedback.received_at <= now - timedelta(days=days))
        bucket = case((overdue, 0), (owed, 1), (_is_open(), 2), else_=3)
        oldest_first = case((bucket < 2, Feedback.received_at))
        query = query.order_by(bucket, oldest_first, Feedback.received_at.desc(), Feedback.id.desc())
    else:
        query = query.order_by(Feedback.received_at.desc(), Feedback.id.desc())
    if filters.limit:
        query = query.limit(filters.limit)
    with transaction(engine) as session:
        items = [_item(row, customer, now, days, rules.low_rating) for row, customer in session.execute(query)]
    return Inbox(items, days, rules.timezone)


def overdue_feedback(
    session: Session, now: datetime, days: int, low_rating: int = DEFAULT_LOW_RATING
) -> list[FeedbackItem]:
    """Complaints and low ratings with no reply from a person after ``days`` days, oldest first.

    Erased customers are left out. For `delight week` and anything else that asks who is waiting.
    """
    query = (
        select(Feedback, Customer)
        .join(Customer, Customer.id == Feedback.customer_id)
        .where(Customer.erased_at.is_(None), _overdue(now, days, low_rating))
        .order_by(Feedback.received_at, Feedback.id)
    )
    return [_item(row, customer, now, days, low_rating) for row, customer in session.execute(query)]


def _find(session: Session, reference: str) -> tuple[Feedback, Customer]:
    found = _look_up(session, reference)
    if found is None:
        raise NotFound(_not_found(reference))
    return found


def _look_up(session: Session, reference: str) -> tuple[Feedback, Customer] | None:
    query = select(Feedback, Customer).join(Customer, Customer.id == Feedback.customer_id)
    key = reference.strip()
    # An id as `delight feedback list` shows it, else a reference as imported.
    number = int(key) if key.isascii() and key.isdigit() else None
    condition = Feedback.id == number if number is not None and number <= MAX_ID else Feedback.external_id == key
    found = session.execute(query.where(condition).with_for_update()).first()
    return None if found is None else (found[0], found[1])


def _not_found(reference: str) -> str:
    return f'no feedback "{reference}": use the id shown by `delight feedback list`'


def reply_to(
    engine: Engine, reference: str, by: str, text: str, rules_path: Path | None = None, now: datetime | None = None
) -> FeedbackItem:
    """Record a person's reply to a piece of feedback (a new reply replaces the last; the audit keeps both)."""
    by = checked_name(by, "--by", "replied")
    text = text.strip()
    if not text:
        raise InputError("--text is empty: write the reply you sent")
    rules = load_rules(rules_path)
    days = rules.reply_within_days
    now = now or datetime.now(UTC)
    with transaction(engine) as session:
        row, customer = _find(session, reference)
        if customer.erased_at is not None:
            raise InputError(f"feedback {row.id} belongs to an erased customer: there is no one to reply to")
        detail = f"reply to {row.kind}"
        if row.replied_at is not None:
            detail += f"; replaces the reply by {row.replied_by} of {row.replied_at:%Y-%m-%d %H:%M} UTC"
        row.reply, row.replied_by, row.replied_at = text, by, now
        session.add(AuditEvent(at=now, actor=by, entity="feedback", entity_id=row.id, action="reply", detail=detail))
        session.flush()
        return _item(row, customer, now, days, rules.low_rating)


@dataclass(frozen=True)
class CheckedReply:
    """A reply through the tone check: the feedback as it is now, the flags, and whether it was recorded."""

    item: FeedbackItem
    flags: list[Flag]
    recorded: bool


def reply_checked(
    engine: Engine,
    reference: str,
    by: str,
    text: str,
    *,
    anyway: bool = False,
    rules_path: Path | None = None,
    lexicon_path: Path | None = None,
) -> CheckedReply:
    """The desk's reply: the tone check reads it first, and words with a blocking flag are not recorded
    (unless ``anyway``: the reply went out as written); warnings come back with the recorded reply."""
    from planner.words.tone import check_text, load_lexicon  # the analyser loads only when a reply is checked

    flags = check_text(text, load_lexicon(lexicon_path))
    if not anyway and any(flag.blocking for flag in flags):
        return CheckedReply(feedback_item(engine, reference, rules_path), flags, recorded=False)
    return CheckedReply(reply_to(engine, reference, by, text, rules_path), flags, recorded=True)


def feedback_item(engine: Engine, reference: str, rules_path: Path | None = None) -> FeedbackItem:
    """One piece of feedback as the inbox shows it, by its id or its reference."""
    rules = load_rules(rules_path)
    with transaction(engine) as session:
        row, customer = _find(session, reference)
        return _item(row, customer, datetime.now(UTC), rules.reply_within_days, rules.low_rating)


def resolve(
    engine: Engine, references: Sequence[str], by: str, rules_path: Path | None = None, now: datetime | None = None
) -> list[FeedbackItem]:
    """Close pieces of feedback, all or none (for a complaint: the customer may have surprises again)."""
    by = checked_name(by, "--by", "resolved it")
    rules = load_rules(rules_path)
    days = rules.reply_within_days
    now = now or datetime.now(UTC)
    unique = list(dict.fromkeys(reference.strip() for reference in references))
    with transaction(engine) as session:
        chosen: dict[int, tuple[Feedback, Customer]] = {}  # "42" and "F42" may name the same one
        problems = []
        for reference in unique:
            found = _look_up(session, reference)
            if found is None:
                problems.append(_not_found(reference))
            elif found[0].resolved_at is not None:
                row = found[0]
                problems.append(
                    f"feedback {row.id} was already resolved by {row.resolved_by} on {row.resolved_at:%Y-%m-%d}"
                )
            else:
                chosen.setdefault(found[0].id, found)
        refuse_batch(problems, len(unique), "pieces of feedback", "resolved")
        items = []
        for row, customer in chosen.values():
            row.resolved_at, row.resolved_by = now, by
            detail = f"resolved {row.kind}" + ("" if row.replied_at else " without a recorded reply")
            session.add(
                AuditEvent(at=now, actor=by, entity="feedback", entity_id=row.id, action="resolve", detail=detail)
            )
            items.append(_item(row, customer, now, days, rules.low_rating))
        session.flush()
        return items


# --- How the inbox reads ----------------------------------------------------------------------------


def feedback_output(inbox: Inbox, output_format: str) -> str | Sheet:
    """The inbox as a table, JSON or a sheet (CSV/xlsx); dates in the shop's time zone for the table."""
    items = inbox.items
    if output_format == "json":
        return to_json([asdict(item) for item in items])
    rows = [[getattr(item, name) for name in FIELDS] for item in items]
    if output_format in ("csv", "xlsx"):
        return Sheet(FIELDS, rows, "feedback")
    if not items:
        return "No feedback matches."
    zone = ZoneInfo(inbox.timezone)
    table_rows = [
        [
            item.feedback_id,
            f"{item.received_at.astimezone(zone):%Y-%m-%d}",
            item.kind,
            "" if item.rating is None else str(item.rating),
            item.customer_name,
            fit(clean(item.text), 36),
            _answer(item, zone),
            item.status.upper() if item.overdue else item.status,
        ]
        for item in items
    ]
    overdue = sum(1 for item in items if item.overdue)
    summary = f"{len(items)} shown; {overdue} overdue (no reply from a person within {inbox.reply_within_days} days)."
    return table(["id", "received", "kind", "rating", "customer", "said", "reply", "status"], table_rows) + (
        "\n\n" + summary
    )


def _answer(item: FeedbackItem, zone: tzinfo) -> str:
    if item.replied_at is not None:
        return f"{item.replied_by}, {item.replied_at.astimezone(zone):%Y-%m-%d}"
    if item.waiting_days is not None:
        return f"none for {item.waiting_days} days"
    return "none"


def describe_change(item: FeedbackItem, action: str) -> str:
    """One line after a reply or a resolution."""
    who = f"{item.kind} from {item.customer_name or item.customer_id}"
    if action == "reply":
        line = f"Recorded {item.replied_by}'s reply to feedback {item.feedback_id} ({who})."
        if item.kind == FeedbackKind.COMPLAINT and item.resolved_at is None:
            line += f" The complaint stays open until `delight feedback resolve {item.feedback_id}`."
        return line
    return f"Resolved feedback {item.feedback_id} ({who}), by {item.resolved_by}."
