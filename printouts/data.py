"""The plain data printouts are made from. Callers build these from the plan; no database here."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

from planner.core.money import format_money, from_minor


@dataclass(frozen=True)
class NoteCard:
    """One card for a writer to write by hand.

    ``first_name`` is what the greeting uses ("민지" in "민지님께", "Minji" in "Dear Minji,");
    without it the greeting uses ``display_name``. ``language`` is a tag such as "ko" or "en-US";
    anything that is not Korean gets English wording.
    """

    display_name: str
    language: str
    kind: str
    opener: str
    first_name: str = ""
    writer: str | None = None
    gesture_id: int | None = None  # printed small with the writer's initials, to match and log it


@dataclass(frozen=True)
class Feedback:
    """A customer's last review or complaint, in their own words.

    ``days_without_reply`` is set when it is overdue for a reply; the brief flags it.
    """

    text: str
    on: date
    rating: int | None = None
    is_complaint: bool = False
    days_without_reply: int | None = None


@dataclass(frozen=True)
class PastGesture:
    """A gesture the customer already had, so the writer does not repeat it."""

    kind: str
    on: date
    words: str = ""
    status: str = "sent"  # or "failed" / "skipped": a recovery that did not reach them
    note: str = ""
    by: str = ""  # who logged it


@dataclass(frozen=True)
class OrderSummary:
    """An order as a writer or caller needs it: when, what, how much (already in words)."""

    on: date
    items: str
    total: str = ""


@dataclass(frozen=True)
class BriefEntry:
    """Everything a writer needs for one planned gesture."""

    display_name: str
    language: str
    kind: str
    reason: str
    opener: str
    writer: str | None = None
    customer_since: date | None = None
    orders_count: int = 0
    last_bought: str = ""
    last_feedback: Feedback | None = None  # the words the reason cites, else their latest review or complaint
    past_gestures: tuple[PastGesture, ...] = ()
    for_day: str = ""  # the birthday or anniversary it is for, as the team writes a date
    send_by: str = ""
    on_the_day: bool = False  # its words say "today": send it on ``for_day`` itself
    gesture_id: int | None = None
    gift: str = ""  # the gift to pack with the card
    # A call sheet instead of an entry: a recovery, with the number to call and the order it is about.
    call: bool = False
    phone: str = ""
    ordered: OrderSummary | None = None


@dataclass(frozen=True)
class WaitingPerson:
    """Someone owed a person whom this week could not reach: they come first next week."""

    display_name: str
    customer_id: str
    why: str
    days: int


@dataclass(frozen=True)
class WeekSummary:
    """The week a brief is for. Money is Decimal in the currency's major unit (won, dollars)."""

    iso_week: str
    budget: Decimal
    budget_used: Decimal
    currency: str
    shop_name: str = ""
    waiting: tuple[WaitingPerson, ...] = ()


@dataclass(frozen=True)
class Address:
    """A postal address. ``street`` may hold several lines separated by newlines. ``country`` is an
    ISO 3166 code; "KR" addresses are laid out the Korean way (postal code first, name last)."""

    name: str
    street: str = ""
    city: str = ""
    region: str = ""
    postal_code: str = ""
    country: str = ""

    @property
    def has_address(self) -> bool:
        """Whether there is anything to post to."""
        return any(part.strip() for part in (self.street, self.city, self.postal_code))


@dataclass(frozen=True)
class Mailing:
    """A physical gesture to post: who to, what goes in, and the gesture id and writer that tie it to the log."""

    to: Address
    kind: str = ""
    gesture_id: int | None = None
    writer: str | None = None
    gift: str = ""  # the gift to pack; "" when only a card goes

    @property
    def has_address(self) -> bool:
        """Whether there is anything to post to."""
        return self.to.has_address


@dataclass(frozen=True)
class ShelfLine:
    """One gift on the packing list's shelf count: how many to pack, and what the shelf should hold.

    ``on_hand`` is None for a gift nobody counted (it never runs out).
    """

    gift: str
    to_pack: int
    on_hand: int | None = None
    counted_on: date | None = None
    sent_since_count: int = 0


@dataclass(frozen=True)
class PrintResult:
    """What a render call wrote: pages, items drawn, and items left out (by customer name)."""

    path: Path
    pages: int
    printed: int
    skipped: tuple[str, ...] = ()


def stack_order(item: NoteCard | BriefEntry) -> tuple[bool, str, str, str]:
    """Sort key that keeps each writer's stack together: writer (unassigned last), kind, customer."""
    return (item.writer is None, (item.writer or "").casefold(), item.kind, item.display_name.casefold())


# --- The report (`delight report`) ---------------------------------------------------------------


@dataclass(frozen=True)
class Comparison:
    """One measure, treated against control: values, difference and interval, or a note saying why not."""

    treated_n: int
    control_n: int
    treated_value: float | None = None
    control_value: float | None = None
    difference: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    note: str | None = None

    @property
    def known(self) -> bool:
        """True when there is a number to show."""
        return self.difference is not None


@dataclass(frozen=True)
class Outcome:
    """Treated against control for one group of gestures and one window."""

    group: str
    group_by: str  # overall, rule or kind
    window_days: int
    pending: int  # customers whose window had not yet ended by the report's last day
    repurchase: Comparison
    revenue: Comparison  # per customer, in minor units of ``currency``
    complaints: Comparison


@dataclass(frozen=True)
class WeekKind:
    """Gestures of one kind in one week, by status, and what the sent ones cost."""

    week: str
    kind: str
    counts: dict[str, int]
    sent_cost_minor: int


@dataclass(frozen=True)
class WeekSpend:
    """One week's spend (sent gestures) and commitments (planned ones) against its latest plan's budget."""

    week: str
    sent_minor: int
    planned_minor: int
    budget_minor: int | None


@dataclass(frozen=True)
class WriterLoad:
    """What one writer was given over the period, by status."""

    writer: str
    weeks: int
    counts: dict[str, int]


@dataclass(frozen=True)
class OverdueItem:
    """A complaint or low rating still waiting for a reply from a person."""

    customer_name: str
    kind: str
    rating: int | None
    received_at: datetime
    waiting_days: int


@dataclass(frozen=True)
class RecoveryLine:
    """Service recovery over the period, counted per customer at their first recovery gesture; no control."""

    attempts: int  # recovery gestures logged sent, failed or skipped
    reached: int  # customers a recovery gesture was sent to
    not_reached: int  # customers whose every attempt failed or was skipped
    resolved: int  # of those reached: nothing they complained about or rated low is still open
    window_ended: int  # of those reached: whose 90-day window has ended
    bought_again: int  # of those: a purchase within the window
    complained_again: int  # of those: a complaint within the window

    def text(self) -> str:
        """One paragraph for the terminal and the PDF."""
        if not self.attempts:
            return "Recovery: no calls or other recovery gestures were logged in this period."
        said = (
            f"Recovery (never an experiment: nobody owed a person is held out): {self.attempts} logged, "
            f"{self.reached} customers reached, {self.not_reached} not reached yet; "
            f"{self.resolved} of {self.reached} reached have nothing left open."
        )
        if self.window_ended:
            said += (
                f" Of {self.window_ended} whose 90 days have passed, {self.bought_again} bought again and "
                f"{self.complained_again} complained again."
            )
        return said


@dataclass
class Report:
    """Everything `delight report` shows; plain data, for the terminal, JSON and the PDF."""

    since: date | None
    until: date
    timezone: str
    currency: str
    confidence: float
    summary: str
    activity: list[WeekKind] = field(default_factory=list)
    spend: list[WeekSpend] = field(default_factory=list)
    writers: list[WriterLoad] = field(default_factory=list)
    overdue: list[OverdueItem] = field(default_factory=list)
    reply_within_days: int = 2
    outcomes: list[Outcome] = field(default_factory=list)
    recovery: RecoveryLine | None = None
    pdf_path: Path | None = None
    pdf_pages: int = 0

    @property
    def period(self) -> str:
        """The period in words: "2026-06-01 to 2026-11-29" or "up to 2026-11-29"."""
        return f"{self.since} to {self.until}" if self.since else f"up to {self.until}"

    def money(self, minor: float | None) -> str:
        """A money amount in minor units of the report's currency, as people read it."""
        if minor is None:
            return "—"
        return format_money(from_minor(round(minor), self.currency), self.currency)
