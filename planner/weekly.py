"""The planner's week, end to end: load the inputs, plan, store, list and explain.

Each function here is one command's whole library call; the CLI only formats.
"""

from __future__ import annotations

import gc
import secrets
import time
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, Engine, func, or_, select, text, update
from sqlmodel import Session

from db import summaries
from db.engine import bulk_insert, hold_lock, transaction
from db.models import AuditEvent, Customer, Gesture, GestureStatus, PlanRun, utc_now
from db.money import from_minor, shop_currency, to_minor
from planner.errors import DatabaseError, InputError, NotFound
from planner.facts import FACTS, PastGesture, Profile, as_utc, load_fact_table
from planner.output import clean
from planner.plan import Decision, Plan, PlanRequest, in_holdout, make_plan
from planner.rules import RuleSet, load_rules, parse_rules
from planner.templates import load_templates, opener_key
from planner.tone import load_lexicon
from planner.weeks import current_week, monday, parse_week

# Statuses that mean a person already acted on a gesture: re-planning keeps them.
KEPT = (GestureStatus.SENT, GestureStatus.SKIPPED, GestureStatus.FAILED)
# The advisory locks (PostgreSQL) that keep two plans of one week from running at once: "dlgt".
PLAN_LOCKS = 0x646C6774
# Statuses that used the week's budget and writing capacity.
SPENT = (GestureStatus.SENT, GestureStatus.FAILED)


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
    gestures: list[GestureView]  # planned ones
    held_out: int
    replaced: int
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


def resolve_week(week: str | None, rules: RuleSet) -> str:
    """The ISO week asked for, or this week in the shop's time zone."""
    return parse_week(week) if week else current_week(ZoneInfo(rules.timezone))


# The gestures that count when planning a week: what people acted on, and plans for other weeks.
_COUNTED = "(status IN ('sent', 'skipped', 'failed') OR (status = 'planned' AND week <> :week))"


def load_history(connection: Connection, week: str, timezone: ZoneInfo) -> dict[int, list[PastGesture]]:
    """Every gesture that counts for planning ``week``: sent, logged, and planned for other weeks."""
    rows = connection.execute(
        text(f"SELECT customer_id, week, kind, status, template, sent_at FROM gestures WHERE {_COUNTED}"),
        {"week": week},
    )
    history: dict[int, list[PastGesture]] = defaultdict(list)
    for customer_id, gesture_week, kind, status, template, sent_at in rows:
        sent_on = as_utc(sent_at).astimezone(timezone).date() if sent_at is not None else None
        history[customer_id].append(PastGesture(customer_id, gesture_week, kind, status, template, sent_on))
    return history


def load_openers(connection: Connection, week: str) -> tuple[dict[int, frozenset[str]], frozenset[str]]:
    """Openers each customer had before (the gestures ``load_history`` counts) and those sent this week."""
    rows = connection.execute(
        text(f"SELECT customer_id, week, status, message FROM gestures WHERE message IS NOT NULL AND {_COUNTED}"),
        {"week": week},
    )
    past: dict[int, set[str]] = defaultdict(set)
    this_week: set[str] = set()
    for customer_id, gesture_week, status, message in rows:
        key = opener_key(message)
        past[customer_id].add(key)
        if gesture_week == week and status in SPENT:
            this_week.add(key)
    return {customer_id: frozenset(keys) for customer_id, keys in past.items()}, frozenset(this_week)


def plan_week(engine: Engine, options: PlanOptions, step: Callable[[str], None] = lambda _what: None) -> PlanResult:
    """Plan a week and store it in one transaction, replacing what is still only planned.

    ``step`` hears what is being done next, for a big shop's few seconds of waiting.
    """
    rules = load_rules(options.rules_path)
    week = resolve_week(options.week, rules)
    as_of = options.as_of or monday(week)
    seed = options.seed if options.seed is not None else secrets.randbelow(2**31)
    budget = rules.weekly_budget if options.budget is None else options.budget
    if budget < 0:
        raise InputError("--budget cannot be negative")
    templates = load_templates(options.templates_dir, load_lexicon(options.lexicon_path))
    # A write transaction: logging at the same moment waits for the plan instead of failing.
    started = time.perf_counter()
    with transaction(engine, write=True) as session, _collector_paused():
        connection = session.connection()
        # One plan of a week at a time: a second waits, then plans on top of the first.
        hold_lock(
            connection,
            (PLAN_LOCKS, int(week.replace("-W", ""))),
            waiting=lambda: step(f"Waiting for another plan of {week} to finish"),
            busy=f"another plan of week {week} is being made: try again when it is done",
        )
        rules = rules.in_shop_currency(shop_currency(connection))
        step("Reading every customer's orders and feedback")
        summaries.refresh(connection)  # customers changed by something other than delight since
        history = load_history(connection, week, ZoneInfo(rules.timezone))
        past_openers, openers_this_week = load_openers(connection, week)
        customers = load_fact_table(
            connection,
            as_of=as_of,
            timezone=ZoneInfo(rules.timezone),
            currency=rules.currency,
            history=history,
        )
        spent, used, writer_load = _this_week_so_far(session, week, rules.currency)
        loaded = time.perf_counter()
        step(f"Planning for {len(customers):,} customers")
        plan = make_plan(
            PlanRequest(
                week=week,
                as_of=as_of,
                seed=seed,
                rules=rules,
                budget=budget,
                customers=customers,
                history=history,
                templates=templates,
                spent_this_week=spent,
                used_this_week=used,
                writer_load_this_week=writer_load,
                past_openers=past_openers,
                openers_this_week=openers_this_week,
            )
        )
        planned = time.perf_counter()
        step("Storing the plan")
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
        replaced = session.execute(
            update(Gesture)
            .where(Gesture.week == week, Gesture.status.in_([GestureStatus.PLANNED, GestureStatus.HELD_OUT]))
            .values(status=GestureStatus.CANCELLED, note=f"replaced by plan run {run.id}")
        ).rowcount
        created = utc_now()
        columns = "customer_id plan_run_id week kind rule reason status cost_minor currency writer template message"
        currency = rules.currency
        minor = {cost: to_minor(cost, currency) for cost in {g.cost for g in plan.gestures}}
        rows = (
            (g.customer_id, run.id, week, g.kind, g.rule, g.reason, g.status, minor[g.cost], currency,
             g.writer, g.template, g.message, created)
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
                detail=f"week {week}, seed {seed}, {len(plan.gestures)} gestures, {replaced} replaced",
            )
        )
        session.flush()
        stored = list_gestures_in(session, week, statuses=(GestureStatus.PLANNED,))
    seconds = {"facts": loaded - started, "planning": planned - loaded, "storing": time.perf_counter() - planned}
    held_out = sum(1 for gesture in plan.gestures if gesture.status == GestureStatus.HELD_OUT)
    return PlanResult(run.id, week, as_of, seed, rules.currency, rules, plan, stored, held_out, replaced, seconds)


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause Python's cycle collector while a plan runs.

    A plan builds a few hundred thousand small objects next to the big fact columns, and each
    full collection walks them all (a third of the time on a big shop); nothing a plan makes
    forms reference cycles, so the collector resumes afterwards with nothing lost.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _this_week_so_far(session: Session, week: str, currency: str) -> tuple[Decimal, dict[str, int], dict[str, int]]:
    """Budget spent, gestures per kind and per writer already used this week by logged gestures."""
    spent_minor = 0
    used: dict[str, int] = defaultdict(int)
    writers: dict[str, int] = defaultdict(int)
    rows = session.execute(
        select(Gesture.kind, Gesture.cost_minor, Gesture.writer).where(Gesture.week == week, Gesture.status.in_(SPENT))
    )
    for kind, cost_minor, writer in rows:
        spent_minor += cost_minor
        used[kind] += 1
        if writer:
            writers[writer] += 1
    return from_minor(spent_minor, currency), dict(used), dict(writers)


def list_gestures_in(session: Session, week: str, statuses: Sequence[str] | None = None) -> list[GestureView]:
    """A week's gestures with their customers, by writer, kind and customer."""
    query = select(
        Gesture.id,
        Customer.external_id,
        Customer.name,
        Customer.language,
        Gesture.kind,
        Gesture.rule,
        Gesture.status,
        Gesture.cost_minor,
        Gesture.currency,
        Gesture.reason,
        Gesture.week,
        Gesture.writer,
        Gesture.message,
    ).join(Customer, Customer.id == Gesture.customer_id)
    query = query.where(Gesture.week == week)
    if statuses:
        query = query.where(Gesture.status.in_(list(statuses)))
    query = query.order_by(Gesture.writer, Gesture.kind, Customer.name, Gesture.id)
    return [
        GestureView(
            gesture_id=gesture_id,
            customer_id=external_id,
            customer_name=name or "(erased)",
            language=language,
            kind=kind,
            rule=rule,
            status=status,
            cost=from_minor(cost_minor, currency),
            currency=currency,
            reason=reason,
            week=gesture_week,
            writer=writer,
            message=message,
        )
        for (
            gesture_id,
            external_id,
            name,
            language,
            kind,
            rule,
            status,
            cost_minor,
            currency,
            reason,
            gesture_week,
            writer,
            message,
        ) in session.execute(query)
    ]


def list_gestures(
    engine: Engine, week: str | None, status: str | None, rules_path: Path | None = None
) -> list[GestureView]:
    """`delight list`: a week's gestures (default: this week in the shop's time zone), optionally one status."""
    rules = load_rules(rules_path)
    chosen = resolve_week(week, rules)
    statuses = [status] if status else [s for s in GestureStatus if s != GestureStatus.CANCELLED]
    with transaction(engine) as session:
        return list_gestures_in(session, chosen, statuses)


def explain_customer(
    engine: Engine, customer_ref: str, week: str | None, rules_path: Path | None = None
) -> Explanation:
    """Why a customer was or was not chosen: facts, each rule, and the constraint that removed them.

    Re-runs the planner with the week's stored seed and rules (or the current rules when the
    week has no plan), so the decision is the one the plan made unless the data has changed since.
    """
    current = load_rules(rules_path)
    chosen_week = resolve_week(week, current)
    with transaction(engine) as session, _collector_paused():
        customer = find_customer(session, customer_ref)
        run = session.execute(
            select(PlanRun).where(PlanRun.week == chosen_week).order_by(PlanRun.id.desc()).limit(1)
        ).scalar_one_or_none()
        connection = session.connection()
        if run is None:
            rules = current.in_shop_currency(shop_currency(connection))
        else:  # the rules and currency the week was planned with
            rules = replace(_snapshot_rules(run.rules_snapshot), currency=run.currency)
        as_of = run.as_of if run is not None else monday(chosen_week)
        history = load_history(connection, chosen_week, ZoneInfo(rules.timezone))
        customers = load_fact_table(
            connection, as_of=as_of, timezone=ZoneInfo(rules.timezone), currency=rules.currency, history=history
        )
        decision = None
        if run is not None:
            past_openers, openers_this_week = load_openers(connection, chosen_week)
            plan = make_plan(
                PlanRequest(
                    week=chosen_week,
                    as_of=as_of,
                    seed=run.seed,
                    rules=rules,
                    budget=from_minor(run.budget_minor, run.currency),
                    customers=customers,
                    history=history,
                    templates=load_templates(),
                    past_openers=past_openers,
                    openers_this_week=openers_this_week,
                )
            )
            decision = plan.decisions.get(customer.id)
        row = customers.row_of(customer.id)
        if row is None:  # only when the triggers that keep summaries current are missing
            raise DatabaseError(f'customer "{customer_ref}" has no summary: run `delight init` to repair the database')
        profile = customers.profile(row)
        facts = {fact.name: profile.facts[fact.name] for fact in FACTS}
        stored = [g for g in list_gestures_in(session, chosen_week) if g.customer_id == customer.external_id]
    matched = [(rule.name, rule.gesture, rule.matches(facts)) for rule in rules.rules]
    return Explanation(
        customer_id=customer.external_id,
        customer_name=customer.name or "(erased)",
        week=chosen_week,
        as_of=as_of,
        facts=facts,
        rules=matched,
        decision=decision,
        stored=stored,
        blocked_by=_customer_block(profile, rules),
    )


def _customer_block(profile: Profile, rules: RuleSet) -> str | None:
    if profile.erased:
        return "erased: never planned"
    if profile.do_not_contact:
        return "do-not-contact: never planned"
    if in_holdout(profile.customer_id, rules.holdout_percent):
        return "in the control group: held out whenever a rule matches"
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


def export_facts(engine: Engine, as_of: date | None, rules_path: Path | None = None) -> tuple[list[str], list[tuple]]:
    """`delight facts`: one row per customer (id as imported, then every fact), as of a date."""
    rules = load_rules(rules_path)
    day = as_of or monday(current_week(ZoneInfo(rules.timezone)))
    with transaction(engine) as session:
        connection = session.connection()
        rules = rules.in_shop_currency(shop_currency(connection))
        history = load_history(connection, "", ZoneInfo(rules.timezone))
        customers = load_fact_table(
            connection, as_of=day, timezone=ZoneInfo(rules.timezone), currency=rules.currency, history=history
        )
        names = [fact.name for fact in FACTS]
        external_ids = [external_id for external_id, _name, _first_name in customers.people()]
        columns = [external_ids, *(customers.column(name) for name in names)]
        rows = list(zip(*columns, strict=True))
    return ["customer_id", *names], rows
