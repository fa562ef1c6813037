"""Listening first: who is owed a person before anything else, and what they told us.

A customer is *restricted* to recovery (a recovery gesture or nothing; never a surprise, never the
control group) while they have an open complaint, or a rating of ``low_rating`` or less that no
person has answered: no reply, not resolved, and no recovery gesture sent since. They are *owed* a
person this week when nobody has reached them since they told us, or when their latest recovery
gesture was logged failed or skipped: owed customers come first, retries before the rest, then
whoever has waited longest. Nothing here depends on a rule: the planner does it for every shop.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, Integer, Text, bindparam, select, text
from sqlmodel import Session

from db.models import Customer, Gesture, GestureStatus
from db.types import UTCDateTime
from planner.core.rules import RuleSet
from planner.core.weeks import end_of_day, monday
from planner.words import phrases

OPEN_COMPLAINT = "open complaint"
LOW_RATING = "unanswered low rating"
RETRY = "recovery not done"
WHY_WORDS = {
    "ko": {
        OPEN_COMPLAINT: "해결되지 않은 불만",
        LOW_RATING: "답을 받지 못한 낮은 별점",
        RETRY: "지난 연락이 닿지 않음",
    },
    "en": {OPEN_COMPLAINT: OPEN_COMPLAINT, LOW_RATING: LOW_RATING, RETRY: "last attempt did not reach them"},
}


@dataclass(frozen=True)
class Attempt:
    """An earlier recovery gesture that did not reach them: the week, what happened and who said so."""

    week: str
    kind: str
    status: str  # failed or skipped
    on: date | None
    by: str | None
    note: str | None


@dataclass(frozen=True)
class Listening:
    """Why a customer must hear from a person first, citing what they told us."""

    customer_id: int
    owed: bool  # a person must reach them this week (else: recovery or nothing, and nothing is due)
    why: str  # OPEN_COMPLAINT, LOW_RATING or RETRY
    feedback_id: int | None  # the complaint or review this answers
    rating: int | None
    said_on: date | None  # the day they told us
    waiting_since: date
    attempts: tuple[Attempt, ...] = ()

    def waiting_days(self, as_of: date) -> int:
        return max((as_of - self.waiting_since).days, 0)

    @property
    def first_in_line(self) -> tuple[bool, date, int]:
        """Retries first, then whoever has waited longest."""
        return (self.why != RETRY, self.waiting_since, self.customer_id)

    def reason(self, greeting: str, as_of: date, language: str) -> str:
        """Why they get a call this week, in the team's language, citing what they told us."""
        rated = self.rating is not None and self.why != OPEN_COMPLAINT
        if self.said_on is None:
            told = {"ko": "불편을 겪으셨어요", "en": "had a bad experience"}[language]
        else:
            said = phrases.day(self.said_on, language, weekday=False)
            since = phrases.days_since((as_of - self.said_on).days, language)
            if language == "ko":
                told = (
                    f"{said}({since}) 별점 {self.rating}점을 주셨는데 아직 아무도 답하지 않았어요"
                    if rated
                    else f"{said}({since}) 불편을 말씀하셨고 아직 해결되지 않았어요"
                )
            else:
                told = (
                    f"rated us {self.rating} out of 5 on {said} ({since}) and nobody has replied yet"
                    if rated
                    else f"complained on {said} ({since}) and it is still open"
                )
        if language == "ko":
            text = f"{greeting}님이 {told}: 전화로 이야기를 듣고 바로잡아 주세요"
        else:
            text = f"{greeting} {told}: call, listen and put it right"
        if self.attempts:
            last = self.attempts[-1]
            if language == "ko":
                did = "연결되지 않았어요" if last.status == "failed" else "건너뛰었어요"
                text += f" (지난 {last.week} 연락은 {did}: 가장 먼저 다시 연락해 주세요)"
            else:
                did = "did not reach them" if last.status == "failed" else "was skipped"
                text += f" (the {last.week} attempt {did}: try again first)"
        return text


# Open complaints and unanswered low ratings, before the as-of moment, newest first per customer.
_FEEDBACK_SQL = """
    SELECT f.customer_id, f.id, f.kind, f.rating, f.received_at,
           (SELECT MAX(g.sent_at) FROM gestures g
             WHERE g.customer_id = f.customer_id AND g.status = 'sent' AND g.kind IN :recovery
               AND g.sent_at >= f.received_at AND g.sent_at < :until) AS reached_at
    FROM feedback f
    WHERE f.received_at < :until AND f.resolved_at IS NULL
      AND ((f.kind = 'complaint') OR (f.rating <= :low_rating AND f.replied_at IS NULL))
    ORDER BY f.customer_id, f.received_at DESC, f.id DESC
"""

# Every customer's recovery gestures logged before the planned week, latest first.
_ATTEMPTS_SQL = """
    SELECT g.customer_id, g.week, g.kind, g.status, g.sent_at, g.sent_by, g.note, g.feedback_id,
           f.resolved_at, f.replied_at, f.received_at, f.rating
    FROM gestures g LEFT JOIN feedback f ON f.id = g.feedback_id
    WHERE g.kind IN :recovery AND g.status IN ('sent', 'failed', 'skipped') AND g.week < :week
    ORDER BY g.customer_id, g.week DESC, g.id DESC
"""


def load_listening(
    connection: Connection,
    *,
    until: datetime,
    week: str,
    timezone: ZoneInfo,
    low_rating: int,
    recovery_kinds: Sequence[str],
) -> dict[int, Listening]:
    """Every customer restricted to recovery as of ``until`` (the end of the as-of day), for ``week``."""
    if not recovery_kinds:
        recovery_kinds = ("",)  # nobody was ever reached by a recovery; the queries still run

    def day_of(moment: datetime | None) -> date | None:
        return moment.astimezone(timezone).date() if moment else None

    found: dict[int, Listening] = {}
    feedback_sql = (
        text(_FEEDBACK_SQL)
        .bindparams(bindparam("recovery", expanding=True), bindparam("until", type_=UTCDateTime))
        .columns(customer_id=Integer, id=Integer, kind=Text, rating=Integer, received_at=UTCDateTime,
                 reached_at=UTCDateTime)
    )  # fmt: skip
    rows = connection.execute(
        feedback_sql, {"recovery": list(recovery_kinds), "until": until, "low_rating": low_rating}
    )
    by_customer: dict[int, list] = defaultdict(list)
    for row in rows:
        by_customer[row.customer_id].append(row)
    for customer_id, feedback in by_customer.items():
        complaints = [f for f in feedback if f.kind == "complaint"]
        low = [f for f in feedback if f.kind != "complaint" and f.reached_at is None]
        if complaints:
            cited, oldest = complaints[0], complaints[-1]
            found[customer_id] = Listening(
                customer_id,
                owed=all(f.reached_at is None for f in complaints),
                why=OPEN_COMPLAINT,
                feedback_id=cited.id,
                rating=cited.rating,
                said_on=day_of(cited.received_at),
                waiting_since=day_of(oldest.received_at),
            )
        elif low:
            cited, oldest = low[0], low[-1]
            found[customer_id] = Listening(
                customer_id,
                owed=True,
                why=LOW_RATING,
                feedback_id=cited.id,
                rating=cited.rating,
                said_on=day_of(cited.received_at),
                waiting_since=day_of(oldest.received_at),
            )
    attempts_sql = (
        text(_ATTEMPTS_SQL)
        .bindparams(bindparam("recovery", expanding=True))
        .columns(customer_id=Integer, week=Text, kind=Text, status=Text, sent_at=UTCDateTime, sent_by=Text,
                 note=Text, feedback_id=Integer, resolved_at=UTCDateTime, replied_at=UTCDateTime,
                 received_at=UTCDateTime, rating=Integer)
    )  # fmt: skip
    attempts = connection.execute(attempts_sql, {"recovery": list(recovery_kinds), "week": week})
    history: dict[int, list] = defaultdict(list)
    for row in attempts:
        history[row.customer_id].append(row)
    for customer_id, gestures in history.items():
        not_done = []
        for gesture in gestures:  # latest first: the failed or skipped ones since the last that reached them
            if gesture.status == "sent":
                break
            not_done.append(gesture)
        if not not_done:
            continue
        latest = not_done[0]
        settled = latest.sent_at is not None and any(
            moment is not None and moment >= latest.sent_at for moment in (latest.resolved_at, latest.replied_at)
        )
        if settled:  # a person answered what it was about since
            continue
        tried = tuple(
            Attempt(g.week, g.kind, g.status, day_of(g.sent_at), g.sent_by, g.note) for g in reversed(not_done)
        )
        # What it was about: the feedback the attempt answered, else what is open now.
        earlier = found.get(customer_id)
        if latest.feedback_id is not None:
            feedback_id, rating, said_on = latest.feedback_id, latest.rating, day_of(latest.received_at)
        elif earlier is not None:
            feedback_id, rating, said_on = earlier.feedback_id, earlier.rating, earlier.said_on
        else:
            feedback_id, rating, said_on = None, None, None
        days = [d for d in (said_on, tried[0].on, earlier.waiting_since if earlier else None) if d is not None]
        found[customer_id] = Listening(
            customer_id,
            owed=True,
            why=RETRY,
            feedback_id=feedback_id,
            rating=rating,
            said_on=said_on,
            waiting_since=min(days, default=date.fromisocalendar(*map(int, tried[0].week.split("-W")), 1)),
            attempts=tried,
        )
    return found


@dataclass(frozen=True)
class Waiting:
    """A customer owed a person whom this week's recovery capacity could not reach: first next week."""

    customer_id: str
    customer_name: str
    listening: Listening
    days: int  # waiting so far


def waiting_in(session: Session, week: str, rules: RuleSet, as_of: date | None = None) -> list[Waiting]:
    """Who is owed a person and has no recovery gesture in ``week`` (planned, sent or logged), longest first."""
    as_of = as_of or monday(week)
    timezone = ZoneInfo(rules.timezone)
    recovery = [kind.name for kind in rules.recovery_kinds]
    listening = load_listening(
        session.connection(),
        until=end_of_day(as_of, timezone),
        week=week,
        timezone=timezone,
        low_rating=rules.low_rating,
        recovery_kinds=recovery,
    )
    reached = set(
        session.scalars(
            select(Gesture.customer_id).where(
                Gesture.week == week, Gesture.kind.in_(recovery), Gesture.status != GestureStatus.CANCELLED
            )
        )
    )
    unreachable = set(
        session.scalars(select(Customer.id).where(Customer.do_not_contact | Customer.erased_at.is_not(None)))
    )
    owed = [item for item in listening.values() if item.owed and item.customer_id not in reached | unreachable]
    return waiting_for(session, sorted(owed, key=lambda item: item.first_in_line), as_of)


def waiting_for(
    session: Session, owed: Sequence[Listening], as_of: date, known: Mapping[int, tuple[str, str | None]] | None = None
) -> list[Waiting]:
    """The customers left waiting for a person, with their ids and names as ops staff know them.

    ``known``: (id as imported, name) by customer id, as the planner has read them; the others are read.
    """
    people = dict(known or {})
    unknown = [listening.customer_id for listening in owed if listening.customer_id not in people]
    if unknown:
        query = select(Customer.id, Customer.external_id, Customer.name).where(Customer.id.in_(unknown))
        people.update((row.id, (row.external_id, row.name)) for row in session.execute(query))
    return [
        Waiting(
            people[listening.customer_id][0],
            people[listening.customer_id][1] or "(erased)",
            listening,
            listening.waiting_days(as_of),
        )
        for listening in owed
    ]
