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
from db.models import (
    AuditEvent,
    Customer,
    Feedback,
    FeedbackKind,
    Gesture,
    GestureStatus,
    Order,
    OrderItem,
    OrderStatus,
    PlanRun,
)
from planner.core.errors import InputError, NotFound
from planner.core.money import from_minor
from planner.core.plan import words_timing
from planner.core.rules import PostalAddress, RuleSet, load_rules
from planner.core.weeks import resolve_week
from planner.files.output_files import check_output_file
from planner.services import gifts
from planner.services.feedback import is_overdue
from planner.services.listening import WHY_WORDS, waiting_in
from planner.words import phrases
from printouts import (
    Address,
    BriefEntry,
    Mailing,
    NoteCard,
    OrderSummary,
    PrintResult,
    ShelfLine,
    WaitingPerson,
    WeekSummary,
    format_money,
    render_briefs,
    render_cards,
    render_envelopes,
    render_labels,
    render_packing_list,
)
from printouts import Feedback as FeedbackView
from printouts import PastGesture as PastGestureView
from printouts.layouts import DEFAULT_ENVELOPE


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
    kinds: tuple[str, ...] = ()  # labels and envelopes: only these physical kinds (default: all)
    envelope: str | None = None  # c6, dl, a2 or no10 (default: c6 on A4, a2 on US Letter)
    writer: str | None = None  # one writer's stack only (the desk's "print my stack")


def physical_kinds(rules: RuleSet, only: tuple[str, ...] = ()) -> tuple[str, ...]:
    """The kinds that are posted (``physical = true``): they get cards, envelopes and labels.

    ``only`` narrows them down; a kind there that is not a physical kind of the rules is refused.
    """
    posted = tuple(name for name, kind in rules.gestures.items() if kind.physical)
    for name in only:
        if name not in posted:
            raise InputError(
                f"--kind {name}: not a physical kind in the rules (physical kinds: {', '.join(posted) or 'none'})"
            )
    return only or posted


def message_kinds(rules: RuleSet) -> tuple[str, ...]:
    """The kinds sent through the shop's own channel: neither posted nor a recovery."""
    return tuple(name for name, kind in rules.gestures.items() if not kind.physical and not kind.recovery)


PRINTOUTS = ("cards", "envelopes", "labels", "packing-list", "briefs")


@dataclass(frozen=True)
class Stack:
    """A writer's planned gestures (``writer`` None: the whole week's) and the printouts they make."""

    writer: str | None
    planned: int
    printouts: tuple[str, ...]  # of PRINTOUTS: what has something to print


def stacks(engine: Engine, week: str | None, rules_path: Path | None = None) -> tuple[str, list[Stack]]:
    """The week, its planned gestures as a whole and by writer, and what each can print (the desk's print page)."""
    rules = load_rules(rules_path)
    chosen = resolve_week(week, rules)
    posted = set(physical_kinds(rules))
    with_gifts = {name for name, kind in rules.gestures.items() if kind.gifts}
    query = (
        select(Gesture.writer, Gesture.kind, Gesture.gift, func.count())
        .join(Customer, Customer.id == Gesture.customer_id)
        .where(Gesture.week == chosen, Gesture.status == GestureStatus.PLANNED, Customer.erased_at.is_(None))
        .group_by(Gesture.writer, Gesture.kind, Gesture.gift)
    )
    with transaction(engine) as session:
        groups = session.execute(query).all()

    def stack(writer: str | None) -> Stack:
        mine = [group for group in groups if writer is None or group.writer == writer]
        kinds = {group.kind for group in mine}
        parcels = any(group.kind in posted and (group.gift or group.kind in with_gifts) for group in mine)
        printable = {
            "cards": bool(kinds & posted),
            "envelopes": bool(kinds & posted),
            "labels": bool(kinds & posted),
            "packing-list": parcels,
            "briefs": bool(mine),
        }
        return Stack(writer, sum(group[3] for group in mine), tuple(name for name in PRINTOUTS if printable[name]))

    writers = sorted({group.writer for group in groups if group.writer}, key=str.casefold)
    return chosen, [stack(None), *(stack(writer) for writer in writers)]


@dataclass(frozen=True)
class _Planned:
    gesture: Gesture
    customer: Customer


def _planned(
    session: Session, week: str, kinds: tuple[str, ...] | None = None, writer: str | None = None
) -> list[_Planned]:
    query = (
        select(Gesture, Customer)
        .join(Customer, Customer.id == Gesture.customer_id)
        .where(Gesture.week == week, Gesture.status == GestureStatus.PLANNED, Customer.erased_at.is_(None))
    )
    if kinds is not None:
        query = query.where(Gesture.kind.in_(kinds))
    if writer is not None:
        query = query.where(Gesture.writer == writer)
    planned = [_Planned(gesture, customer) for gesture, customer in session.execute(query)]
    # Cards, envelopes and labels in the same order, so they can be matched: each writer's stack together.
    return sorted(
        planned,
        key=lambda p: (
            p.gesture.writer is None,
            (p.gesture.writer or "").casefold(),
            p.gesture.kind,
            (p.customer.name or "").casefold(),
            p.gesture.id,
        ),
    )


def _require(planned: list[_Planned], week: str, what: str, writer: str | None = None) -> None:
    if planned:
        return
    if writer is not None:
        raise NotFound(f"nothing to print: {writer} has no planned {what} in week {week}")
    raise NotFound(f"nothing to print: week {week} has no planned {what} (run `delight plan --week {week}`)")


def _output_path(engine: Engine, options: PrintOptions, stem: str, week: str) -> Path:
    """Where a printout goes (``-o``, or ``STEM-WEEK.pdf`` here), checked before anything is drawn."""
    path = options.output or Path(f"{stem}-{week}.pdf")
    check_output_file(path, "pdf", database=database_path(engine))
    return path


def _shop_name(rules: RuleSet) -> str:
    """The name a card is headed with: the shop's, else the return address's."""
    return rules.shop_name or (rules.return_address.name if rules.return_address else "")


def _address(address: PostalAddress) -> Address:
    return Address(address.name, address.street, address.city, address.region, address.postal_code, address.country)


def _home_country(rules: RuleSet) -> str:
    """Where the shop posts from: the return address's country, else the currency's."""
    if rules.return_address and rules.return_address.country:
        return rules.return_address.country
    return "US" if rules.currency == "USD" else "KR"


def print_cards(engine: Engine, options: PrintOptions) -> PrintResult:
    """Note cards for the week's posted gestures (every kind with ``physical = true``), each writer's stack together."""
    rules = load_rules(options.rules_path)
    week, planned = _posted(engine, options, rules)
    cards = [
        NoteCard(
            display_name=p.customer.name or "",
            language=p.customer.language,
            kind=p.gesture.kind,
            opener=p.gesture.message or "",
            first_name=p.customer.first_name or "",
            writer=p.gesture.writer,
            gesture_id=p.gesture.id,
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
        planned = _planned(session, week, writer=options.writer)
        _require(planned, week, "gestures", options.writer)
        customer_ids = [p.customer.id for p in planned]
        stats = _order_stats(session, customer_ids)
        last_items = _last_items(session, customer_ids)
        feedback = _last_feedback(session, customer_ids)
        cited = _cited_feedback(session, [p.gesture.feedback_id for p in planned if p.gesture.feedback_id])
        calls = [p for p in planned if (kind := rules.gestures.get(p.gesture.kind)) is not None and kind.recovery]
        orders = _orders_for_calls(session, calls, cited, timezone)
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
        call = kind is not None and kind.recovery
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
                gesture_id=p.gesture.id,
                gift=p.gesture.gift or "",
                call=call,
                phone=(p.customer.phone or "") if call else "",
                ordered=orders.get(p.gesture.id),
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


def _posted(engine: Engine, options: PrintOptions, rules: RuleSet) -> tuple[str, list[_Planned]]:
    """The week, and its planned gestures of the physical kinds asked for (all of them by default)."""
    week = resolve_week(options.week, rules)
    kinds = physical_kinds(rules, options.kinds)
    with transaction(engine) as session:
        planned = _planned(session, week, kinds, options.writer)
    what = " or ".join(kind.replace("_", " ") for kind in kinds) or "posted gestures"
    _require(planned, week, what, options.writer)
    return week, planned


def _mailing(p: _Planned) -> Mailing:
    customer = p.customer
    street = "\n".join(part for part in (customer.address1, customer.address2) if part)
    to = Address(
        customer.address_name or customer.name or "",
        street,
        customer.city or "",
        customer.region or "",
        customer.postal_code or "",
        customer.country or "",
    )
    return Mailing(to, p.gesture.kind, p.gesture.id, p.gesture.writer, p.gesture.gift or "")


def print_labels(engine: Engine, options: PrintOptions) -> tuple[PrintResult, PrintResult | None]:
    """Address labels for the week's posted gestures, and, when gifts are among them, the packing list."""
    rules = load_rules(options.rules_path)
    week, planned = _posted(engine, options, rules)
    mailings = [_mailing(p) for p in planned]
    path = _output_path(engine, options, "labels", week)
    packing_path = path.with_name(f"{path.stem}-packing-list.pdf")
    check_output_file(packing_path, "pdf", database=database_path(engine))
    sheet = "letter30" if options.paper == "letter" else "a4x21"
    sender = _address(rules.return_address) if rules.return_address else None
    home = _home_country(rules)
    labels_result = render_labels(
        mailings, path, sheet=sheet, home_country=home, return_address=sender, font_path=options.font_path
    )
    with_gifts = {name for name, kind in rules.gestures.items() if kind.gifts}
    parcels = [m for m in mailings if m.gift or m.kind in with_gifts]
    if not parcels:
        return labels_result, None
    with transaction(engine) as session:
        stock = [item for item in gifts.shelf(session.connection(), rules) if item.kind in {m.kind for m in parcels}]
    packing = render_packing_list(
        parcels,
        packing_path,
        shelf=[
            ShelfLine(
                item.gift.name,
                sum(1 for m in parcels if m.gift == item.gift.name),
                item.on_hand,
                item.gift.counted_on,
                item.sent_since_count,
            )
            for item in stock
        ],
        paper=options.paper,
        language=rules.team_language,
        title=f"{_shop_name(rules)} {week}".strip(),
        font_path=options.font_path,
    )
    return labels_result, packing


def print_packing_list(engine: Engine, options: PrintOptions) -> PrintResult:
    """The packing list on its own (its labels are written beside it): NotFound when nothing posted carries a gift."""
    _labels, packing = print_labels(engine, options)
    if packing is not None:
        return packing
    week = resolve_week(options.week, load_rules(options.rules_path))
    if options.writer is not None:
        raise NotFound(f"nothing to print: {options.writer} has no planned gifts to pack in week {week}")
    raise NotFound(f"nothing to print: week {week} has no planned gifts to pack")


def print_envelopes(engine: Engine, options: PrintOptions) -> PrintResult:
    """Envelopes for the week's posted gestures, in the cards' order, with the return address."""
    rules = load_rules(options.rules_path)
    week, planned = _posted(engine, options, rules)
    return render_envelopes(
        [_mailing(p) for p in planned],
        _output_path(engine, options, "envelopes", week),
        size=options.envelope or DEFAULT_ENVELOPE[options.paper],
        home_country=_home_country(rules),
        return_address=_address(rules.return_address) if rules.return_address else None,
        font_path=options.font_path,
    )


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
        planned = _planned(session, chosen, message_kinds(rules))
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


def _orders_for_calls(
    session: Session, calls: list[_Planned], cited: dict[int, Feedback], timezone: ZoneInfo
) -> dict[int, OrderSummary]:
    """What each call's customer ordered, by gesture id: the order their complaint or review is
    about, else their latest purchase."""
    wanted: dict[int, int | None] = {}  # gesture id → order id (None: the latest)
    for p in calls:
        said = cited.get(p.gesture.feedback_id) if p.gesture.feedback_id else None
        wanted[p.gesture.id] = said.order_id if said is not None else None
    purchases = session.execute(
        select(Order.customer_id, Order.id)
        .where(Order.customer_id.in_([p.customer.id for p in calls]), Order.status == OrderStatus.PAID)
        .order_by(Order.placed_at, Order.id)
    )
    latest = dict(purchases.all())  # the last one per customer wins
    order_ids = {p.gesture.id: wanted[p.gesture.id] or latest.get(p.customer.id) for p in calls}
    rows = session.execute(
        select(Order, OrderItem.name)
        .join(OrderItem, OrderItem.order_id == Order.id, isouter=True)
        .where(Order.id.in_([order_id for order_id in order_ids.values() if order_id]))
        .order_by(Order.id, OrderItem.id)
    )
    orders: dict[int, Order] = {}
    items: dict[int, list[str]] = defaultdict(list)
    for order, item in rows:
        orders[order.id] = order
        if item:
            items[order.id].append(item)
    summaries = {}
    for gesture_id, order_id in order_ids.items():
        order = orders.get(order_id) if order_id else None
        if order is not None:
            total = format_money(from_minor(order.total_minor, order.currency), order.currency)
            summaries[gesture_id] = OrderSummary(
                order.placed_at.astimezone(timezone).date(), ", ".join(items[order.id]), total
            )
    return summaries


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
    """What each customer had before, with who logged it and when (a failed or skipped one: from the audit trail)."""
    logged = (GestureStatus.SENT, GestureStatus.FAILED, GestureStatus.SKIPPED)
    gestures = (
        session.execute(
            select(Gesture)
            .where(Gesture.customer_id.in_(customer_ids), Gesture.status.in_(logged), Gesture.week != week)
            .order_by(Gesture.customer_id, Gesture.sent_at)
        )
        .scalars()
        .all()
    )
    not_sent = [g.id for g in gestures if g.status != GestureStatus.SENT]
    logged_by: dict[int, tuple[str, datetime]] = {}
    if not_sent:
        events = session.execute(
            select(AuditEvent.entity_id, AuditEvent.actor, AuditEvent.at, AuditEvent.action)
            .where(AuditEvent.entity == "gesture", AuditEvent.entity_id.in_(not_sent))
            .order_by(AuditEvent.id)
        )
        statuses = {g.id: g.status for g in gestures}
        for gesture_id, actor, at, action in events:
            if action == statuses[gesture_id]:
                logged_by[gesture_id] = (actor, at)  # the latest one counts
    past: dict[int, list[PastGestureView]] = defaultdict(list)
    for gesture in gestures:
        by, at = logged_by.get(gesture.id, (gesture.sent_by or "", gesture.sent_at or gesture.created_at))
        past[gesture.customer_id].append(
            PastGestureView(
                kind=gesture.kind,
                on=at.astimezone(timezone).date(),
                words=gesture.message or "",
                status=gesture.status,
                note=gesture.note or "",
                by=by,
            )
        )
    return past
