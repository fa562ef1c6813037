"""How results look in a terminal and in files: the words and tables the CLI prints."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict
from decimal import Decimal
from typing import TYPE_CHECKING

from planner.core.money import format_money
from planner.core.plan import PLANNED
from planner.files.spreadsheet import FrameSheet, Sheet
from planner.services.overview import waiting_lines
from planner.services.planning import Explanation, GestureView, PlanResult, WeekList
from planner.terminal import clean, plural, table, to_json

if TYPE_CHECKING:  # the printouts import ReportLab: only the commands that print load them
    import polars as pl

    from planner.services.printing import Message
    from printouts import PrintResult

SHEETS = ("csv", "xlsx")
GESTURE_FIELDS = (
    "gesture_id",
    "customer_id",
    "customer_name",
    "language",
    "kind",
    "rule",
    "status",
    "cost",
    "currency",
    "reason",
    "week",
    "writer",
    "message",
    "send_by",
    "gift",
    # For a mail-merge: the phone for calls, the address for what is posted; empty for the rest.
    "phone",
    "address1",
    "address2",
    "city",
    "region",
    "postal_code",
    "country",
)
# `delight list` in the team's language: the table's headings, and what is not shown.
LIST_WORDS = {
    "en": {
        "headings": ("id", "customer", "name", "kind", "status", "writer", "why", "cost"),
        "none": "No gestures for this week. Plan one with `delight plan`.",
        "held_out": "{count} held out as the control group",
        "cancelled": "{count} cancelled",
        "not_listed": "Not listed: {what} (`delight list --status all` lists them too).",
    },
    "ko": {
        "headings": ("번호", "고객", "이름", "종류", "상태", "작성자", "이유", "비용"),
        "none": "이번 주에 할 일이 없어요. `delight plan`으로 계획해 보세요.",
        "held_out": "대조군으로 제외 {count}건",
        "cancelled": "취소 {count}건",
        "not_listed": "목록에 없음: {what} (`delight list --status all`로 모두 볼 수 있어요).",
    },
}


def plan_summary(result: PlanResult) -> str:
    """The plan as ops staff read it: the gestures, totals against budget and capacity, who was removed,
    and who is waiting for a person."""
    plan, rules = result.plan, result.rules
    planned = result.gestures
    lines = [f"Plan for {result.week} (facts as of {result.as_of}, seed {result.seed}, plan run {result.run_id})", ""]
    if result.kept:
        lines.append(
            f"Kept the {result.kept} gestures already planned for {result.week} as they were (same ids, "
            f"customers and words); added {len(planned)} where capacity was free."
        )
    for gesture in result.cancelled:
        lines.append(
            f"Cancelled gesture {gesture.gesture_id} ({gesture.kind} for {clean(gesture.customer_name)}, "
            f"{gesture.customer_id}): they are owed a person first."
        )
    if planned:
        rows = [
            [g.customer_name, g.kind, g.rule or "", g.writer or "", g.reason, format_money(g.cost, g.currency)]
            for g in planned
        ]
        lines.append(table(["customer", "kind", "rule", "writer", "why", "cost"], rows, max_width=44))
    elif not result.kept:
        lines.append("No gestures planned this week.")
    lines += [
        "",
        f"Budget: {format_money(plan.spent, result.currency)} of {format_money(plan.budget, result.currency)}",
    ]
    capacity = [f"{name} {plan.used[name]}/{kind.capacity}" for name, kind in rules.gestures.items()]
    lines.append("Capacity: " + ", ".join(capacity))
    if plan.writer_load:
        writers = {writer.name: writer.capacity for writer in rules.writers}
        lines.append(
            "Writers: " + ", ".join(f"{w} {n}/{writers.get(w, '?')}" for w, n in sorted(plan.writer_load.items()))
        )
    lines.append(
        f"Matched by rules: {plan.matched_customers:,} customers; planned {len(planned)}, "
        f"held out as control {result.held_out:,}."
    )
    if result.seconds:
        took = ", ".join(f"{step} {seconds:.1f} s" for step, seconds in result.seconds.items())
        lines.append(f"Took {sum(result.seconds.values()):.1f} s ({took}).")
    if plan.removed:
        lines.append("Removed by constraint:")
        lines += [f"  {name}: {count:,}" for name, count in plan.removed.most_common() if count]
    if result.replaced:
        lines.append(f"Replaced {result.replaced} gestures that were still only planned or held out.")
    lines += waiting_lines(result.waiting, has_recovery=bool(rules.recovery_kinds))
    lines += [
        "",
        "Next: delight print cards, delight print envelopes, delight print briefs, delight print labels, "
        "delight export messages",
    ]
    return "\n".join(lines)


def gestures_output(gestures: Sequence[GestureView], output_format: str, language: str = "en") -> str | Sheet:
    """`delight list` as a table (headings in the team's ``language``), JSON, or a sheet for CSV/xlsx
    (round-trips through `delight log import`)."""
    if output_format == "json":
        return to_json([{name: getattr(g, name) for name in GESTURE_FIELDS} for g in gestures])
    if output_format in SHEETS:
        return Sheet(GESTURE_FIELDS, [[getattr(g, name) for name in GESTURE_FIELDS] for g in gestures], "gestures")
    words = LIST_WORDS[language]
    if not gestures:
        return words["none"]
    rows = [
        [
            g.gesture_id,
            g.customer_id,
            g.customer_name,
            g.kind,
            g.status,
            g.writer or "",
            g.reason,
            format_money(g.cost, g.currency),
        ]
        for g in gestures
    ]
    return table(words["headings"], rows, max_width=40)


def not_listed(listed: WeekList) -> str | None:
    """The line under `delight list` saying how many gestures it left out, and how to see them."""
    words = LIST_WORDS[listed.language]
    what = [
        words[key].format(count=f"{count:,}")
        for key, count in (("held_out", listed.held_out), ("cancelled", listed.cancelled))
        if count
    ]
    return words["not_listed"].format(what=", ".join(what)) if what else None


def facts_output(frame: pl.DataFrame, output_format: str) -> str | FrameSheet:
    """Every customer's facts as a sheet (CSV/xlsx) or as a JSON list of objects."""
    if output_format == "json":
        return to_json(list(frame.iter_rows(named=True)))
    return FrameSheet(frame, "facts")


def messages_output(messages: Sequence[Message], output_format: str) -> str | Sheet:
    """Cheer messages as a sheet (CSV/xlsx) or JSON."""
    records = [asdict(message) for message in messages]
    if output_format == "json":
        return to_json(records)
    from planner.services.printing import Message

    headers = list(Message.__dataclass_fields__)
    return Sheet(headers, [[record[name] for name in headers] for record in records], "messages")


def explanation(found: Explanation) -> str:
    """`delight explain`: the facts, each rule, and the decision."""
    lines = [f"{clean(found.customer_name)} ({found.customer_id}), week {found.week}, facts as of {found.as_of}", ""]
    lines.append(table(["fact", "value"], [[name, fact_text(value)] for name, value in found.facts.items()]))
    lines += ["", "Rules:"]
    lines += [f"  {'matched' if hit else '-      '}  {name} → {kind}" for name, kind, hit in found.rules]
    lines.append("")
    listening = found.listening
    if listening is not None:
        owed = "owed a person first" if listening.owed else "recovery or nothing (a person has called)"
        told = f" since {listening.said_on}" if listening.said_on else ""
        lines.append(f"Listening first: {listening.why}{told} — {owed}; a call or nothing, never the control group.")
        lines += [
            f"  earlier attempt {a.week}: {a.status}" + (f" — {clean(a.note)}" if a.note else "")
            for a in listening.attempts
        ]
    # The week once: what it holds now (or, if nothing, what it held last), and how often it was redrawn.
    current = [g for g in found.stored if g.status != "cancelled"]
    cancelled = [g for g in found.stored if g.status == "cancelled"]
    shown = current or cancelled[-1:]
    for gesture in shown:
        lines.append(f"This week: {gesture.kind} ({gesture.status}) — {clean(gesture.reason)}")
    earlier = len(cancelled) - (0 if current or not cancelled else 1)
    if earlier:
        lines.append(f"  (and {plural(earlier, 'earlier gesture')} for them this week, cancelled)")
    verdict = explanation_verdict(found)
    return "\n".join(lines + ([verdict] if verdict else []))


def explanation_verdict(found: Explanation) -> str | None:
    """Why the customer was not chosen this week, in one line (``None`` when they were)."""
    decision = found.decision
    if decision is not None and decision.constraint and decision.outcome != PLANNED:
        return f"Not chosen: {decision.constraint} — {decision.detail}"
    if decision is None and found.blocked_by:
        return f"Not chosen: {found.blocked_by}"
    if decision is None and not any(hit for _, _, hit in found.rules):
        return "Not chosen: no rule matched."
    if decision is None:
        return "No plan for this week yet: run `delight plan` to see the decision."
    return None


def fact_text(value: object) -> str:
    """A fact's value as `delight explain` prints it."""
    if value is None:
        return "(none)"
    if isinstance(value, Decimal):
        return f"{value:,}"
    if isinstance(value, tuple):
        return ", ".join(value) or "(none)"
    return str(value)


def printed(result: PrintResult, what: str) -> str:
    """One line about a PDF written, and who was left out."""
    line = f"Wrote {what} ({result.printed} customers, {plural(result.pages, 'page')}): {result.path}"
    if result.skipped:
        line += f"\n  left out (no address): {', '.join(clean(name) for name in result.skipped)}"
    return line
