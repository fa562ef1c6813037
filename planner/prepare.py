"""Getting ready for writing day: the week's printouts and cheer messages from the stored plan.

This is where the planner's data becomes the plain data ``printouts`` draws; printouts
themselves never see the database.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, func, select
from sqlmodel import Session

from db.engine import database_path, transaction
from db.models import Customer, Feedback, FeedbackKind, Gesture, GestureStatus, Order, OrderItem, OrderStatus, PlanRun
from db.money import from_minor
from planner import phrases
from planner.errors import NotFound
from planner.feedback import is_overdue
from planner.listening import WHY_WORDS
from planner.output_files import check_output_file
from planner.plan import words_timing
from planner.rules import RuleSet, load_rules
from planner.weekly import resolve_week, waiting_in
from printouts import (
    BriefEntry,
    GiftLabel,
    NoteCard,
    PrintResult,
    WaitingPerson,
    WeekSummary,
    render_briefs,
    render_cards,
    render_labels,
    render_packing_list,
)
from printouts import Feedback as FeedbackView
from printouts import PastGesture as PastGestureView

CARD_KINDS = ("handwritten_note", "small_gift")
GIFT_KIND = "small_gift"
MESSAGE_KIND = "cheer_message"


@dataclass(frozen=True)
class PrintOptions:
    """Where and how to print."""

    week: str | None = None
    output: Path | None = None
    paper: str = "a4"
    layout: str = "a6"
    guide: bool = False
    font_path: Path | None = None
    rules_path: Path | None = None


@dataclass(frozen=True)
class _Planned:
    gesture: Gesture
    customer: Customer


def _planned(session: Session, week: str, kinds: tuple[str, ...] | None = None) -> list[_Planned]:
    query = (
        select(Gesture, Customer)
        .join(Customer, Customer.id == Gesture.customer_id)
        .where(Gesture.week == week, Gesture.status == GestureStatus.PLANNED, Customer.erased_at.is_(None))
        .order_by(Gesture.writer, Gesture.kind, Customer.name, Gesture.id)
    )
    if kinds:
        query = query.where(Gesture.kind.in_(kinds))
    return [_Planned(gesture, customer) for gesture, customer in session.execute(query)]


def _require(planned: list[_Planned], week: str, what: str) -> None:
    if not planned:
        raise NotFound(f"nothing to print: week {week} has no planned {what} (run `delight plan --week {week}`)")


def _output_path(engine: Engine, options: PrintOptions, stem: str, week: str) -> Path:
    """Where a printout goes (``-o``, or ``STEM-WEEK.pdf`` here), checked before anything is drawn."""
    path = options.output or Path(f"{stem}-{week}.pdf")
    check_output_file(path, "pdf", database=database_path(engine))
    return path


def _shop_name(rules: RuleSet) -> str:
    return rules.shop_name or ""


def print_cards(engine: Engine, options: PrintOptions) -> PrintResult:
    """Note cards for the week's handwritten notes and gifts, each writer's stack together."""
    rules = load_rules(options.rules_path)
    week = resolve_week(options.week, rules)
    with transaction(engine) as session:
        planned = _planned(session, week, CARD_KINDS)
    _require(planned, week, "notes or gifts")
    cards = [
        NoteCard(
            display_name=p.customer.name or "",
            language=p.customer.language,
            kind=p.gesture.kind,
            opener=p.gesture.message or "",
            first_name=p.customer.first_name or "",
            writer=p.gesture.writer,
        )
        for p in planned
    ]
    return render_cards(
        cards,
        _output_path(engine, options, "cards", week),
        layout=options.layout,
        guide=options.guide,
        shop_name=_shop_name(rules),
        font_path=options.font_path,
    )


def print_briefs(engine: Engine, options: PrintOptions) -> PrintResult:
    """The writer's brief: who each customer is, why they were chosen, what they said, what they had."""
    rules = load_rules(options.rules_path)
    week = resolve_week(options.week, rules)
    timezone = ZoneInfo(rules.timezone)
    now = datetime.now(UTC)
    with transaction(engine) as session:
        planned = _planned(session, week)
        _require(planned, week, "gestures")
        customer_ids = [p.customer.id for p in planned]
        stats = _order_stats(session, customer_ids)
        last_items = _last_items(session, customer_ids)
        feedback = _last_feedback(session, customer_ids)
        cited = _cited_feedback(session, [p.gesture.feedback_id for p in planned if p.gesture.feedback_id])
        past = _past_gestures(session, customer_ids, week, timezone)
        waiting = waiting_in(session, week, rules)
        run = session.execute(
            select(PlanRun).where(PlanRun.week == week).order_by(PlanRun.id.desc()).limit(1)
        ).scalar_one_or_none()
        used_minor = session.execute(
            select(func.coalesce(func.sum(Gesture.cost_minor), 0)).where(
                Gesture.week == week, Gesture.status.in_([GestureStatus.PLANNED, GestureStatus.SENT])
            )
        ).scalar_one()
    budget = from_minor(run.budget_minor, run.currency) if run else rules.weekly_budget
    currency = run.currency if run else rules.currency
    language = rules.team_language
    entries = []
    for p in planned:
        count, first_at = stats.get(p.customer.id, (0, None))
        said = cited.get(p.gesture.feedback_id) if p.gesture.feedback_id else feedback.get(p.customer.id)
        kind = rules.gestures.get(p.gesture.kind)
        timing = words_timing(p.gesture.for_day, p.gesture.send_by, kind.posting_days if kind else 0)
        entries.append(
            BriefEntry(
                display_name=p.customer.name or "",
                language=p.customer.language,
                kind=p.gesture.kind,
                reason=p.gesture.reason,
                opener=p.gesture.message or "",
                writer=p.gesture.writer,
                customer_since=(first_at or p.customer.created_at).astimezone(timezone).date(),
                orders_count=count,
                last_bought=", ".join(last_items.get(p.customer.id, [])),
                last_feedback=_feedback_view(said, now, timezone, rules.reply_within_days, rules.low_rating),
                past_gestures=tuple(past.get(p.customer.id, [])),
                for_day=phrases.day(p.gesture.for_day, language) if p.gesture.for_day else "",
                send_by=phrases.day(p.gesture.send_by, language) if p.gesture.send_by else "",
                on_the_day=timing == "on_the_day",
            )
        )
    summary = WeekSummary(
        iso_week=week,
        budget=budget,
        budget_used=from_minor(int(used_minor), currency),
        currency=currency,
        shop_name=_shop_name(rules),
        waiting=tuple(
            WaitingPerson(
                person.customer_name, person.customer_id, WHY_WORDS[language][person.listening.why], person.days
            )
            for person in waiting
        ),
    )
    return render_briefs(
        summary,
        entries,
        _output_path(engine, options, "briefs", week),
        paper=options.paper,
        language=language,
        font_path=options.font_path,
    )


def print_labels(engine: Engine, options: PrintOptions) -> tuple[PrintResult, PrintResult]:
    """Address labels for the week's gifts, and the packing list that goes with them."""
    rules = load_rules(options.rules_path)
    week = resolve_week(options.week, rules)
    with transaction(engine) as session:
        planned = _planned(session, week, (GIFT_KIND,))
    _require(planned, week, "gifts")
    labels = [
        GiftLabel(
            name=p.customer.address_name or p.customer.name or "",
            street="\n".join(part for part in (p.customer.address1, p.customer.address2) if part),
            city=p.customer.city or "",
            region=p.customer.region or "",
            postal_code=p.customer.postal_code or "",
            country=p.customer.country or "",
            gift="작은 선물" if p.customer.language == "ko" else "Small gift",
            note=p.gesture.message or "",
        )
        for p in planned
    ]
    path = _output_path(engine, options, "labels", week)
    packing_path = path.with_name(f"{path.stem}-packing-list.pdf")
    check_output_file(packing_path, "pdf", database=database_path(engine))
    sheet = "letter30" if options.paper == "letter" else "a4x21"
    home = "US" if rules.currency == "USD" else "KR"
    labels_result = render_labels(labels, path, sheet=sheet, home_country=home, font_path=options.font_path)
    packing = render_packing_list(
        labels,
        packing_path,
        paper=options.paper,
        title=f"{_shop_name(rules)} {week}".strip(),
        font_path=options.font_path,
    )
    return labels_result, packing


@dataclass(frozen=True)
class Message:
    """A cheer message to send through the shop's own channel."""

    gesture_id: int
    customer_id: str
    customer_name: str
    language: str
    channel: str
    address: str
    message: str


def cheer_messages(engine: Engine, week: str | None, rules_path: Path | None = None) -> list[Message]:
    """The week's planned cheer messages, with the channel to send them through."""
    rules = load_rules(rules_path)
    chosen = resolve_week(week, rules)
    with transaction(engine) as session:
        planned = _planned(session, chosen, (MESSAGE_KIND,))
    return [
        Message(
            gesture_id=p.gesture.id,
            customer_id=p.customer.external_id,
            customer_name=p.customer.name or "",
            language=p.customer.language,
            channel="email" if p.customer.email else "sms" if p.customer.phone else "none",
            address=p.customer.email or p.customer.phone or "",
            message=p.gesture.message or "",
        )
        for p in planned
    ]


def _order_stats(session: Session, customer_ids: list[int]) -> dict[int, tuple[int, datetime | None]]:
    rows = session.execute(
        select(Order.customer_id, func.count(), func.min(Order.placed_at))
        .where(Order.customer_id.in_(customer_ids), Order.status == OrderStatus.PAID)
        .group_by(Order.customer_id)
    )
    return {customer_id: (count, first_at) for customer_id, count, first_at in rows}


def _last_items(session: Session, customer_ids: list[int]) -> dict[int, list[str]]:
    latest = (
        select(Order.customer_id, func.max(Order.placed_at).label("last_at"))
        .where(Order.customer_id.in_(customer_ids), Order.status == OrderStatus.PAID)
        .group_by(Order.customer_id)
        .subquery()
    )
    rows = session.execute(
        select(Order.customer_id, OrderItem.name)
        .join(latest, (latest.c.customer_id == Order.customer_id) & (latest.c.last_at == Order.placed_at))
        .join(OrderItem, OrderItem.order_id == Order.id)
        .where(Order.status == OrderStatus.PAID)
        .order_by(Order.customer_id, OrderItem.id)
    )
    items: dict[int, list[str]] = defaultdict(list)
    for customer_id, name in rows:
        items[customer_id].append(name)
    return items


def _last_feedback(session: Session, customer_ids: list[int]) -> dict[int, Feedback]:
    rows = session.execute(
        select(Feedback)
        .where(Feedback.customer_id.in_(customer_ids), Feedback.text.is_not(None))
        .where(Feedback.kind.in_([FeedbackKind.REVIEW, FeedbackKind.COMPLAINT]))
        .order_by(Feedback.customer_id, Feedback.received_at, Feedback.id)
    ).scalars()
    return {row.customer_id: row for row in rows}


def _cited_feedback(session: Session, feedback_ids: list[int]) -> dict[int, Feedback]:
    """The complaints and reviews gestures answer, by id: the brief quotes what the reason cites."""
    rows = session.execute(select(Feedback).where(Feedback.id.in_(feedback_ids))).scalars()
    return {row.id: row for row in rows}


def _feedback_view(
    row: Feedback | None, now: datetime, timezone: ZoneInfo, reply_within_days: int, low_rating: int = 2
) -> FeedbackView | None:
    if row is None:
        return None
    waiting = (now - row.received_at).days
    overdue = is_overdue(row, now, reply_within_days, low_rating)
    return FeedbackView(
        text=row.text or "",
        on=row.received_at.astimezone(timezone).date(),
        rating=row.rating,
        is_complaint=row.kind == FeedbackKind.COMPLAINT,
        days_without_reply=waiting if overdue else None,
    )


def _past_gestures(
    session: Session, customer_ids: list[int], week: str, timezone: ZoneInfo
) -> dict[int, list[PastGestureView]]:
    logged = (GestureStatus.SENT, GestureStatus.FAILED, GestureStatus.SKIPPED)
    rows = session.execute(
        select(Gesture)
        .where(Gesture.customer_id.in_(customer_ids), Gesture.status.in_(logged), Gesture.week != week)
        .order_by(Gesture.customer_id, Gesture.sent_at)
    ).scalars()
    past: dict[int, list[PastGestureView]] = defaultdict(list)
    for gesture in rows:
        when = gesture.sent_at or gesture.created_at
        past[gesture.customer_id].append(
            PastGestureView(
                kind=gesture.kind,
                on=when.astimezone(timezone).date(),
                words=gesture.message or "",
                status=gesture.status,
                note=gesture.note or "",
            )
        )
    return past
