"""The tables: one SQLModel class per concept.

Money is stored as integer minor units (``*_minor``) beside a currency code.
Every datetime is timezone-aware and stored in UTC (see ``db.types.UTCDateTime``).
"""

from __future__ import annotations

import enum
from datetime import UTC, date, datetime

from sqlalchemy import BigInteger, CheckConstraint, Column, ForeignKey, Index, Integer, Text
from sqlmodel import Field, SQLModel

from db.types import UTCDateTime
from db.vocabulary import FeedbackKind, GestureStatus, OrderStatus


def utc_now() -> datetime:
    """The current time, timezone-aware, in UTC."""
    return datetime.now(UTC)


def _in(column: str, values: type[enum.StrEnum]) -> str:
    allowed = ", ".join(f"'{member.value}'" for member in values)
    return f"{column} IN ({allowed})"


class Customer(SQLModel, table=True):
    """A shop's customer, as imported or seeded."""

    __tablename__ = "customers"
    __table_args__ = (CheckConstraint("language IN ('ko', 'en')", name="ck_customers_language"),)

    id: int | None = Field(default=None, primary_key=True)
    external_id: str = Field(max_length=100, unique=True, index=True)
    name: str | None = Field(default=None, sa_type=Text)
    first_name: str | None = Field(default=None, sa_type=Text)
    email: str | None = Field(default=None, max_length=320, index=True)
    phone: str | None = Field(default=None, max_length=40)
    language: str = Field(default="ko", max_length=2)
    birthday: date | None = None
    postal_code: str | None = Field(default=None, max_length=20)
    country: str | None = Field(default=None, max_length=2)
    region: str | None = Field(default=None, sa_type=Text)
    city: str | None = Field(default=None, sa_type=Text)
    address1: str | None = Field(default=None, sa_type=Text)
    address2: str | None = Field(default=None, sa_type=Text)
    # Whom the address is for, when an export names someone (SmartStore's 수취인명); labels use it.
    address_name: str | None = Field(default=None, sa_type=Text)
    # "order": an order's delivery address (a later order's replaces it); "customers": from a customers
    # file; empty: entered another way (by a person) — an orders import never replaces it.
    address_source: str | None = Field(default=None, max_length=20)
    do_not_contact: bool = False
    erased_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(default_factory=utc_now, sa_type=UTCDateTime)


class Order(SQLModel, table=True):
    """One order. ``total_minor`` is in the currency's minor unit (won, cents)."""

    __tablename__ = "orders"
    __table_args__ = (
        CheckConstraint(_in("status", OrderStatus), name="ck_orders_status"),
        CheckConstraint("total_minor >= 0", name="ck_orders_total"),
        # Covers the planner's per-customer, per-status aggregate: it reads no table rows and needs no sort.
        Index("ix_orders_customer_status_placed_total", "customer_id", "status", "placed_at", "total_minor"),
    )

    id: int | None = Field(default=None, primary_key=True)
    external_id: str = Field(max_length=100, unique=True)
    customer_id: int = Field(foreign_key="customers.id")
    placed_at: datetime = Field(sa_type=UTCDateTime)
    total_minor: int = Field(sa_column=Column(BigInteger, nullable=False))
    currency: str = Field(max_length=3)
    status: str = Field(default=OrderStatus.PAID, max_length=10)


class OrderItem(SQLModel, table=True):
    """A line of an order."""

    __tablename__ = "order_items"
    __table_args__ = (CheckConstraint("quantity > 0", name="ck_order_items_quantity"),)

    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(foreign_key="orders.id", index=True)
    name: str = Field(sa_type=Text)
    sku: str | None = Field(default=None, max_length=100)
    quantity: int = 1
    unit_price_minor: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))  # unknown: None


class Feedback(SQLModel, table=True):
    """A review, complaint, survey answer or request, and a person's reply to it."""

    __tablename__ = "feedback"
    __table_args__ = (
        CheckConstraint(_in("kind", FeedbackKind), name="ck_feedback_kind"),
        CheckConstraint("rating IS NULL OR rating BETWEEN 1 AND 5", name="ck_feedback_rating"),
    )

    id: int | None = Field(default=None, primary_key=True)
    external_id: str | None = Field(default=None, max_length=100, unique=True)
    customer_id: int = Field(foreign_key="customers.id", index=True)
    order_id: int | None = Field(default=None, foreign_key="orders.id")
    kind: str = Field(max_length=10)
    rating: int | None = None
    text: str | None = Field(default=None, sa_type=Text)
    received_at: datetime = Field(sa_type=UTCDateTime)
    resolved_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    resolved_by: str | None = Field(default=None, max_length=100)
    reply: str | None = Field(default=None, sa_type=Text)
    replied_by: str | None = Field(default=None, max_length=100)
    replied_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class PlanRun(SQLModel, table=True):
    """One run of the planner for a week: the inputs needed to reproduce it."""

    __tablename__ = "plan_runs"

    id: int | None = Field(default=None, primary_key=True)
    week: str = Field(max_length=8, index=True)
    seed: int = Field(sa_column=Column(BigInteger, nullable=False))
    as_of: date
    rules_snapshot: str = Field(sa_type=Text)
    budget_minor: int = Field(sa_column=Column(BigInteger, nullable=False))
    currency: str = Field(max_length=3)
    created_at: datetime = Field(default_factory=utc_now, sa_type=UTCDateTime)


class Gesture(SQLModel, table=True):
    """A gesture planned for, held out from, or sent to a customer in an ISO week."""

    __tablename__ = "gestures"
    __table_args__ = (
        CheckConstraint(_in("status", GestureStatus), name="ck_gestures_status"),
        Index("ix_gestures_customer_status", "customer_id", "status"),
        Index("ix_gestures_week_status", "week", "status"),
    )

    id: int | None = Field(default=None, primary_key=True)
    customer_id: int = Field(foreign_key="customers.id")
    plan_run_id: int | None = Field(default=None, foreign_key="plan_runs.id")
    week: str = Field(max_length=8)
    kind: str = Field(max_length=40)
    rule: str | None = Field(default=None, sa_type=Text)
    reason: str = Field(default="", sa_type=Text)
    status: str = Field(default=GestureStatus.PLANNED, max_length=10)
    cost_minor: int = Field(default=0, sa_column=Column(BigInteger, nullable=False))
    currency: str = Field(max_length=3)
    writer: str | None = Field(default=None, max_length=100)
    template: str | None = Field(default=None, max_length=100)
    message: str | None = Field(default=None, sa_type=Text)
    # The suggested words' first sentence as the template wrote it (``Template.opener``), for variety.
    opener: str | None = Field(default=None, sa_type=Text)
    # The day the gesture is for (a birthday, an anniversary), and the day to send it by so that it
    # arrives in time; a gesture for no particular day is sent by the end of its week.
    for_day: date | None = None
    send_by: date | None = None
    # What the customer told us that this gesture answers (a recovery cites the complaint or review).
    feedback_id: int | None = Field(
        default=None, sa_column=Column(Integer, ForeignKey("feedback.id", ondelete="SET NULL"), nullable=True)
    )
    # The gift chosen from its kind's shelf (``choices`` in the rules), by name; none for other kinds.
    gift: str | None = Field(default=None, sa_type=Text)
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    sent_by: str | None = Field(default=None, max_length=100)
    note: str | None = Field(default=None, sa_type=Text)
    created_at: datetime = Field(default_factory=utc_now, sa_type=UTCDateTime)


class AuditEvent(SQLModel, table=True):
    """Who changed what and when. Never deleted; never holds erased personal data."""

    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_events_entity", "entity", "entity_id"),)

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utc_now, sa_type=UTCDateTime)
    actor: str = Field(max_length=100)
    entity: str = Field(max_length=20)
    entity_id: int
    action: str = Field(max_length=40)
    detail: str = Field(default="", sa_type=Text)


class ToneAnalysis(SQLModel, table=True):
    """What the tone check's analyser saw in a text, remembered by the words' key (``planner.words.tone_memory``).

    A plan vets every template without loading the Korean analyser again: it reads these by key.
    """

    __tablename__ = "tone_analyses"

    key: str = Field(primary_key=True, max_length=64)  # SHA-256: words, language, analyser version
    language: str = Field(max_length=2)
    analysis: str = Field(sa_column=Column(Text, nullable=False))  # JSON: each sentence and its features


class UserRole(enum.StrEnum):
    """What a person may do at the desk: writers log the week; managers also plan, reply and report."""

    MANAGER = "manager"
    WRITER = "writer"


class User(SQLModel, table=True):
    """A person who signs in to the desk (`delight serve`); their name is the ``by`` of what they do."""

    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint(_in("role", UserRole), name="ck_users_role"),
        CheckConstraint("language IS NULL OR language IN ('ko', 'en')", name="ck_users_language"),
    )

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=100, unique=True)
    role: str = Field(max_length=10)
    password_hash: str = Field(sa_type=Text)  # argon2id, with its parameters and salt
    language: str | None = Field(default=None, max_length=2)  # None: the browser's
    failed_sign_ins: int = 0  # wrong passwords in a row
    locked_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    disabled_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # Raised by a new password or disabling: every session signed in before it ends.
    session_epoch: int = 0
    created_at: datetime = Field(default_factory=utc_now, sa_type=UTCDateTime)


class ApiToken(SQLModel, table=True):
    """A personal API token for a shop's own scripts; only its SHA-256 digest is stored."""

    __tablename__ = "api_tokens"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(sa_column=Column(Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False))
    digest: str = Field(max_length=64, unique=True)
    label: str = Field(default="", max_length=100)
    created_at: datetime = Field(default_factory=utc_now, sa_type=UTCDateTime)
    last_used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class DeskSetting(SQLModel, table=True):
    """The desk's own settings, shared by every server on the store (the session-signing key)."""

    __tablename__ = "desk_settings"

    name: str = Field(primary_key=True, max_length=40)
    value: str = Field(sa_type=Text)
