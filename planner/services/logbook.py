"""The log of what people did with the week's gestures: sent, skipped, failed, undone.

Every change is one write transaction that locks the gestures it touches (in id order,
so two loggers never deadlock), and leaves an ``AuditEvent`` saying who and when.
Nothing is deleted. A batch with any bad entry changes nothing and names every bad one.

Allowed changes: planned → sent | skipped | failed, and (undo) sent | skipped | failed →
planned. Logging a gesture again with the status it already has keeps the first record.
Held-out and cancelled gestures were never to be sent, so they cannot be logged.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, bindparam, select
from sqlmodel import Session

from db.engine import transaction, write_transaction
from db.models import AuditEvent, Customer, Gesture, GestureStatus
from planner.core.errors import InputError, LogRejected, NotFound, refuse_batch
from planner.core.limits import MAX_ID, check_date
from planner.core.rules import load_rules
from planner.files.reading import inspect_file, read_rows
from planner.files.spreadsheet import FORMULA_START
from planner.terminal import checked_name, clean, plural, table

LOGGED = (GestureStatus.SENT, GestureStatus.SKIPPED, GestureStatus.FAILED)
# Statuses a filled-in `delight list` file may still show for rows nobody has acted on.
NOT_ACTED_ON = (GestureStatus.PLANNED, GestureStatus.HELD_OUT, GestureStatus.CANCELLED)
# How far ahead of this computer's clock --at may be (another computer's clock may run fast).
CLOCK_SLACK = timedelta(minutes=5)
NOTE_MARK = "; note: "


@dataclass(frozen=True)
class LogOptions:
    """Who logs, when it happened, and the rules file that names the shop's time zone."""

    by: str | None  # None: a log file's rows say who, each in its by column
    note: str | None = None
    at: str | None = None
    rules_path: Path | None = None
    encoding: str = "auto"


@dataclass(frozen=True)
class _Entry:
    """One thing to log: a gesture and its outcome, and how to name it in a problem."""

    where: str
    gesture_id: int
    status: str
    by: str
    at: datetime
    note: str | None
    customer_id: str | None = None


@dataclass(frozen=True)
class AlreadyLogged:
    """A gesture that was already logged with the same outcome: its first record is kept."""

    gesture_id: int
    status: str
    by: str | None
    at: datetime | None


@dataclass
class LogResult:
    """What a log command or file did."""

    timezone: ZoneInfo
    logged: Counter[str] = field(default_factory=Counter)
    already: list[AlreadyLogged] = field(default_factory=list)
    left_alone: int = 0

    def describe(self) -> list[str]:
        """Lines for people: what was logged, what was already logged, what was left alone."""
        total = sum(self.logged.values())
        parts = ", ".join(f"{count} {status}" for status, count in sorted(self.logged.items()))
        lines = [f"Logged {plural(total, 'gesture')}" + (f" ({parts})." if total else ".")]
        for item in self.already:
            who = f" by {clean(item.by)}" if item.by else ""
            when = f" at {local_time(item.at, self.timezone)}" if item.at else ""
            lines.append(
                f"gesture {item.gesture_id}: already logged as {item.status}{who}{when}; kept the first record"
            )
        if self.left_alone:
            lines.append(f"Left {plural(self.left_alone, 'row')} still planned or held out as they are.")
        return lines


@dataclass(frozen=True)
class UndoResult:
    """A gesture returned to planned (or cancelled, when its customer may no longer be contacted)."""

    gesture_id: int
    was: str
    now: str

    def describe(self) -> str:
        """One line for people."""
        if self.now == GestureStatus.CANCELLED:
            return f"Gesture {self.gesture_id}: no longer {self.was}; cancelled, as its customer may not be contacted."
        return f"Gesture {self.gesture_id}: no longer {self.was}; back to planned."


@dataclass(frozen=True)
class HistoryEvent:
    """One change to a gesture."""

    at: datetime
    actor: str
    action: str
    detail: str


@dataclass(frozen=True)
class GestureHistory:
    """A gesture as it is now, and every change made to it."""

    gesture_id: int
    customer_id: str
    week: str
    kind: str
    status: str
    note: str | None
    timezone: ZoneInfo
    events: list[HistoryEvent]

    def describe(self) -> str:
        """The gesture, then its changes in a table, times in the shop's time zone."""
        now = f"{self.status} ({self.note})" if self.note else self.status
        head = f"Gesture {self.gesture_id}: {self.kind} for {self.customer_id}, week {self.week}, now {now}"
        rows = [[local_time(e.at, self.timezone), e.actor, e.action, e.detail] for e in self.events]
        return head + "\n\n" + table(["when", "who", "what", "detail"], rows, max_width=60)


def local_time(moment: datetime, timezone: ZoneInfo) -> str:
    """A moment in the shop's time zone, like "2026-12-01 15:30 KST"."""
    return moment.astimezone(timezone).strftime("%Y-%m-%d %H:%M %Z")


def parse_when(text: str, timezone: ZoneInfo, *, label: str = "--at", now: datetime | None = None) -> datetime:
    """An ISO date and time; without an offset it is the shop's local time. Not in the future."""
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise InputError(
            f'{label} "{text}" is not a date and time like 2026-12-01T15:30 (or 2026-12-01T15:30+09:00)'
        ) from None
    check_date(moment.date(), f'{label} "{text}":')
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone)
    if moment > (now or datetime.now(UTC)) + CLOCK_SLACK:
        raise InputError(f'{label} "{text}" is in the future: log what was done, once it is done')
    return moment.astimezone(UTC)


def log_gestures(engine: Engine, status: str, gesture_ids: Sequence[int], options: LogOptions) -> LogResult:
    """`delight log sent|skipped|failed`: log the gestures, all or none."""
    return write_transaction(engine, lambda session: log_in(session, status, gesture_ids, options))


def log_in(session: Session, status: str, gesture_ids: Sequence[int], options: LogOptions) -> LogResult:
    """``log_gestures`` in the caller's write transaction (which a rejected batch must roll back)."""
    if status not in LOGGED:
        raise InputError(f'cannot log a gesture as "{status}": use sent, skipped or failed')
    timezone = ZoneInfo(load_rules(options.rules_path).timezone)
    by = checked_name(options.by, "--by")
    at = parse_when(options.at, timezone) if options.at else datetime.now(UTC)
    note = (options.note or "").strip() or None
    unique_ids = list(dict.fromkeys(gesture_ids))
    entries = [_Entry(f"gesture {gesture_id}", gesture_id, status, by, at, note) for gesture_id in unique_ids]
    result = LogResult(timezone)
    try:
        _apply(session, entries, result)
    except _Problems as problems:
        raise LogRejected(
            f"nothing was logged: {problems.count} of {plural(len(unique_ids), 'gesture')} "
            f"cannot be logged as {status} (listed above)",
            problems.lines,
        ) from None
    return result


def import_log(engine: Engine, path: Path, options: LogOptions) -> LogResult:
    """`delight log import`: a filled-in `delight list --format csv` file, all rows or none.

    Reads the ``gesture_id`` and ``status`` columns, and ``customer_id``, ``by``, ``note`` and
    ``at`` where present. Rows still planned or held out are left alone.
    """
    timezone = ZoneInfo(load_rules(options.rules_path).timezone)
    default_by = checked_name(options.by, "--by") if options.by else None
    default_at = parse_when(options.at, timezone) if options.at else datetime.now(UTC)
    problems: list[str] = []
    with inspect_file(path, options.encoding) as source:
        columns = {name.strip().lower(): index for index, name in enumerate(source.header)}
        for needed in ("gesture_id", "status"):
            if needed not in columns:
                raise InputError(
                    f'{path.name}: no "{needed}" column: export the week with `delight list --format csv`, '
                    "fill in the status column, and import that file"
                )
        # A week's file: a few thousand rows at most.
        rows = list(read_rows(source, on_ragged=lambda line, reason, _: problems.append(f"line {line}: {reason}")))
    result = LogResult(timezone)
    entries: list[_Entry] = []
    for line, cells in rows:

        def cell(name: str, cells: list[str] = cells) -> str:
            index = columns.get(name)
            return _from_spreadsheet(cells[index]) if index is not None and index < len(cells) else ""

        where = f"line {line}"
        raw_id, status = cell("gesture_id"), cell("status").lower()
        if status in NOT_ACTED_ON:
            result.left_alone += 1
            continue
        try:
            gesture_id = int(raw_id)
        except ValueError:
            problems.append(f'{where}: gesture_id "{raw_id}" is not a number')
            continue
        if not 1 <= gesture_id <= MAX_ID:
            problems.append(f'{where}: gesture_id "{raw_id}" does not exist (see `delight list` for ids)')
            continue
        where = f"line {line}: gesture {gesture_id}"
        if status not in LOGGED:
            shown = f'"{status}"' if status else "empty"
            problems.append(f"{where}: status is {shown}: write sent, skipped or failed (or leave it planned)")
            continue
        try:
            by = checked_name(cell("by"), "by") if cell("by") else default_by
            if by is None:
                raise InputError("no by: say who did it in a by column, or give --by NAME (or set DELIGHT_USER)")
            at = parse_when(cell("at"), timezone, label="at") if cell("at") else default_at
        except InputError as exc:
            problems.append(f"{where}: {exc}")
            continue
        entries.append(_Entry(where, gesture_id, status, by, at, cell("note") or None, cell("customer_id") or None))

    def work(session: Session) -> LogResult:
        _apply(session, entries, result, problems)
        return result

    try:
        return write_transaction(engine, work)
    except _Problems as bad:
        raise LogRejected(
            f"{path.name}: {plural(bad.count, 'bad row')}, so nothing was logged: fix them and import the file again",
            bad.lines,
        ) from None


class _Problems(Exception):
    """Raised inside the transaction so that it rolls back; carries every problem found."""

    def __init__(self, lines: list[str]) -> None:
        super().__init__(f"{len(lines)} problems")
        self.lines = lines
        self.count = len(lines)


def _apply(session: Session, entries: Sequence[_Entry], result: LogResult, problems: list[str] | None = None) -> None:
    """Log each entry on its locked gesture; raise ``_Problems`` (changing nothing) if any is bad."""
    problems = list(problems or [])
    gestures = _locked(session, {entry.gesture_id for entry in entries})
    external: dict[int, str] = {}
    if any(entry.customer_id is not None for entry in entries):  # only a log file's rows name their customer
        customer_ids = {g.customer_id for g in gestures.values()}
        external = dict(
            session.execute(select(Customer.id, Customer.external_id).where(Customer.id.in_(customer_ids))).all()
        )
    first_record: dict[int, str] = {}
    for entry in entries:
        gesture = gestures.get(entry.gesture_id)
        problem = _problem(entry, gesture, external)
        if problem:
            problems.append(f"{entry.where} {problem}")
            continue
        assert gesture is not None  # _problem reports a missing gesture
        if gesture.status == entry.status:
            first_record.setdefault(gesture.id, gesture.status)
            continue
        gesture.status = entry.status
        gesture.note = entry.note
        if entry.status == GestureStatus.SENT:
            gesture.sent_at, gesture.sent_by = entry.at, entry.by
        result.logged[entry.status] += 1
        first_record[gesture.id] = ""  # logged now: a repeat in this batch is not "already logged"
        record_event(session, "gesture", gesture.id, entry.by, entry.status, _detail(entry, result.timezone))
    if problems:
        raise _Problems(problems)
    result.already = _first_records({k: v for k, v in first_record.items() if v}, gestures, session)
    session.flush()


def _problem(entry: _Entry, gesture: Gesture | None, external: dict[int, str]) -> str | None:
    """Why an entry cannot be logged, or None."""
    if gesture is None:
        return "does not exist (see `delight list` for ids)"
    owner = external.get(gesture.customer_id, "")
    if entry.customer_id is not None and entry.customer_id != owner:
        return f'belongs to customer {owner}, not "{entry.customer_id}": was the file re-sorted?'
    if gesture.status == GestureStatus.HELD_OUT:
        return "is held out (control group): it is never sent, so there is nothing to log"
    if gesture.status == GestureStatus.CANCELLED:
        why = f" ({gesture.note})" if gesture.note else ""
        return f"is cancelled{why}: there is nothing to log"
    if gesture.status in LOGGED and gesture.status != entry.status:
        return (
            f"is already logged as {gesture.status}, so it cannot be {entry.status}: "
            f"run `delight log undo {gesture.id}` first"
        )
    return None


# Built once: every tick at the desk runs it, and building a statement costs SQLAlchemy more than running it.
_LOCK_GESTURES = (
    select(Gesture)
    .where(Gesture.id.in_(bindparam("ids", expanding=True)))
    .order_by(Gesture.id)
    .with_for_update()
    .execution_options(populate_existing=True)
)


def _locked(session: Session, gesture_ids: Iterable[int]) -> dict[int, Gesture]:
    """The gestures, locked for this transaction in id order (PostgreSQL; SQLite holds the write lock already)."""
    ids = sorted(set(gesture_ids))
    found: dict[int, Gesture] = {}
    for start in range(0, len(ids), 1000):
        batch = session.execute(_LOCK_GESTURES, {"ids": ids[start : start + 1000]}).scalars()
        found.update((gesture.id, gesture) for gesture in batch)
    return found


def _first_records(statuses: dict[int, str], gestures: dict[int, Gesture], session: Session) -> list[AlreadyLogged]:
    """Who logged each already-logged gesture first, and when (from the gesture, or its audit trail)."""
    if not statuses:
        return []
    latest: dict[int, AuditEvent] = {}
    events = session.execute(
        select(AuditEvent)
        .where(AuditEvent.entity == "gesture", AuditEvent.entity_id.in_(list(statuses)))
        .order_by(AuditEvent.id)
    ).scalars()
    for event in events:
        if event.action == statuses[event.entity_id]:
            latest[event.entity_id] = event
    already = []
    for gesture_id, status in sorted(statuses.items()):
        gesture, event = gestures[gesture_id], latest.get(gesture_id)
        by = gesture.sent_by or (event.actor if event else None)
        at = gesture.sent_at or (event.at if event else None)
        already.append(AlreadyLogged(gesture_id, status, by, at))
    return already


def undo(engine: Engine, gesture_ids: Sequence[int], by: str, rules_path: Path | None = None) -> list[UndoResult]:
    """`delight log undo`: logged gestures go back to planned, all or none; the audit trail keeps what they were."""
    return write_transaction(engine, lambda session: undo_in(session, gesture_ids, by, rules_path))


def undo_in(session: Session, gesture_ids: Sequence[int], by: str, rules_path: Path | None = None) -> list[UndoResult]:
    """``undo`` in the caller's write transaction (which a refused batch must roll back)."""
    actor = checked_name(by, "--by")
    timezone = ZoneInfo(load_rules(rules_path).timezone)
    unique_ids = list(dict.fromkeys(gesture_ids))
    gestures = _locked(session, unique_ids)
    problems = []
    for gesture_id in unique_ids:
        gesture = gestures.get(gesture_id)
        if gesture is None:
            problems.append(f"no gesture {gesture_id} (see `delight list` for ids)")
        elif gesture.status not in LOGGED:
            problems.append(f"gesture {gesture_id} is {gesture.status}, not logged: there is nothing to undo")
    refuse_batch(problems, len(unique_ids), "gestures", "undone")
    return [_undo(session, gestures[gesture_id], actor, timezone) for gesture_id in unique_ids]


def _undo(session: Session, gesture: Gesture, actor: str, timezone: ZoneInfo) -> UndoResult:
    customer = session.get(Customer, gesture.customer_id)
    assert customer is not None  # a foreign key
    was = gesture.status
    record = f"was {was}"
    if gesture.sent_by:
        record += f" by {gesture.sent_by}"
    if gesture.sent_at:
        record += f" at {local_time(gesture.sent_at, timezone)}"
    if customer.do_not_contact or customer.erased_at:
        gesture.status, gesture.note = GestureStatus.CANCELLED, "customer may not be contacted"
        record += "; cancelled: the customer may not be contacted"
    else:
        gesture.status, gesture.note = GestureStatus.PLANNED, None
        record += "; back to planned"
    gesture.sent_at = gesture.sent_by = None
    record_event(session, "gesture", gesture.id, actor, "undo", record)
    return UndoResult(gesture.id, was, gesture.status)


def gesture_history(engine: Engine, gesture_id: int, rules_path: Path | None = None) -> GestureHistory:
    """`delight log history`: the gesture now, its planning, and every logged change, oldest first."""
    timezone = ZoneInfo(load_rules(rules_path).timezone)
    with transaction(engine) as session:
        found = session.execute(
            select(Gesture, Customer.external_id)
            .join(Customer, Customer.id == Gesture.customer_id)
            .where(Gesture.id == gesture_id)
        ).one_or_none()
        if found is None:
            raise NotFound(f"no gesture {gesture_id} (see `delight list` for ids)")
        gesture, customer_id = found
        events = [
            HistoryEvent(
                gesture.created_at,
                "planner",
                "held out" if gesture.status == GestureStatus.HELD_OUT else "planned",
                f"plan run {gesture.plan_run_id}" if gesture.plan_run_id else "",
            )
        ]
        events += [
            HistoryEvent(event.at, event.actor, event.action, event.detail)
            for event in session.execute(
                select(AuditEvent)
                .where(AuditEvent.entity == "gesture", AuditEvent.entity_id == gesture_id)
                .order_by(AuditEvent.at, AuditEvent.id)
            ).scalars()
        ]
    return GestureHistory(
        gesture.id, customer_id, gesture.week, gesture.kind, gesture.status, gesture.note, timezone, events
    )


def record_event(session: Session, entity: str, entity_id: int, actor: str, action: str, detail: str) -> None:
    """Add one audit event to the session (for other modules that change gestures or customers)."""
    session.add(AuditEvent(actor=actor, entity=entity, entity_id=entity_id, action=action, detail=detail))


def without_note(detail: str) -> str:
    """An audit detail with its free-text note taken out (for a customer who asked to be forgotten)."""
    kept, _, note = detail.partition(NOTE_MARK)
    return kept + "; note erased" if note else detail


def _detail(entry: _Entry, timezone: ZoneInfo) -> str:
    # The note goes last, after NOTE_MARK, so that `without_note` can take it out again.
    detail = f"{entry.status} at {local_time(entry.at, timezone)}"
    return detail + NOTE_MARK + entry.note if entry.note else detail


def _from_spreadsheet(cell: str) -> str:
    """A cell as the exporter meant it: trimmed, without the apostrophe that kept it from being a formula."""
    text = cell.strip()
    if text.startswith("'") and text[1:].startswith(FORMULA_START):
        return text[1:].strip()
    return text


@dataclass(frozen=True)
class TakeOver:
    """Gestures given to another writer, and those that could not change hands."""

    writer: str
    moved: int
    refused: list[str]

    def describe(self) -> list[str]:
        """Lines for people."""
        return [f"{self.writer} took over {plural(self.moved, 'gesture')}.", *self.refused]


def take_over_in(session: Session, gesture_ids: Sequence[int], writer: str, by: str) -> TakeOver:
    """Give planned gestures to ``writer`` (someone taking over a colleague's stack), in the caller's write transaction.

    Only gestures still planned change hands; the audit trail keeps whose they were.
    """
    writer, actor = checked_name(writer, "writer"), checked_name(by, "--by")
    gestures = _locked(session, gesture_ids)
    refused, moved = [], 0
    for gesture_id in dict.fromkeys(gesture_ids):
        gesture = gestures.get(gesture_id)
        if gesture is None:
            refused.append(f"gesture {gesture_id} does not exist")
        elif gesture.status != GestureStatus.PLANNED:
            refused.append(f"gesture {gesture_id} is {gesture.status}: only planned gestures change hands")
        elif gesture.writer != writer:
            was = gesture.writer or "nobody"
            gesture.writer = writer
            record_event(session, "gesture", gesture.id, actor, "take over", f"writer {was} → {writer}")
            moved += 1
    return TakeOver(writer, moved, refused)
