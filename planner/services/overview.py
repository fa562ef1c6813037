"""The week at a glance: what was planned, sent, skipped and failed, the budget, what is still open.

``week_summary`` gathers it in one read transaction and ``week_text`` renders it. Other
modules add their own lines (overdue feedback, repetition, ...) with ``add_section``:
a function given the session and the week that returns a ``WeekSection`` or ``None``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, select
from sqlmodel import Session

from db.engine import transaction
from db.models import Customer, Gesture, GestureStatus, PlanRun
from db.vocabulary import TAKING_BUDGET
from planner.core.money import format_money, from_minor
from planner.core.rules import load_rules
from planner.core.weeks import resolve_week
from planner.services.listening import WHY_WORDS, Waiting, waiting_in
from planner.terminal import clean, table

COUNTED = (GestureStatus.PLANNED, GestureStatus.SENT, GestureStatus.SKIPPED, GestureStatus.FAILED)
NO_WRITER = ""  # gestures nobody writes (messages, calls): named in the team's language when shown

# `delight week` in the team's language (``team_language``).
WORDS: dict[str, dict[str, str]] = {
    "en": {
        "nothing": "Week {week}: nothing planned. Plan it with `delight plan --week {week}`.",
        "title": "Week {week}",
        "statuses": "planned|sent|skipped|failed",
        "kind": "kind",
        "writer": "writer",
        "total": "total",
        "no_writer": "(no writer)",
        "spent_no_budget": "Spent: {spent} (no plan run for this week, so no budget)",
        "spent": "Spent: {spent} of {budget}; {planned} still planned",
        "held_out": "Held out as control: {count}",
        "open": "Still open ({count} planned, not yet logged):",
        "open_headings": "id|customer|name|kind|writer",
        "log_hint": "Log them with `delight log sent|skipped|failed ID...` or `delight log import FILE.csv`.",
        "all_logged": "Nothing open: every planned gesture is logged.",
        "waiting": "Waiting for a person ({why}): {count}",
        "waiting_full": "recovery capacity is full: they come first next week",
        "waiting_no_kind": "the rules have no recovery kind (recovery = true), so nobody calls them",
        "waiting_line": "  {name} ({customer}): {why}, waiting {days}",
        "day": "1 day",
        "days": "{days} days",
        "more": "  … and {count} more (`delight week` lists them all)",
        "reply": "  Reply to them today: `delight feedback list --open`.",
    },
    "ko": {
        "nothing": "{week} 주차: 계획된 것이 없어요. `delight plan --week {week}`으로 계획해 보세요.",
        "title": "{week} 주차",
        "statuses": "계획|보냄|건너뜀|실패",
        "kind": "종류",
        "writer": "작성자",
        "total": "합계",
        "no_writer": "(작성자 없음)",
        "spent_no_budget": "쓴 돈: {spent} (이번 주 계획이 없어 예산도 없어요)",
        "spent": "쓴 돈: {budget} 중 {spent}; 아직 계획만 된 것 {planned}",
        "held_out": "대조군으로 제외: {count}건",
        "open": "아직 남은 일 ({count}건 계획, 기록 전):",
        "open_headings": "번호|고객|이름|종류|작성자",
        "log_hint": "`delight log sent|skipped|failed 번호...` 또는 `delight log import 파일.csv`로 기록해 주세요.",
        "all_logged": "남은 일 없음: 계획한 것을 모두 기록했어요.",
        "waiting": "연락을 기다리는 고객 ({why}): {count}명",
        "waiting_full": "회복 연락 인원이 다 찼어요: 다음 주에 가장 먼저 연락해요",
        "waiting_no_kind": "규칙에 회복 연락 종류(recovery = true)가 없어 아무도 연락하지 않아요",
        "waiting_line": "  {name} ({customer}): {why}, {days}째 기다리는 중",
        "day": "1일",
        "days": "{days}일",
        "more": "  … 외 {count}명 (`delight week`에서 모두 볼 수 있어요)",
        "reply": "  오늘 답을 남겨 주세요: `delight feedback list --open`.",
    },
}


@dataclass(frozen=True)
class WeekSection:
    """Extra lines for the week at a glance, under a title."""

    title: str
    lines: tuple[str, ...]


@dataclass(frozen=True)
class WeekContext:
    """What a section maker may use: the open session (read only), the week and the shop's time zone."""

    session: Session
    week: str
    timezone: ZoneInfo


SectionMaker = Callable[[WeekContext], WeekSection | None]
_SECTION_MAKERS: list[SectionMaker] = []


def add_section(maker: SectionMaker) -> SectionMaker:
    """Have `delight week` show ``maker``'s section (after the built-in ones). Usable as a decorator."""
    if maker not in _SECTION_MAKERS:
        _SECTION_MAKERS.append(maker)
    return maker


@dataclass
class Tally:
    """Gestures by status."""

    planned: int = 0
    sent: int = 0
    skipped: int = 0
    failed: int = 0

    def count(self, status: str) -> None:
        """Count one gesture with this status."""
        setattr(self, status, getattr(self, status) + 1)

    def row(self) -> list[int]:
        """planned, sent, skipped, failed."""
        return [self.planned, self.sent, self.skipped, self.failed]


@dataclass(frozen=True)
class OpenGesture:
    """A gesture still planned: nobody has logged it yet."""

    gesture_id: int
    customer_id: str
    customer_name: str
    kind: str
    writer: str | None


@dataclass
class WeekSummary:
    """One week: tallies per kind and writer, money, what is open, and any added sections."""

    week: str
    currency: str
    budget: Decimal | None  # the latest plan run's; None when the week was never planned
    spent: Decimal
    still_planned: Decimal
    held_out: int
    by_kind: dict[str, Tally] = field(default_factory=dict)
    by_writer: dict[str, Tally] = field(default_factory=dict)
    open: list[OpenGesture] = field(default_factory=list)
    waiting: list[Waiting] = field(default_factory=list)  # owed a person, not reached this week
    sections: list[WeekSection] = field(default_factory=list)
    language: str = "en"  # the team's

    @property
    def total(self) -> Tally:
        """All kinds together."""
        total = Tally()
        for tally in self.by_kind.values():
            for status in COUNTED:
                setattr(total, status, getattr(total, status) + getattr(tally, status))
        return total


def week_summary(engine: Engine, week: str | None = None, rules_path: Path | None = None) -> WeekSummary:
    """`delight week`: the week's gestures counted per kind and per writer, the budget, what is open."""
    rules = load_rules(rules_path)
    chosen = resolve_week(week, rules)
    timezone = ZoneInfo(rules.timezone)
    with transaction(engine) as session:
        run = session.execute(
            select(PlanRun).where(PlanRun.week == chosen).order_by(PlanRun.id.desc()).limit(1)
        ).scalar_one_or_none()
        currency = run.currency if run is not None else rules.currency
        rows = session.execute(
            select(Gesture, Customer.external_id, Customer.name)
            .join(Customer, Customer.id == Gesture.customer_id)
            .where(Gesture.week == chosen, Gesture.status.in_([*COUNTED, GestureStatus.HELD_OUT]))
            .order_by(Gesture.writer, Gesture.kind, Gesture.id)
        ).all()
        spent_minor = planned_minor = held_out = 0
        by_kind: dict[str, Tally] = {}
        by_writer: dict[str, Tally] = {}
        still_open: list[OpenGesture] = []
        for gesture, customer_id, name in rows:
            if gesture.status == GestureStatus.HELD_OUT:
                held_out += 1
                continue
            by_kind.setdefault(gesture.kind, Tally()).count(gesture.status)
            by_writer.setdefault(gesture.writer or NO_WRITER, Tally()).count(gesture.status)
            if gesture.status == GestureStatus.PLANNED:
                planned_minor += gesture.cost_minor
            elif gesture.status in TAKING_BUDGET:
                spent_minor += gesture.cost_minor
            if gesture.status == GestureStatus.PLANNED:
                still_open.append(
                    OpenGesture(gesture.id, customer_id, name or "(erased)", gesture.kind, gesture.writer)
                )
        summary = WeekSummary(
            week=chosen,
            currency=currency,
            budget=from_minor(run.budget_minor, run.currency) if run is not None else None,
            spent=from_minor(spent_minor, currency),
            still_planned=from_minor(planned_minor, currency),
            held_out=held_out,
            by_kind=dict(sorted(by_kind.items())),
            by_writer=dict(sorted(by_writer.items())),
            open=still_open,
            waiting=waiting_in(session, chosen, rules, run.as_of if run is not None else None),
            language=rules.team_language,
        )
        context = WeekContext(session, chosen, timezone)
        summary.sections = [section for maker in _SECTION_MAKERS if (section := maker(context)) is not None]
    return summary


def week_text(summary: WeekSummary) -> str:
    """The week at a glance, for a terminal, in the team's language."""
    words = WORDS[summary.language]
    if not summary.by_kind and not summary.held_out:
        lines = [words["nothing"].format(week=summary.week)]
        lines += waiting_lines(summary.waiting, shown=len(summary.waiting), language=summary.language)
        return "\n".join([*lines, *_sections_text(summary.sections)])
    headers = words["statuses"].split("|")
    total = summary.total
    lines = [words["title"].format(week=summary.week), ""]
    kinds = [[kind, *tally.row()] for kind, tally in summary.by_kind.items()]
    lines.append(table([words["kind"], *headers], [*kinds, [words["total"], *total.row()]]))
    lines.append("")
    writers = [[writer or words["no_writer"], *tally.row()] for writer, tally in summary.by_writer.items()]
    lines.append(table([words["writer"], *headers], writers))
    lines.append("")
    money = format_money(summary.spent, summary.currency)
    if summary.budget is None:
        lines.append(words["spent_no_budget"].format(spent=money))
    else:
        budget = format_money(summary.budget, summary.currency)
        planned = format_money(summary.still_planned, summary.currency)
        lines.append(words["spent"].format(spent=money, budget=budget, planned=planned))
    if summary.held_out:
        lines.append(words["held_out"].format(count=summary.held_out))
    if summary.open:
        lines += ["", words["open"].format(count=len(summary.open))]
        rows = [[g.gesture_id, g.customer_id, clean(g.customer_name), g.kind, g.writer or ""] for g in summary.open]
        lines.append(table(words["open_headings"].split("|"), rows, max_width=30))
        lines.append(words["log_hint"])
    else:
        lines += ["", words["all_logged"]]
    lines += waiting_lines(summary.waiting, shown=len(summary.waiting), language=summary.language)
    return "\n".join([*lines, *_sections_text(summary.sections)])


def waiting_lines(
    waiting: Sequence[Waiting], *, has_recovery: bool = True, shown: int = 10, language: str = "en"
) -> list[str]:
    """Who is owed a person and was not reached this week, longest first: they come first next week."""
    if not waiting:
        return []
    words = WORDS[language]
    why = words["waiting_full"] if has_recovery else words["waiting_no_kind"]
    lines = ["", words["waiting"].format(why=why, count=len(waiting))]
    for person in waiting[:shown]:
        days = words["day"] if person.days == 1 else words["days"].format(days=person.days)
        lines.append(
            words["waiting_line"].format(
                name=clean(person.customer_name),
                customer=person.customer_id,
                why=WHY_WORDS[language][person.listening.why],
                days=days,
            )
        )
    if len(waiting) > shown:
        lines.append(words["more"].format(count=len(waiting) - shown))
    lines.append(words["reply"])
    return lines


def _sections_text(sections: list[WeekSection]) -> list[str]:
    lines: list[str] = []
    for section in sections:
        lines += ["", f"{section.title}:", *(f"  {clean(line)}" for line in section.lines)]
    return lines
