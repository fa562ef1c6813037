"""`delight report`: what the team did, and whether it worked, against the held-out control group.

Definitions (the same for both groups, so the comparison is fair):

* **Who is compared.** Delight gestures with status ``sent`` (treated) against gestures with status
  ``held_out`` (control), from weeks whose Monday falls between ``since`` and ``until``. Recovery
  is never an experiment (nobody owed a person is held out), so recovery gestures have their own
  line: reached, not reached, resolved since, and bought again within 90 days — no comparison. Each
  customer counts once per comparison, at their first such gesture (by week) in that group of
  gestures: overall, per rule, per kind.
* **The window.** It opens at midnight (shop time) on the Monday after the gesture's week —
  the end of the week in which it was written and sent — and lasts 30, 60 or 90 days.
  Only windows that have ended by ``until`` count; younger gestures wait for a later report.
* **Outcomes.** Repurchase: at least one paid order in the window. Revenue per customer: the
  paid orders' totals in the window, in the shop's main currency. Later complaints: at least
  one complaint received in the window.
* **Statistics.** See :mod:`planner.core.stats`: Newcombe's interval for a difference of rates,
  Welch's standard error for revenue. Fewer than 30 customers in either group, or fewer than
  5 expected repurchases (or complaints) in a group, gives a plain-words note instead of a number.
"""

from __future__ import annotations

from bisect import bisect_left
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, func, select
from sqlmodel import Session

from db.engine import database_path, transaction
from db.models import Feedback, FeedbackKind, Gesture, GestureStatus, Order, OrderStatus, PlanRun
from planner.core import stats
from planner.core.errors import InputError
from planner.core.money import from_minor
from planner.core.rules import load_rules
from planner.core.weeks import monday, today_in, week_of
from planner.files.output_files import check_output_file
from planner.services.feedback import overdue_feedback
from planner.terminal import table, to_json
from printouts.data import (
    Comparison,
    Outcome,
    OverdueItem,
    RecoveryLine,
    Report,
    WeekKind,
    WeekSpend,
    WriterLoad,
)

WINDOWS = (30, 60, 90)
STATUSES = tuple(status.value for status in GestureStatus)
FORMATS = ("table", "json")


@dataclass(frozen=True)
class ReportOptions:
    """What `delight report` was asked for."""

    since: date | None = None
    until: date | None = None
    rules_path: Path | None = None
    pdf: Path | None = None
    confidence: float = 0.95
    now: datetime | None = None  # for tests; default: the current time


# --- Data: plain records, loaded once -------------------------------------------------------------


@dataclass(frozen=True)
class GestureRecord:
    """A sent or held-out gesture, as the outcome comparison needs it."""

    gesture_id: int
    customer_id: int
    week: str
    kind: str
    rule: str | None
    treated: bool


@dataclass(frozen=True)
class Purchase:
    """A paid order: when, and its total in minor units (``None`` when in another currency)."""

    placed_at: datetime
    total_minor: int | None


# --- Outcomes: pure functions ---------------------------------------------------------------------


def window_opens(week: str, timezone: ZoneInfo) -> datetime:
    """When a gesture's outcome windows open: midnight, shop time, on the Monday after its week."""
    return datetime.combine(monday(week) + timedelta(days=7), time(0), tzinfo=timezone).astimezone(UTC)


def window_ended(week: str, days: int, until: date) -> bool:
    """True when the ``days``-day window of a gesture in ``week`` has ended by the end of ``until``."""
    return monday(week) + timedelta(days=7 + days) <= until + timedelta(days=1)


def first_per_customer(gestures: Iterable[GestureRecord]) -> list[GestureRecord]:
    """Each customer's first gesture (by week, then id): a customer counts once per comparison."""
    first: dict[int, GestureRecord] = {}
    for gesture in sorted(gestures, key=lambda g: (g.week, g.gesture_id)):
        first.setdefault(gesture.customer_id, gesture)
    return list(first.values())


def _in_window(times: Sequence[datetime], opens: datetime, closes: datetime) -> int:
    """How many of the sorted ``times`` fall in ``[opens, closes)``."""
    return bisect_left(times, closes) - bisect_left(times, opens)


def compare_proportions(
    treated: Sequence[bool], control: Sequence[bool], what: str, confidence: float = 0.95
) -> Comparison:
    """Rates of ``True`` in each group, their difference and interval, or a note when there are too few."""
    treated_n, control_n = len(treated), len(control)
    small = _size_note(treated_n, control_n)
    if small:
        return Comparison(treated_n, control_n, note=small)
    treated_hits, control_hits = sum(treated), sum(control)
    treated_rate, control_rate = treated_hits / treated_n, control_hits / control_n
    if stats.too_few_events(treated_hits, treated_n, control_hits, control_n):
        note = f"too few {what} to say ({treated_hits} sent, {control_hits} held out)"
        return Comparison(treated_n, control_n, treated_rate, control_rate, note=note)
    interval = stats.newcombe_difference(treated_hits, treated_n, control_hits, control_n, confidence)
    return Comparison(treated_n, control_n, treated_rate, control_rate, interval.estimate, interval.low, interval.high)


def compare_means(treated: Sequence[float], control: Sequence[float], confidence: float = 0.95) -> Comparison:
    """Means of each group, their difference and interval, or a note when there are too few."""
    small = _size_note(len(treated), len(control))
    if small:
        return Comparison(len(treated), len(control), note=small)
    interval = stats.mean_difference(treated, control, confidence)
    return Comparison(
        len(treated),
        len(control),
        sum(treated) / len(treated),
        sum(control) / len(control),
        interval.estimate,
        interval.low,
        interval.high,
    )


def _size_note(treated_n: int, control_n: int) -> str | None:
    if treated_n == 0 and control_n == 0:
        return "no customers to compare"
    if control_n == 0:
        return f"no held-out customers to compare with ({treated_n} sent a gesture, none held out)"
    if treated_n == 0:
        return f"no customer was sent a gesture ({control_n} held out, none sent)"
    if stats.too_small(treated_n, control_n):
        return (
            f"too few customers to say: {treated_n} sent a gesture and {control_n} held out "
            f"(need at least {stats.MIN_GROUP_SIZE} in each)"
        )
    return None


def compare_group(
    group: str,
    group_by: str,
    gestures: Sequence[GestureRecord],
    purchases: dict[int, list[Purchase]],
    complaints: dict[int, list[datetime]],
    until: date,
    timezone: ZoneInfo,
    confidence: float = 0.95,
) -> list[Outcome]:
    """One outcome per window for one group of gestures (overall, one rule or one kind)."""
    units = first_per_customer(gestures)
    outcomes = []
    for days in WINDOWS:
        ended = [unit for unit in units if window_ended(unit.week, days, until)]
        pending = len(units) - len(ended)
        bought = {True: [], False: []}
        revenue: dict[bool, list[float]] = {True: [], False: []}
        complained = {True: [], False: []}
        for unit in ended:
            opens = window_opens(unit.week, timezone)
            closes = opens + timedelta(days=days)
            orders = [p for p in purchases.get(unit.customer_id, ()) if opens <= p.placed_at < closes]
            bought[unit.treated].append(bool(orders))
            revenue[unit.treated].append(float(sum(p.total_minor or 0 for p in orders)))
            complained[unit.treated].append(_in_window(complaints.get(unit.customer_id, []), opens, closes) > 0)
        if not ended:
            note = _too_early_note(units, days, until)
            empty = Comparison(0, 0, note=note)
            outcomes.append(Outcome(group, group_by, days, pending, empty, empty, empty))
            continue
        outcomes.append(
            Outcome(
                group,
                group_by,
                days,
                pending,
                compare_proportions(bought[True], bought[False], "repurchases", confidence),
                compare_means(revenue[True], revenue[False], confidence),
                compare_proportions(complained[True], complained[False], "complaints", confidence),
            )
        )
    return outcomes


TOO_EARLY = "too early to tell"


def _too_early_note(units: Sequence[GestureRecord], days: int, until: date) -> str:
    if not units:
        return "no gestures were sent or held out in this period"
    first_end = min(monday(unit.week) for unit in units) + timedelta(days=7 + days - 1)
    return f"{TOO_EARLY}: no {days}-day window has ended by {until} (the first ends on {first_end})"


def compare_outcomes(
    gestures: Sequence[GestureRecord],
    purchases: dict[int, list[Purchase]],
    complaints: dict[int, list[datetime]],
    until: date,
    timezone: ZoneInfo,
    confidence: float = 0.95,
) -> list[Outcome]:
    """Every comparison the report makes: overall, then per rule, then per kind; each for every window."""
    outcomes = compare_group("overall", "overall", gestures, purchases, complaints, until, timezone, confidence)
    for group_by, key in (("rule", lambda g: g.rule or "(no rule)"), ("kind", lambda g: g.kind)):
        groups: dict[str, list[GestureRecord]] = defaultdict(list)
        for gesture in gestures:
            groups[key(gesture)].append(gesture)
        for name in sorted(groups):
            outcomes += compare_group(name, group_by, groups[name], purchases, complaints, until, timezone, confidence)
    return outcomes


def headline(outcomes: Sequence[Outcome], confidence: float = 0.95) -> str:
    """The plain-words answer: the overall repurchase difference over the longest window that has one."""
    overall = [o for o in outcomes if o.group_by == "overall"]
    known = [o for o in overall if o.repurchase.known]
    level = f"{confidence:.0%}"
    if not known:
        reason = next((o.repurchase.note for o in reversed(overall) if o.repurchase.note), "no data")
        return f"Not enough to say whether gestures made a difference yet: {reason}."
    best = max(known, key=lambda o: o.window_days)
    result = best.repurchase
    difference, low, high = (round(100 * value) for value in (result.difference, result.ci_low, result.ci_high))
    rates = (
        f"{result.treated_value:.0%} of {result.treated_n:,} customers who got a gesture bought again, "
        f"against {result.control_value:.0%} of {result.control_n:,} held out."
    )
    interval = f"({level} CI {low} to {high} points)"
    if result.ci_low > 0:
        return (
            f"Customers who got a gesture came back {_points(difference)} more often within {best.window_days} days "
            f"{interval}: {rates}"
        )
    if result.ci_high < 0:
        return (
            f"Customers who got a gesture came back {_points(-difference)} less often within {best.window_days} days "
            f"{interval}: {rates}"
        )
    return (
        f"No clear difference within {best.window_days} days: the difference is {difference:+d} points, "
        f"but the {level} CI runs from {low} to {high} points, so it may be chance. {rates}"
    )


def _points(value: int) -> str:
    return f"{value} point" if value == 1 else f"{value} points"


# --- Loading ---------------------------------------------------------------------------------------


def _weeks_between(since: date | None, until: date) -> tuple[str | None, str]:
    """The first and last ISO week whose Monday falls in the period (weeks sort as text)."""
    first = None if since is None else week_of(since + timedelta(days=(7 - since.weekday()) % 7))
    return first, week_of(until)


def _week_filter(column: object, since: date | None, until: date) -> list:
    first, last = _weeks_between(since, until)
    conditions = [column <= last]
    if first is not None:
        conditions.append(column >= first)
    return conditions


def load_gestures(
    session: Session, since: date | None, until: date, recovery_kinds: Sequence[str] = ()
) -> list[GestureRecord]:
    """Sent and held-out delight gestures (not recovery) from weeks whose Monday falls in the period."""
    query = select(Gesture.id, Gesture.customer_id, Gesture.week, Gesture.kind, Gesture.rule, Gesture.status).where(
        Gesture.status.in_([GestureStatus.SENT, GestureStatus.HELD_OUT]),
        Gesture.kind.not_in(list(recovery_kinds)),
        *_week_filter(Gesture.week, since, until),
    )
    return [
        GestureRecord(row.id, row.customer_id, row.week, row.kind, row.rule, row.status == GestureStatus.SENT)
        for row in session.execute(query)
    ]


def load_outcome_events(
    session: Session, gestures: Sequence[GestureRecord], timezone: ZoneInfo
) -> tuple[str | None, dict[int, list[Purchase]], dict[int, list[datetime]]]:
    """Paid orders and complaints of the compared customers from the first window's opening on.

    Returns the main currency of those orders (revenue counts orders in it only), the
    purchases and the complaint times, each per customer and sorted by time.
    """
    if not gestures:
        return None, {}, {}
    opens = min(window_opens(g.week, timezone) for g in gestures)
    customer_ids = sorted({g.customer_id for g in gestures})
    rows, complaint_rows = [], []
    for start in range(0, len(customer_ids), 5000):  # stays under every driver's parameter limit
        chunk = customer_ids[start : start + 5000]
        rows += session.execute(
            select(Order.customer_id, Order.placed_at, Order.total_minor, Order.currency)
            .where(Order.customer_id.in_(chunk), Order.status == OrderStatus.PAID, Order.placed_at >= opens)
            .order_by(Order.placed_at, Order.id)
        ).all()
        complaint_rows += session.execute(
            select(Feedback.customer_id, Feedback.received_at)
            .where(
                Feedback.customer_id.in_(chunk), Feedback.kind == FeedbackKind.COMPLAINT, Feedback.received_at >= opens
            )
            .order_by(Feedback.received_at)
        ).all()
    currency = Counter(row.currency for row in rows).most_common(1)[0][0] if rows else None
    purchases: dict[int, list[Purchase]] = defaultdict(list)
    for row in rows:
        purchases[row.customer_id].append(
            Purchase(row.placed_at, row.total_minor if row.currency == currency else None)
        )
    complaints: dict[int, list[datetime]] = defaultdict(list)
    for row in complaint_rows:
        complaints[row.customer_id].append(row.received_at)
    for times in complaints.values():
        times.sort()
    return currency, dict(purchases), dict(complaints)


def load_recovery(
    session: Session,
    since: date | None,
    until: date,
    recovery_kinds: Sequence[str],
    timezone: ZoneInfo,
    low_rating: int,
) -> RecoveryLine:
    """Recovery gestures logged in the period, and what became of the customers they were for."""
    rows = session.execute(
        select(Gesture.customer_id, Gesture.week, Gesture.status, Gesture.sent_at)
        .where(
            Gesture.kind.in_(list(recovery_kinds)),
            Gesture.status.in_([GestureStatus.SENT, GestureStatus.FAILED, GestureStatus.SKIPPED]),
            *_week_filter(Gesture.week, since, until),
        )
        .order_by(Gesture.week, Gesture.id)
    ).all()
    first_sent: dict[int, str] = {}
    tried: set[int] = set()
    for customer_id, week, status, _sent_at in rows:
        tried.add(customer_id)
        if status == GestureStatus.SENT:
            first_sent.setdefault(customer_id, week)
    reached = sorted(first_sent)
    still_open = set(
        session.scalars(
            select(Feedback.customer_id).where(
                Feedback.customer_id.in_(reached),
                Feedback.resolved_at.is_(None),
                (Feedback.kind == FeedbackKind.COMPLAINT)
                | ((Feedback.rating <= low_rating) & Feedback.replied_at.is_(None)),
            )
        )
    )
    ended = [c for c in reached if window_ended(first_sent[c], 90, until)]
    windows = {c: (window_opens(first_sent[c], timezone), window_opens(first_sent[c], timezone) + timedelta(days=90))
               for c in ended}  # fmt: skip
    orders = session.execute(
        select(Order.customer_id, Order.placed_at).where(Order.customer_id.in_(ended), Order.status == OrderStatus.PAID)
    ).all()
    complaints = session.execute(
        select(Feedback.customer_id, Feedback.received_at).where(
            Feedback.customer_id.in_(ended), Feedback.kind == FeedbackKind.COMPLAINT
        )
    ).all()

    def within(events: Sequence) -> int:
        return len({c for c, at in events if windows[c][0] <= at < windows[c][1]})

    return RecoveryLine(
        attempts=len(rows),
        reached=len(reached),
        not_reached=len(tried - set(reached)),
        resolved=len(reached) - len(still_open),
        window_ended=len(ended),
        bought_again=within(orders),
        complained_again=within(complaints),
    )


def load_activity(session: Session, since: date | None, until: date) -> tuple[list[WeekKind], list[WeekSpend], str]:
    """Gestures per week and kind by status; each week's spend against its latest plan's budget."""
    week_conditions = _week_filter(Gesture.week, since, until)
    rows = session.execute(
        select(Gesture.week, Gesture.kind, Gesture.status, func.count(), func.coalesce(func.sum(Gesture.cost_minor), 0))
        .where(*week_conditions)
        .group_by(Gesture.week, Gesture.kind, Gesture.status)
    ).all()
    counts: dict[tuple[str, str], Counter] = defaultdict(Counter)
    sent_cost: Counter = Counter()
    planned_cost: Counter = Counter()
    for week, kind, status, count, cost in rows:
        counts[week, kind][status] += count
        if status == GestureStatus.SENT:
            sent_cost[week, kind] += int(cost)
        elif status == GestureStatus.PLANNED:
            planned_cost[week, kind] += int(cost)
    activity = [
        WeekKind(week, kind, {status: counts[week, kind][status] for status in STATUSES}, sent_cost[week, kind])
        for week, kind in sorted(counts)
    ]
    latest = (
        select(PlanRun.week, func.max(PlanRun.id).label("run_id"))
        .where(*_week_filter(PlanRun.week, since, until))
        .group_by(PlanRun.week)
        .subquery()
    )
    budgets = {
        week: (budget, currency)
        for week, budget, currency in session.execute(
            select(PlanRun.week, PlanRun.budget_minor, PlanRun.currency).join(latest, PlanRun.id == latest.c.run_id)
        )
    }
    weeks = sorted({week for week, _ in counts} | set(budgets))
    spend = [
        WeekSpend(
            week,
            sum(cost for (w, _), cost in sent_cost.items() if w == week),
            sum(cost for (w, _), cost in planned_cost.items() if w == week),
            budgets[week][0] if week in budgets else None,
        )
        for week in weeks
    ]
    currencies = Counter(currency for _, currency in budgets.values())
    return activity, spend, currencies.most_common(1)[0][0] if currencies else ""


def load_writers(session: Session, since: date | None, until: date) -> list[WriterLoad]:
    """Each writer's gestures over the period by status, and in how many weeks they wrote."""
    rows = session.execute(
        select(Gesture.writer, Gesture.status, func.count())
        .where(Gesture.writer.is_not(None), *_week_filter(Gesture.week, since, until))
        .group_by(Gesture.writer, Gesture.status)
    ).all()
    weeks_rows = session.execute(
        select(Gesture.writer, func.count(func.distinct(Gesture.week)))
        .where(Gesture.writer.is_not(None), *_week_filter(Gesture.week, since, until))
        .group_by(Gesture.writer)
    ).all()
    counts: dict[str, Counter] = defaultdict(Counter)
    for writer, status, count in rows:
        counts[writer][status] += count
    weeks = dict(weeks_rows)
    return [
        WriterLoad(writer, weeks[writer], {status: counts[writer][status] for status in STATUSES})
        for writer in sorted(counts, key=str.casefold)
    ]


def make_report(engine: Engine, options: ReportOptions) -> Report:
    """Load, compare and (with ``options.pdf``) print the report, in one read-only transaction."""
    rules = load_rules(options.rules_path)
    timezone = ZoneInfo(rules.timezone)
    until = options.until or today_in(timezone)
    if options.since is not None and options.since > until:
        raise InputError(f"--since {options.since} is after --until {until}: swap them")
    now = options.now or datetime.now(UTC)
    now = min(now, datetime.combine(until + timedelta(days=1), time(0), tzinfo=timezone).astimezone(UTC))
    recovery_kinds = [kind.name for kind in rules.recovery_kinds]
    if options.pdf is not None:
        check_output_file(options.pdf, "pdf", database=database_path(engine))
    with transaction(engine) as session:
        gestures = load_gestures(session, options.since, until, recovery_kinds)
        recovery = load_recovery(session, options.since, until, recovery_kinds, timezone, rules.low_rating)
        order_currency, purchases, complaints = load_outcome_events(session, gestures, timezone)
        activity, spend, budget_currency = load_activity(session, options.since, until)
        writers = load_writers(session, options.since, until)
        overdue = [
            OverdueItem(item.customer_name, item.kind, item.rating, item.received_at, item.waiting_days or 0)
            for item in overdue_feedback(session, now, rules.reply_within_days, rules.low_rating)
        ]
    outcomes = compare_outcomes(gestures, purchases, complaints, until, timezone, options.confidence)
    report = Report(
        since=options.since,
        until=until,
        timezone=rules.timezone,
        currency=order_currency or budget_currency or rules.currency,
        confidence=options.confidence,
        summary=headline(outcomes, options.confidence),
        activity=activity,
        spend=spend,
        writers=writers,
        overdue=overdue,
        reply_within_days=rules.reply_within_days,
        outcomes=outcomes,
        recovery=recovery,
    )
    if options.pdf is not None:
        from printouts.report import render_report  # ReportLab is loaded only when a PDF is asked for

        result = render_report(report, options.pdf)
        report.pdf_path, report.pdf_pages = result.path, result.pages
    return report


# --- Output ----------------------------------------------------------------------------------------


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{value:.1%}"


def _points_cell(value: float | None) -> str:
    return "—" if value is None else f"{100 * value:+.1f}"


def _interval_cell(comparison: Comparison, scale: float = 100.0, money: Report | None = None) -> str:
    if not comparison.known:
        return "—"
    if money is not None:
        return f"{money.money(comparison.ci_low)} to {money.money(comparison.ci_high)}"
    return f"{scale * comparison.ci_low:+.1f} to {scale * comparison.ci_high:+.1f}"


def outcome_rows(report: Report) -> list[list[object]]:
    """The repurchase comparison as table rows (rates in percent, differences in points)."""
    rows = []
    for outcome in report.outcomes:
        result = outcome.repurchase
        rows.append(
            [
                outcome.group,
                outcome.group_by,
                outcome.window_days,
                result.treated_n,
                result.control_n,
                _percent(result.treated_value),
                _percent(result.control_value),
                _points_cell(result.difference),
                _interval_cell(result),
                result.note or "",
            ]
        )
    return rows


def report_output(report: Report, output_format: str) -> str:
    """The report as a terminal text (``table``) or JSON (``json``)."""
    if output_format == "json":
        return to_json(report_json(report))
    if output_format != "table":
        raise InputError(f'unknown format "{output_format}": use table or json')
    return report_text(report)


def report_text(report: Report) -> str:
    """The report as ops staff read it in a terminal."""
    level = f"{report.confidence:.0%} CI"
    lines = [f"Outcome report, {report.period} (shop time {report.timezone})", "", report.summary, ""]
    if report.recovery is not None:
        lines += [report.recovery.text(), ""]
    # Windows too young to tell are one sentence per group, not a row each.
    rows, too_early = [], defaultdict(list)
    for outcome, row in zip(report.outcomes, outcome_rows(report), strict=True):
        note = outcome.repurchase.note or ""
        if note.startswith(TOO_EARLY):
            too_early[(outcome.group, outcome.group_by)].append(outcome)
        else:
            rows.append(row)
    lines.append("Repurchase within N days after the gesture's week: sent a gesture against held out")
    if rows:
        headers = ["group", "by", "days", "sent", "held out", "sent rate", "held-out rate", "diff (pts)", level, "note"]
        lines.append(table(headers, rows, max_width=100))
    for (group, group_by), outcomes in too_early.items():
        days = " and ".join(
            filter(None, [", ".join(str(o.window_days) for o in outcomes[:-1]), str(outcomes[-1].window_days)])
        )
        first = outcomes[0].repurchase.note or ""
        lines.append(f"{group} ({group_by}): {TOO_EARLY} at {days} days{first.removeprefix(TOO_EARLY)}.")
    lines.append("")
    money_rows, complaint_rows = [], []
    for outcome in report.outcomes:
        if outcome.group_by != "overall":
            continue
        revenue, complaint = outcome.revenue, outcome.complaints
        money_rows.append(
            [
                outcome.window_days,
                report.money(revenue.treated_value),
                report.money(revenue.control_value),
                report.money(revenue.difference),
                _interval_cell(revenue, money=report),
                revenue.note or "",
            ]
        )
        complaint_rows.append(
            [
                outcome.window_days,
                _percent(complaint.treated_value),
                _percent(complaint.control_value),
                _points_cell(complaint.difference),
                _interval_cell(complaint),
                complaint.note or "",
            ]
        )
    lines += [
        f"Revenue per customer ({report.currency}), overall",
        table(["days", "sent", "held out", "difference", level, "note"], money_rows, max_width=100),
        "",
        "Later complaints, overall",
        table(["days", "sent", "held out", "diff (pts)", level, "note"], complaint_rows, max_width=100),
        "",
    ]
    lines += _activity_text(report)
    return "\n".join(lines)


def weekly_table(activity: Sequence[WeekKind]) -> tuple[list[str], list[list[object]]]:
    """One row per week: gestures by status (those that occur), then by kind (all but cancelled)."""
    statuses = [status for status in STATUSES if any(row.counts[status] for row in activity)]
    kinds = sorted({row.kind for row in activity})
    weeks: dict[str, Counter] = defaultdict(Counter)
    for row in activity:
        weeks[row.week].update(row.counts)
        weeks[row.week][row.kind] += sum(row.counts.values()) - row.counts[GestureStatus.CANCELLED]
    headers = ["week", *(status.replace("_", " ") for status in statuses), *kinds]
    return headers, [[week, *(weeks[week][name] for name in (*statuses, *kinds))] for week in sorted(weeks)]


def _activity_text(report: Report) -> list[str]:
    lines = ["Gestures per week, by status and by kind (kinds count all but cancelled)"]
    if report.activity:
        lines.append(table(*weekly_table(report.activity)))
        lines += [
            "",
            "Spend against budget (sent; planned but not yet sent)",
            table(
                ["week", "sent", "planned", "budget", "used"],
                [
                    [
                        row.week,
                        report.money(row.sent_minor),
                        report.money(row.planned_minor),
                        report.money(row.budget_minor),
                        _percent(row.sent_minor / row.budget_minor) if row.budget_minor else "—",
                    ]
                    for row in report.spend
                ],
            ),
        ]
    else:
        lines.append("No gestures planned in this period.")
    lines += ["", "Writers"]
    if report.writers:
        lines.append(
            table(
                ["writer", "weeks", "planned", "sent", "skipped", "failed"],
                [
                    [w.writer, w.weeks, w.counts["planned"], w.counts["sent"], w.counts["skipped"], w.counts["failed"]]
                    for w in report.writers
                ],
            )
        )
    else:
        lines.append("No gestures were given to a writer in this period.")
    lines += [
        "",
        f"Overdue feedback (no reply from a person after {report.reply_within_days} days): {len(report.overdue)}",
    ]
    if report.overdue:
        shown = report.overdue[:10]
        lines.append(
            table(
                ["customer", "kind", "rating", "received", "waiting (days)"],
                [[o.customer_name, o.kind, o.rating, o.received_at.date(), o.waiting_days] for o in shown],
            )
        )
        if len(report.overdue) > len(shown):
            lines.append(f"… and {len(report.overdue) - len(shown)} more: delight feedback list --open")
    return lines


def _comparison_json(comparison: Comparison, report: Report | None = None) -> dict[str, object]:
    """A comparison for JSON; with ``report``, its values are money in the report's currency."""

    def value(number: float | None) -> object:
        if number is None or report is None:
            return number
        return from_minor(round(number), report.currency)

    return {
        "treated_n": comparison.treated_n,
        "control_n": comparison.control_n,
        "treated": value(comparison.treated_value),
        "control": value(comparison.control_value),
        "difference": value(comparison.difference),
        "ci_low": value(comparison.ci_low),
        "ci_high": value(comparison.ci_high),
        "note": comparison.note,
    }


def report_json(report: Report) -> dict[str, object]:
    """The report as JSON-ready data: activity figures and a flat list of ``outcomes``."""
    outcomes = []
    for outcome in report.outcomes:
        result = outcome.repurchase
        outcomes.append(
            {
                "group": outcome.group,
                "group_by": outcome.group_by,
                "window_days": outcome.window_days,
                "treated_n": result.treated_n,
                "control_n": result.control_n,
                "treated_rate": result.treated_value,
                "control_rate": result.control_value,
                "difference": result.difference,
                "ci_low": result.ci_low,
                "ci_high": result.ci_high,
                "note": result.note,
                "pending": outcome.pending,
                "revenue_per_customer": {"currency": report.currency, **_comparison_json(outcome.revenue, report)},
                "complaints": _comparison_json(outcome.complaints),
            }
        )
    return {
        "since": report.since,
        "until": report.until,
        "timezone": report.timezone,
        "confidence": report.confidence,
        "summary": report.summary,
        "currency": report.currency,
        "weeks": [asdict(row) for row in report.activity],
        "spend": [
            {
                "week": row.week,
                "sent": from_minor(row.sent_minor, report.currency),
                "planned": from_minor(row.planned_minor, report.currency),
                "budget": None if row.budget_minor is None else from_minor(row.budget_minor, report.currency),
            }
            for row in report.spend
        ],
        "writers": [asdict(row) for row in report.writers],
        "overdue_feedback": [asdict(row) for row in report.overdue],
        "outcomes": outcomes,
        "recovery": asdict(report.recovery) if report.recovery is not None else None,
    }
