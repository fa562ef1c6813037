"""The planner's week, end to end: load the inputs, plan, store, list and explain.

Each function here is one command's whole library call; the CLI only formats.
"""

from __future__ import annotations

import secrets
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import polars as pl
from sqlalchemy import Connection, Engine, case, func, or_, select, text, update
from sqlalchemy.sql import ColumnElement
from sqlmodel import Session

from db.engine import bulk_insert, hold_lock, transaction
from db.frames import load_facts, read_last_items
from db.models import AuditEvent, Customer, Gesture, GestureStatus, PlanRun, utc_now
from db.vocabulary import TAKING_BUDGET
from planner.core.errors import InputError, NotFound
from planner.core.facts import FACTS, PastGesture, Profile, as_utc
from planner.core.facts_frame import with_money
from planner.core.money import from_minor, shop_currency, to_minor
from planner.core.plan import (
    WILDCARD_RULE,
    Customers,
    Decision,
    Plan,
    PlanRequest,
    WordsUsed,
    in_holdout,
    make_plan,
    words_timing,
)
from planner.core.rules import LANGUAGES, RuleSet, load_rules, parse_rules
from planner.core.weeks import current_week, end_of_day, monday, resolve_week
from planner.services import gifts
from planner.services.listening import Listening, Waiting, load_listening, waiting_for
from planner.terminal import clean
from planner.words.templates import TemplateLibrary, load_templates
from planner.words.tone import load_lexicon

# Statuses that mean a person already acted on a gesture: re-planning keeps them.
KEPT = (GestureStatus.SENT, GestureStatus.SKIPPED, GestureStatus.FAILED)
# A week's gestures that take its writing capacity (a skipped or failed one frees its place)...
TAKING_CAPACITY = (GestureStatus.PLANNED, GestureStatus.SENT)
# ...and its budget (a failed one was paid for: the card, the postage).
# The advisory locks (PostgreSQL) that keep two plans of one week from running at once: "dlgt".
PLAN_LOCKS = 0x646C6774


@dataclass(frozen=True)
class PlanOptions:
    """What `delight plan` was asked for; ``None`` means the default."""

    week: str | None = None
    rules_path: Path | None = None
    budget: Decimal | None = None
    seed: int | None = None
    as_of: date | None = None
    # The team's templates folder and lexicon; None finds them (env, then ./delight-templates/ ...).
    templates_dir: Path | None = None
    lexicon_path: Path | None = None
    # Redraw a week already planned (what is only planned or held out is cancelled); else it is kept.
    replace: bool = False
    # Work the plan out exactly as storing it would, then store nothing (the desk's preview).
    preview: bool = False


@dataclass(frozen=True)
class GestureView:
    """A stored gesture with its customer, as `delight list` shows it."""

    gesture_id: int
    customer_id: str
    customer_name: str
    language: str
    kind: str
    rule: str | None
    status: str
    cost: Decimal
    currency: str
    reason: str
    week: str
    writer: str | None
    message: str | None
    for_day: date | None = None
    send_by: date | None = None
    gift: str | None = None
    sent_by: str | None = None
    sent_at: datetime | None = None
    note: str | None = None
    # How to reach them, only where the gesture needs it: the phone for a call, the address for the post.
    phone: str | None = None
    address1: str | None = None
    address2: str | None = None
    city: str | None = None
    region: str | None = None
    postal_code: str | None = None
    country: str | None = None


@dataclass(frozen=True)
class WeekList:
    """`delight list`: a week's gestures, and how many of those not shown were held out or cancelled."""

    week: str
    gestures: list[GestureView]
    held_out: int = 0
    cancelled: int = 0
    language: str = "en"  # the team's, for headings


@dataclass(frozen=True)
class PlanResult:
    """A stored plan: the run's id and inputs, the gestures made, and the planner's totals."""

    run_id: int
    week: str
    as_of: date
    seed: int
    currency: str
    rules: RuleSet
    plan: Plan
    gestures: list[GestureView]  # the ones this run planned
    held_out: int
    replaced: int  # with ``--replace``: planned or held-out gestures cancelled to redraw the week
    kept: int = 0  # planned gestures of an earlier run, kept as they were
    added: int = 0  # new gestures this run
    cancelled: list[GestureView] = field(default_factory=list)  # planned surprises for someone now owed a person
    waiting: list[Waiting] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)  # wall time of each step: facts, planning, storing


@dataclass(frozen=True)
class Explanation:
    """Why a customer was or was not chosen in a week."""

    customer_id: str
    customer_name: str
    week: str
    as_of: date
    facts: dict[str, object]
    rules: list[tuple[str, str, bool]]  # (rule name, gesture kind, matched)
    decision: Decision | None
    stored: list[GestureView]
    blocked_by: str | None
    listening: Listening | None = None


# The gestures that count when planning a week: what people acted on, and plans for other weeks.
_COUNTED = "(status IN ('sent', 'skipped', 'failed') OR (status = 'planned' AND week <> :week))"


def load_history(connection: Connection, week: str, timezone: ZoneInfo) -> dict[int, list[PastGesture]]:
    """Every gesture that counts for planning ``week``: sent, logged, and planned for other weeks."""
    rows = connection.execute(
        text(f"SELECT customer_id, week, kind, status, template, sent_at, gift FROM gestures WHERE {_COUNTED}"),
        {"week": week},
    )
    history: dict[int, list[PastGesture]] = defaultdict(list)
    for customer_id, gesture_week, kind, status, template, sent_at, gift in rows:
        sent_on = as_utc(sent_at).astimezone(timezone).date() if sent_at is not None else None
        history[customer_id].append(PastGesture(customer_id, gesture_week, kind, status, template, sent_on, gift))
    return history


def load_openers(connection: Connection, week: str, templates: TemplateLibrary) -> dict[int, frozenset[str]]:
    """Openers (``Template.opener``) each customer had before, from the gestures ``load_history`` counts.

    A gesture planned before openers were stored has its template's opener, if the template still exists.
    """
    rows = connection.execute(
        text(f"SELECT customer_id, template, opener FROM gestures WHERE template IS NOT NULL AND {_COUNTED}"),
        {"week": week},
    )
    by_id = {template.id: template.opener for template in templates.templates}
    past: dict[int, set[str]] = defaultdict(set)
    for customer_id, template, opener in rows:
        if opener or template in by_id:
            past[customer_id].add(opener or by_id[template])
    return {customer_id: frozenset(keys) for customer_id, keys in past.items()}


@dataclass
class _WeekSoFar:
    """What a week already holds when it is planned again: its gestures, and what they take."""

    gestures: list[Gesture]
    spent: Decimal = Decimal(0)
    used: dict[str, int] = field(default_factory=dict)
    writer_load: dict[str, int] = field(default_factory=dict)
    words: list[WordsUsed] = field(default_factory=list)

    @property
    def planned(self) -> list[Gesture]:
        return [g for g in self.gestures if g.status in (GestureStatus.PLANNED, GestureStatus.HELD_OUT)]


def _week_so_far(session: Session, week: str, rules: RuleSet, before_run: int | None = None) -> _WeekSoFar:
    """The week's gestures that are not cancelled (those of plan runs before ``before_run``, if given),
    with the capacity, writers' load and budget they take, and their words."""
    query = select(Gesture, Customer.language).join(Customer, Customer.id == Gesture.customer_id)
    query = query.where(Gesture.week == week, Gesture.status != GestureStatus.CANCELLED).order_by(Gesture.id)
    if before_run is not None:
        query = query.where((Gesture.plan_run_id < before_run) | Gesture.plan_run_id.is_(None))
    rows = list(session.execute(query))
    so_far = _WeekSoFar([gesture for gesture, _language in rows])
    spent_minor, used, writers = 0, defaultdict(int), defaultdict(int)
    occasions = {rule.name: rule.occasion for rule in rules.rules}
    for gesture, language in rows:
        if gesture.status in TAKING_BUDGET:
            spent_minor += gesture.cost_minor
        if gesture.status in TAKING_CAPACITY:
            used[gesture.kind] += 1
            if gesture.writer:
                writers[gesture.writer] += 1
        if gesture.opener and gesture.status != GestureStatus.HELD_OUT:
            kind = rules.gestures.get(gesture.kind)
            timing = words_timing(gesture.for_day, gesture.send_by, kind.posting_days if kind else 0)
            group = (gesture.kind, language, occasions.get(gesture.rule or ""), timing)
            so_far.words.append(WordsUsed(gesture.writer, group, gesture.opener))
    so_far.spent, so_far.used, so_far.writer_load = from_minor(spent_minor, rules.currency), dict(used), dict(writers)
    return so_far


def facts_for_planning(rules: RuleSet) -> list[str]:
    """The facts a plan reads: those the rules' conditions and reasons use, and what the planner
    and the words need about everyone (language, open complaints, days to birthdays and
    anniversaries, years as a customer). The latest items, unless a rule uses them, are looked
    up for the customers whose words are chosen (``PlanRequest.last_items``)."""
    needed = {
        "language",
        "has_open_complaint",
        "days_since_first_order",
        "days_until_birthday",
        "days_until_first_order_anniversary",
    }
    for rule in rules.rules:
        needed.update(rule.condition(rules.currency).facts_used)
        for language in LANGUAGES:
            needed.update(rule.reason_facts(language))
    return [fact.name for fact in FACTS if fact.name in needed]


def _planning_request(
    session: Session,
    rules: RuleSet,
    week: str,
    as_of: date,
    seed: int,
    budget: Decimal,
    templates: TemplateLibrary,
    so_far: _WeekSoFar,
    customers: pl.DataFrame,
) -> tuple[PlanRequest, dict[int, Listening]]:
    """Everything the planner needs for a week besides the facts (``customers``), loaded in the
    caller's transaction."""
    connection = session.connection()
    timezone = ZoneInfo(rules.timezone)
    until = end_of_day(as_of, timezone)
    history = load_history(connection, week, timezone)
    for gesture in so_far.planned:  # already planned (or held out) this week: they count as this week's
        history[gesture.customer_id].append(
            PastGesture(gesture.customer_id, week, gesture.kind, gesture.status, gesture.template, None, gesture.gift)
        )
    listening = load_listening(
        connection,
        until=until,
        week=week,
        timezone=timezone,
        low_rating=rules.low_rating,
        recovery_kinds=[kind.name for kind in rules.recovery_kinds],
    )
    request = PlanRequest(
        week=week,
        as_of=as_of,
        seed=seed,
        rules=rules,
        budget=budget,
        customers=customers,
        history=history,
        templates=templates,
        spent_this_week=so_far.spent,
        used_this_week=so_far.used,
        writer_load_this_week=so_far.writer_load,
        past_openers=load_openers(connection, week, templates),
        words_this_week=so_far.words,
        listening=listening,
        wildcards_this_week=sum(1 for g in so_far.gestures if g.rule == WILDCARD_RULE),
        gifts_left=gifts.left_to_plan(gifts.shelf(connection, rules)),
        gifts_bought=gifts.bought_lookup(connection, rules),
        last_items=lambda customer_ids: read_last_items(connection.engine.url, until, customer_ids),
    )
    return request, listening


def plan_week(engine: Engine, options: PlanOptions, step: Callable[[str], None] = lambda _what: None) -> PlanResult:
    """Plan a week and store it in one transaction.

    A week planned before is kept: every planned and held-out gesture stays as it was (same ids,
    customers and words) and only capacity freed since (a skipped, failed or cancelled gesture,
    a raised budget) is filled. Only a planned surprise for someone now owed a person is
    cancelled: listening comes first. ``options.replace`` redraws the week instead, cancelling
    what is still only planned or held out; what was logged is never touched.

    ``step`` hears what is being done next, for a big shop's few seconds of waiting.
    ``options.preview`` works everything out in the same way and rolls it all back: the result
    is what storing would have stored (with the same seed, on the same data).
    """
    try:
        return _plan_week(engine, options, step)
    except _Discarded as preview:
        return preview.result


class _Discarded(Exception):
    """Raised inside a plan's transaction so that it rolls back; carries the plan worked out."""

    def __init__(self, result: PlanResult) -> None:
        super().__init__("a preview: nothing stored")
        self.result = result


def _plan_week(engine: Engine, options: PlanOptions, step: Callable[[str], None]) -> PlanResult:
    rules = load_rules(options.rules_path)
    week = resolve_week(options.week, rules)
    as_of = options.as_of or monday(week)
    seed = options.seed if options.seed is not None else secrets.randbelow(2**31)
    budget = rules.weekly_budget if options.budget is None else options.budget
    if budget < 0:
        raise InputError("--budget cannot be negative")
    lexicon = load_lexicon(options.lexicon_path)
    # A write transaction: logging at the same moment waits for the plan instead of failing.
    started = time.perf_counter()
    with transaction(engine, write=True) as session:
        connection = session.connection()
        # One plan of a week at a time: a second waits, then plans on top of the first.
        hold_lock(
            connection,
            (PLAN_LOCKS, int(week.replace("-W", ""))),
            waiting=lambda: step(f"Waiting for another plan of {week} to finish"),
            busy=f"another plan of week {week} is being made: try again when it is done",
        )
        rules = rules.in_shop_currency(shop_currency(connection))
        templates = load_templates(options.templates_dir, lexicon, connection)  # tone analyses remembered here
        step("Reading every customer's orders and feedback")
        # The facts as the store holds them now (committed: this plan has written nothing yet).
        customers = load_facts(engine.url, as_of=as_of, timezone=rules.timezone, facts=facts_for_planning(rules))
        run = PlanRun(
            week=week,
            seed=seed,
            as_of=as_of,
            rules_snapshot=rules.source_text,
            budget_minor=to_minor(budget, rules.currency),
            currency=rules.currency,
        )
        session.add(run)
        session.flush()
        replaced = 0
        if options.replace:
            replaced = _cancel(
                session,
                (Gesture.week == week) & Gesture.status.in_([GestureStatus.PLANNED, GestureStatus.HELD_OUT]),
                f"replaced by plan run {run.id}",
            )
        so_far = _week_so_far(session, week, rules)
        request, listening = _planning_request(session, rules, week, as_of, seed, budget, templates, so_far, customers)
        # Listening first, in a week already planned too: a surprise for someone now owed a person goes.
        recovery = {kind.name for kind in rules.recovery_kinds}
        stale = [
            g.id
            for g in so_far.planned
            if g.customer_id in listening and g.kind not in recovery and g.status == GestureStatus.PLANNED
        ]
        cancelled = [g for g in list_gestures_in(session, week, (GestureStatus.PLANNED,)) if g.gesture_id in stale]
        if stale:
            _cancel(session, Gesture.id.in_(stale), "cancelled: they are owed a person first (listening first)")
            so_far = _week_so_far(session, week, rules)
            request, listening = _planning_request(
                session, rules, week, as_of, seed, budget, templates, so_far, customers
            )
        kept = sum(1 for g in so_far.gestures if g.status == GestureStatus.PLANNED)
        loaded = time.perf_counter()
        step(f"Planning for {len(request.customers):,} customers")
        plan = make_plan(request)
        planned = time.perf_counter()
        step("Storing the plan")
        created = utc_now()
        columns = (
            "customer_id plan_run_id week kind rule reason status cost_minor currency writer template message "
            "opener for_day send_by feedback_id gift"
        )
        currency = rules.currency
        minor = {cost: to_minor(cost, currency) for cost in {g.cost for g in plan.gestures}}
        rows = (
            (g.customer_id, run.id, week, g.kind, g.rule, g.reason, g.status, minor[g.cost], currency,
             g.writer, g.template, g.message, g.opener, g.for_day, g.send_by, g.feedback_id, g.gift, created)
            for g in plan.gestures
        )  # fmt: skip
        # Straight to the driver: a plan holds thousands of held-out rows on a big shop.
        bulk_insert(connection, Gesture.__table__, [*columns.split(), "created_at"], rows)
        session.add(
            AuditEvent(
                actor="planner",
                entity="plan_run",
                entity_id=run.id,
                action="plan",
                detail=(
                    f"week {week}, seed {seed}, {len(plan.gestures)} gestures added, {kept} kept, "
                    f"{replaced} replaced, {len(stale)} cancelled for listening"
                ),
            )
        )
        session.flush()
        added_ids = set(session.scalars(select(Gesture.id).where(Gesture.plan_run_id == run.id)))
        stored = [
            g for g in list_gestures_in(session, week, statuses=(GestureStatus.PLANNED,)) if g.gesture_id in added_ids
        ]
        owed = pl.DataFrame([listening.customer_id for listening in plan.waiting], schema={"customer_id": pl.Int64})
        people = customers.join(owed, on="customer_id", how="semi").select("customer_id", "external_id", "name")
        known = {customer_id: (external_id, name) for customer_id, external_id, name in people.iter_rows()}
        waiting = waiting_for(session, plan.waiting, as_of, known)
        seconds = {"facts": loaded - started, "planning": planned - loaded, "storing": time.perf_counter() - planned}
        held_out = sum(1 for gesture in plan.gestures if gesture.status == GestureStatus.HELD_OUT)
        added = sum(1 for gesture in plan.gestures if gesture.status == GestureStatus.PLANNED)
        result = PlanResult(
            run.id, week, as_of, seed, rules.currency, rules, plan, stored, held_out, replaced, kept, added,
            cancelled, waiting, seconds,
        )  # fmt: skip
        if options.preview:
            raise _Discarded(result)
    return result


def week_plan_size(engine: Engine, week: str | None, rules_path: Path | None = None) -> tuple[str, int, int]:
    """(week, planned, held out) of a week's plan so far: what ``--replace`` would cancel."""
    rules = load_rules(rules_path)
    chosen = resolve_week(week, rules)
    with transaction(engine) as session:
        counts = dict(
            session.execute(
                select(Gesture.status, func.count()).where(Gesture.week == chosen).group_by(Gesture.status)
            ).all()
        )
    return chosen, counts.get(GestureStatus.PLANNED, 0), counts.get(GestureStatus.HELD_OUT, 0)


def _cancel(session: Session, which: object, note: str) -> int:
    """Cancel the gestures ``which`` selects, saying why; how many."""
    return session.execute(update(Gesture).where(which).values(status=GestureStatus.CANCELLED, note=note)).rowcount


# What needs doing first: still planned, then what was logged, then the rest.
_LIST_ORDER = case(
    (Gesture.status == GestureStatus.PLANNED, 0),
    (Gesture.status.in_(KEPT), 1),
    (Gesture.status == GestureStatus.HELD_OUT, 2),
    else_=3,
)
# Statuses `delight list` shows unless asked otherwise: what needs doing, and what was done.
TO_DO = (GestureStatus.PLANNED, *KEPT)
ALL = "all"
_ADDRESS_FIELDS = ("address1", "address2", "city", "region", "postal_code", "country")


def list_gestures_in(
    session: Session,
    week: str,
    statuses: Sequence[str] | None = None,
    rules: RuleSet | None = None,
    conditions: Sequence[ColumnElement[bool]] = (),
) -> list[GestureView]:
    """A week's gestures with their customers: planned first, then logged, each by writer, kind and customer.

    With ``rules``, a call carries the customer's phone and a posted gesture their address; with
    ``conditions``, only the gestures meeting them.
    """
    query = select(
        Gesture,
        Customer.external_id,
        Customer.name,
        Customer.language,
        Customer.phone,
        Customer.address1,
        Customer.address2,
        Customer.city,
        Customer.region,
        Customer.postal_code,
        Customer.country,
    ).join(Customer, Customer.id == Gesture.customer_id)
    query = query.where(Gesture.week == week, *conditions)
    if statuses:
        query = query.where(Gesture.status.in_(list(statuses)))
    query = query.order_by(_LIST_ORDER, Gesture.writer, Gesture.kind, Customer.name, Gesture.id)
    kinds = rules.gestures if rules is not None else {}
    views = []
    for gesture, external_id, name, language, phone, *address in session.execute(query):
        kind = kinds.get(gesture.kind)
        contact: dict[str, str | None] = {}
        if kind is not None and kind.recovery:
            contact["phone"] = phone
        if kind is not None and kind.physical:
            contact.update(
                zip(("address1", "address2", "city", "region", "postal_code", "country"), address, strict=True)
            )
        views.append(
            GestureView(
                gesture_id=gesture.id,
                customer_id=external_id,
                customer_name=name or "(erased)",
                language=language,
                kind=gesture.kind,
                rule=gesture.rule,
                status=gesture.status,
                cost=from_minor(gesture.cost_minor, gesture.currency),
                currency=gesture.currency,
                reason=gesture.reason,
                week=gesture.week,
                writer=gesture.writer,
                message=gesture.message,
                for_day=gesture.for_day,
                send_by=gesture.send_by,
                gift=gesture.gift,
                sent_by=gesture.sent_by,
                sent_at=gesture.sent_at,
                note=gesture.note,
                **contact,
            )
        )
    return views


def list_gestures(engine: Engine, week: str | None, status: str | None, rules_path: Path | None = None) -> WeekList:
    """`delight list`: a week's gestures (default: this week in the shop's time zone).

    Without ``status``, what needs doing and what was done: planned, then logged; the held-out and
    cancelled ones are only counted. ``status`` "all" lists every gesture; any other, that status.
    """
    rules = load_rules(rules_path)
    chosen = resolve_week(week, rules)
    statuses = None if status == ALL else [status] if status else list(TO_DO)
    with transaction(engine) as session:
        gestures = list_gestures_in(session, chosen, statuses, rules)
        hidden: dict[str, int] = {}
        if status is None:
            hidden = dict(
                session.execute(
                    select(Gesture.status, func.count())
                    .where(
                        Gesture.week == chosen, Gesture.status.in_([GestureStatus.HELD_OUT, GestureStatus.CANCELLED])
                    )
                    .group_by(Gesture.status)
                ).all()
            )
    return WeekList(
        chosen,
        gestures,
        hidden.get(GestureStatus.HELD_OUT, 0),
        hidden.get(GestureStatus.CANCELLED, 0),
        rules.team_language,
    )


def explain_customer(
    engine: Engine, customer_ref: str, week: str | None, rules_path: Path | None = None
) -> Explanation:
    """Why a customer was or was not chosen: facts, each rule, and the constraint that removed them.

    A customer with a gesture this week has the decision it records; one no rule matches and
    nobody owes a call has none. For anyone else the planner runs again as the week's latest
    plan run did (its seed and rules, the gestures the week held before it), so the decision is
    the one the plan made unless the data has changed since.
    """
    current = load_rules(rules_path)
    chosen_week = resolve_week(week, current)
    with transaction(engine) as session:
        customer = find_customer(session, customer_ref)
        run = session.execute(
            select(PlanRun).where(PlanRun.week == chosen_week).order_by(PlanRun.id.desc()).limit(1)
        ).scalar_one_or_none()
        if run is None:
            rules = current.in_shop_currency(shop_currency(session.connection()))
        else:  # the rules and currency the week was planned with
            rules = replace(_snapshot_rules(run.rules_snapshot), currency=run.currency)
        as_of = run.as_of if run is not None else monday(chosen_week)
        budget = from_minor(run.budget_minor, run.currency) if run is not None else rules.weekly_budget
        so_far = _week_so_far(session, chosen_week, rules, before_run=run.id if run is not None else None)
        # Everyone's facts, for the quintiles and the replay; the latest items (unless a rule uses
        # them) only for this customer.
        names = [fact.name for fact in FACTS if fact.name != "last_order_items"]
        everyone = load_facts(engine.url, as_of=as_of, timezone=rules.timezone, facts=names + facts_for_planning(rules))
        request, listening = _planning_request(
            session, rules, chosen_week, as_of, run.seed if run else 0, budget, load_templates(), so_far, everyone
        )
        theirs = everyone.filter(pl.col("customer_id") == customer.id)
        profile = Customers(theirs, rules.currency).profile(0)
        items = profile.facts.get("last_order_items")
        if items is None:
            items = request.last_items([customer.id]).get(customer.id, ())
        facts = {fact.name: items if fact.name == "last_order_items" else profile.facts[fact.name] for fact in FACTS}
        stored = list_gestures_in(session, chosen_week, conditions=[Gesture.customer_id == customer.id])
        flags = theirs.select(
            rule.condition(rules.currency).expression.alias(str(index)) for index, rule in enumerate(rules.rules)
        ).row(0)
        matched = [(rule.name, rule.gesture, bool(flag)) for rule, flag in zip(rules.rules, flags, strict=True)]
        this_week = [g for g in stored if g.status != GestureStatus.CANCELLED]
        decision = None
        if this_week:
            names = tuple(name for name, _gesture, matches in matched if matches)
            decision = Decision(customer.id, names, this_week[-1].status)
        elif run is not None and (customer.id in listening or any(matches for _name, _gesture, matches in matched)):
            decision = make_plan(request).decisions.get(customer.id)
    return Explanation(
        customer_id=customer.external_id,
        customer_name=customer.name or "(erased)",
        week=chosen_week,
        as_of=as_of,
        facts=facts,
        rules=matched,
        decision=decision,
        stored=stored,
        blocked_by=_customer_block(profile, rules, listening.get(customer.id)),
        listening=listening.get(customer.id),
    )


def _customer_block(profile: Profile, rules: RuleSet, listening: Listening | None) -> str | None:
    if profile.erased:
        return "erased: never planned"
    if profile.do_not_contact:
        return "do-not-contact: never planned"
    if listening is None and in_holdout(profile.customer_id, rules.holdout_percent):
        return "in the control group: held out whenever a rule picks them for a surprise (never for a call)"
    return None


def _snapshot_rules(snapshot: str) -> RuleSet:
    return parse_rules(snapshot, source="the week's stored rules")


def find_customer(session: Session, reference: str) -> Customer:
    """A customer by their id as imported, email or name, any case; a clear error for none or several.

    The id as imported wins outright; otherwise every customer whose id, email or whole name is
    ``reference`` (ignoring case and spaces around it) is a match, and several are listed.
    """
    exact = session.execute(select(Customer).where(Customer.external_id == reference)).scalar_one_or_none()
    if exact is not None:
        return exact
    wanted = reference.strip().lower()
    matches = (
        session.execute(
            select(Customer)
            .where(
                or_(
                    func.lower(Customer.external_id) == wanted,
                    func.lower(Customer.email) == wanted,
                    func.lower(Customer.name) == wanted,
                )
            )
            .order_by(Customer.id)
            .limit(SHOWN_MATCHES + 1)
        )
        .scalars()
        .all()
    )
    if not matches:
        raise NotFound(f'no customer "{reference}": give their id as imported, email or name (see `delight facts`)')
    if len(matches) > 1:
        shown = "; ".join(_who(customer) for customer in matches[:SHOWN_MATCHES])
        more = ", and more" if len(matches) > SHOWN_MATCHES else ""
        raise InputError(f'"{reference}" is more than one customer: {shown}{more}: give the id')
    return matches[0]


SHOWN_MATCHES = 5


def _who(customer: Customer) -> str:
    """A customer in a list of matches: id, name and email (what there is of them)."""
    details = ", ".join(clean(part) for part in (customer.name, customer.email) if part)
    return f"{customer.external_id} ({details})" if details else customer.external_id


def export_facts(engine: Engine, as_of: date | None, rules_path: Path | None = None) -> pl.DataFrame:
    """`delight facts`: one row per customer (id as imported, then every fact), as of a date;
    money in the shop's currency's major unit."""
    rules = load_rules(rules_path)
    day = as_of or monday(current_week(ZoneInfo(rules.timezone)))
    with transaction(engine) as session:
        rules = rules.in_shop_currency(shop_currency(session.connection()))
    frame = load_facts(engine.url, as_of=day, timezone=rules.timezone)
    names = [fact.name for fact in FACTS]
    return with_money(frame.select(pl.col("external_id").alias("customer_id"), *names), rules.currency)
