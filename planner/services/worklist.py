"""The week as a list to work through, for the desk: filter, search, tick, undo, and what changed.

Each function is one request's whole library call. Logging goes through ``planner.services.logbook``,
the same code as `delight log`, and the rows come back as they are after it, so a person sees
what a colleague logged a moment earlier as well as their own change.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from sqlalchemy import Engine, func, or_, select
from sqlmodel import Session

from db.engine import transaction, write_transaction
from db.models import AuditEvent, Customer, Feedback, Gesture, GestureStatus, Order, OrderItem, PlanRun
from planner.core.errors import DelightError, InputError, LogRejected
from planner.core.money import from_minor
from planner.core.rules import load_rules
from planner.core.weeks import monday
from planner.services import logbook, planning
from planner.services.planning import GestureView

# Counted at the desk: everything but the cancelled. Listed unless asked for: all but the held out
# (a big shop holds thousands out a week; they are never sent, so there is nothing to do with them).
SHOWN = tuple(status for status in GestureStatus if status != GestureStatus.CANCELLED)
TO_WORK = tuple(status for status in SHOWN if status != GestureStatus.HELD_OUT)
# A change is sent again to pollers for this long, so that none committed late (out of id order) is missed.
SETTLE = timedelta(seconds=3)
EVERYONE = "*"
MOST_ROWS = 1000  # a page of more would be slow to send and useless to scroll: filter instead


@dataclass(frozen=True)
class WorkFilter:
    """Which of a week's gestures to show. ``writer`` None: the preferred writer's stack if they have one."""

    week: str | None = None
    writer: str | None = None  # a writer's name, or EVERYONE
    kind: str | None = None
    status: str | None = None
    search: str | None = None  # customer id, or part of a name or an email
    prefer_writer: str | None = None
    most: int | None = MOST_ROWS  # rows at most (None: all)


@dataclass(frozen=True)
class Worklist:
    """A week's gestures as one person works through them, and what the whole week looks like."""

    week: str
    writer: str  # the stack shown, or EVERYONE
    rows: list[GestureView]
    counts: dict[str, int]  # the whole week by status
    writers: list[str]
    kinds: list[str]
    watermark: int  # the audit trail's position: changes after it are news
    matching: int  # rows that match; at most ``WorkFilter.most`` of them are in ``rows``


@dataclass(frozen=True)
class Changes:
    """What changed in a week since a watermark: the rows as they are now, and the new watermark."""

    rows: list[GestureView]
    counts: dict[str, int]
    watermark: int
    replanned: bool  # the week was planned again since: new rows may have appeared


@dataclass(frozen=True)
class Ticked:
    """What a tick, an undo or a take-over did, and the rows it touched as they are now."""

    action: str  # "logged", "undone" or "taken"
    count: int  # gestures it changed
    rows: list[GestureView]
    lines: list[str] = field(default_factory=list)  # what it did, in words, for people
    problems: list[str] = field(default_factory=list)  # why nothing was done, one line each
    already: list[logbook.AlreadyLogged] = field(default_factory=list)  # logged first by someone else

    @property
    def ok(self) -> bool:
        """True when it was done."""
        return not self.problems


def _counts(session: Session, week: str) -> dict[str, int]:
    rows = session.execute(
        select(Gesture.status, func.count()).where(Gesture.week == week).group_by(Gesture.status)
    ).all()
    found = dict(rows)
    return {status: found.get(status, 0) for status in SHOWN}


def _watermark(session: Session) -> int:
    """The audit trail's position now, kept behind events younger than ``SETTLE``.

    On PostgreSQL an event can commit after one with a higher id; staying behind the young ones
    means a poller is sent them again rather than missing one that committed late.
    """
    settled_before = datetime.now(UTC) - SETTLE
    recent = session.execute(select(AuditEvent.id, AuditEvent.at).order_by(AuditEvent.id.desc()).limit(100)).all()
    for event_id, at in recent:
        if at < settled_before:
            return event_id
    return recent[-1].id - 1 if recent else 0


def worklist(engine: Engine, chosen: WorkFilter, rules_path: Path | None = None) -> Worklist:
    """The week's gestures that match the filter, with the week's counts, writers and kinds."""
    rules = load_rules(rules_path)
    week = planning.resolve_week(chosen.week, rules)
    if chosen.status is not None and chosen.status not in SHOWN:
        raise InputError(f'status "{chosen.status}" is not one of {", ".join(SHOWN)}')
    with transaction(engine) as session:
        watermark = _watermark(session)  # first: a change made while the rows are read is news
        writers = sorted(
            name
            for name in session.scalars(
                select(Gesture.writer).where(Gesture.week == week, Gesture.writer.is_not(None)).distinct()
            )
        )
        writer = chosen.writer or (chosen.prefer_writer if chosen.prefer_writer in writers else EVERYONE)
        conditions = []
        if writer != EVERYONE:
            conditions.append(Gesture.writer == writer)
        if chosen.kind:
            conditions.append(Gesture.kind == chosen.kind)
        if chosen.search and chosen.search.strip():
            conditions.append(_matches(chosen.search.strip()))
        statuses = [chosen.status] if chosen.status else list(TO_WORK)
        rows = planning.list_gestures_in(session, week, statuses, rules, conditions)
        kinds = sorted(session.scalars(select(Gesture.kind).where(Gesture.week == week).distinct()))
        counts = _counts(session, week)
    return Worklist(week, writer, rows[: chosen.most], counts, writers, kinds, watermark, len(rows))


def _matches(text: str) -> object:
    """A customer whose id is ``text``, or whose name or email holds it (any case)."""
    needle = text.lower()
    return or_(
        Customer.external_id == text,
        func.lower(Customer.name).contains(needle, autoescape=True),
        func.lower(Customer.email).contains(needle, autoescape=True),
    )


def changes_since(engine: Engine, week: str, watermark: int, rules_path: Path | None = None) -> Changes:
    """The week's gestures changed after ``watermark`` (an audit event id), for a page kept up to date.

    A change younger than ``SETTLE`` is sent again on the next visit (see ``_watermark``).
    """
    rules = load_rules(rules_path)
    with transaction(engine) as session:
        now_at = _watermark(session)
        events = session.execute(
            select(AuditEvent.entity, AuditEvent.entity_id).where(
                AuditEvent.id > watermark, AuditEvent.entity.in_(["gesture", "plan_run"])
            )
        ).all()
        changed = {entity_id for entity, entity_id in events if entity == "gesture"}
        runs = [entity_id for entity, entity_id in events if entity == "plan_run"]
        replanned = bool(runs) and bool(
            session.execute(select(func.count()).where(PlanRun.id.in_(runs), PlanRun.week == week)).scalar_one()
        )
        rows = planning.list_gestures_in(session, week, SHOWN, rules, [Gesture.id.in_(changed)]) if changed else []
        counts = _counts(session, week) if events else {}
    return Changes(rows, counts, max(watermark, now_at), replanned)


_Done = tuple[int, list[str], list[logbook.AlreadyLogged]]  # gestures changed, lines, already logged


def _then_rows(
    engine: Engine,
    week: str,
    gesture_ids: Sequence[int],
    action: str,
    change: Callable[[Session], _Done],
    rules_path: Path | None,
) -> Ticked:
    """Make a change (a logbook call) and read the rows it touched as they are then, in one write transaction."""
    if not gesture_ids:
        return Ticked(action, 0, [], problems=["nothing selected: tick the boxes of the gestures first"])
    rules = load_rules(rules_path)
    touched = [Gesture.id.in_(list(gesture_ids))]

    def change_then_read(session: Session) -> tuple[_Done, list[GestureView]]:
        return change(session), planning.list_gestures_in(session, week, SHOWN, rules, touched)

    try:
        (count, lines, already), rows = write_transaction(engine, change_then_read)
        return Ticked(action, count, rows, lines, [], already)
    except LogRejected as rejected:
        problems = [*rejected.details, str(rejected)]
    except DelightError as error:
        problems = [str(error)]
    with transaction(engine) as session:  # nothing was changed: the rows as they are
        rows = planning.list_gestures_in(session, week, SHOWN, rules, touched)
    return Ticked(action, 0, rows, [], problems)


def tick(engine: Engine, week: str, status: str, gesture_ids: Sequence[int], options: logbook.LogOptions) -> Ticked:
    """Log gestures as sent, skipped or failed (all or none, as `delight log`), then the rows as they are."""

    def log(session: Session) -> _Done:
        result = logbook.log_in(session, status, gesture_ids, options)
        return sum(result.logged.values()), result.describe(), result.already

    return _then_rows(engine, week, gesture_ids, "logged", log, options.rules_path)


def undo(engine: Engine, week: str, gesture_id: int, by: str, rules_path: Path | None = None) -> Ticked:
    """Take back a log entry (as `delight log undo`), then the row as it is."""

    def take_back(session: Session) -> _Done:
        (undone,) = logbook.undo_in(session, [gesture_id], by, rules_path)
        return 1, [undone.describe()], []

    return _then_rows(engine, week, [gesture_id], "undone", take_back, rules_path)


def take_over(engine: Engine, week: str, gesture_ids: Sequence[int], by: str, rules_path: Path | None = None) -> Ticked:
    """``by`` takes over planned gestures from whoever's stack they were in, then the rows as they are."""

    def move(session: Session) -> _Done:
        result = logbook.take_over_in(session, gesture_ids, by, by)
        return result.moved, result.describe(), []

    return _then_rows(engine, week, gesture_ids, "taken", move, rules_path)


# --- A customer's page ------------------------------------------------------------------------------


@dataclass(frozen=True)
class OrderLine:
    """An order as the customer page lists it."""

    reference: str
    placed_at: datetime
    status: str
    total: Decimal
    currency: str
    items: list[str]


@dataclass(frozen=True)
class AuditLine:
    """One change to one of the customer's gestures."""

    gesture_id: int
    at: datetime
    actor: str
    action: str
    detail: str


@dataclass(frozen=True)
class CustomerFile:
    """Everything the desk shows about one customer: what `delight explain` says, and their history."""

    explanation: planning.Explanation
    email: str | None
    phone: str | None
    address: str
    language: str
    do_not_contact: bool
    erased: bool
    orders: list[OrderLine]
    orders_total: int
    feedback: list[Feedback]
    gestures: list[GestureView]  # every week's, newest first
    history: list[AuditLine]


ORDERS_SHOWN = 20


def customer_file(
    engine: Engine, reference: str, week: str | None = None, rules_path: Path | None = None
) -> CustomerFile:
    """A customer's page: the explanation for the week, their orders, what they told us, what we did."""
    explanation = planning.explain_customer(engine, reference, week, rules_path)
    rules = load_rules(rules_path)
    with transaction(engine) as session:
        customer = planning.find_customer(session, explanation.customer_id)
        orders = session.execute(
            select(Order).where(Order.customer_id == customer.id).order_by(Order.placed_at.desc()).limit(ORDERS_SHOWN)
        ).scalars()
        orders = list(orders)
        items: dict[int, list[str]] = {}
        for order_id, name, quantity in session.execute(
            select(OrderItem.order_id, OrderItem.name, OrderItem.quantity)
            .where(OrderItem.order_id.in_([order.id for order in orders]))
            .order_by(OrderItem.id)
        ):
            items.setdefault(order_id, []).append(name if quantity == 1 else f"{name} × {quantity}")
        orders_total = session.execute(select(func.count()).where(Order.customer_id == customer.id)).scalar_one()
        feedback = list(
            session.execute(
                select(Feedback).where(Feedback.customer_id == customer.id).order_by(Feedback.received_at.desc())
            ).scalars()
        )
        weeks = sorted(
            set(session.scalars(select(Gesture.week).where(Gesture.customer_id == customer.id))), reverse=True
        )
        gestures = [
            row
            for chosen_week in weeks
            for row in planning.list_gestures_in(
                session, chosen_week, None, rules, [Gesture.customer_id == customer.id]
            )
        ]
        history = [
            AuditLine(event.entity_id, event.at, event.actor, event.action, event.detail)
            for event in session.execute(
                select(AuditEvent)
                .where(AuditEvent.entity == "gesture", AuditEvent.entity_id.in_([g.gesture_id for g in gestures]))
                .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
            ).scalars()
        ]
    address = " ".join(
        part
        for part in (customer.postal_code, customer.region, customer.city, customer.address1, customer.address2)
        if part
    )
    return CustomerFile(
        explanation=explanation,
        email=customer.email,
        phone=customer.phone,
        address=address,
        language=customer.language,
        do_not_contact=customer.do_not_contact,
        erased=customer.erased_at is not None,
        orders=[
            OrderLine(
                order.external_id,
                order.placed_at,
                order.status,
                from_minor(order.total_minor, order.currency),
                order.currency,
                items.get(order.id, []),
            )
            for order in orders
        ],
        orders_total=orders_total,
        feedback=feedback,
        gestures=gestures,
        history=history,
    )


# --- The plan page ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class PlanState:
    """A week before it is (re)planned: what it holds, and the budget the form starts from."""

    week: str
    monday: date
    counts: dict[str, int]
    budget: Decimal  # the week's latest plan's, else the rules' weekly budget
    currency: str
    planned_before: bool


def plan_state(engine: Engine, week: str | None, rules_path: Path | None = None) -> PlanState:
    """What the plan page shows before a preview: the week's gestures by status and its budget."""
    rules = load_rules(rules_path)
    chosen = planning.resolve_week(week, rules)
    with transaction(engine) as session:
        run = session.execute(
            select(PlanRun).where(PlanRun.week == chosen).order_by(PlanRun.id.desc()).limit(1)
        ).scalar_one_or_none()
        counts = _counts(session, chosen)
    budget = from_minor(run.budget_minor, run.currency) if run is not None else rules.weekly_budget
    currency = run.currency if run is not None else rules.currency
    return PlanState(chosen, monday(chosen), counts, budget, currency, run is not None)
