"""The store's fixed vocabularies: what an order, a feedback and a gesture can be.

Plain enums, importable without SQLAlchemy (the command line's choices need them at start-up);
``db.models`` keeps them in the tables' CHECK constraints.
"""

from __future__ import annotations

import enum


class OrderStatus(enum.StrEnum):
    """What happened to an order. Only ``paid`` orders are purchases."""

    PAID = "paid"
    REFUNDED = "refunded"
    CANCELLED = "cancelled"


class FeedbackKind(enum.StrEnum):
    """What a customer sent us."""

    REVIEW = "review"
    COMPLAINT = "complaint"
    SURVEY = "survey"
    REQUEST = "request"


class GestureStatus(enum.StrEnum):
    """Where a gesture is in the week's loop."""

    PLANNED = "planned"
    HELD_OUT = "held_out"
    SENT = "sent"
    SKIPPED = "skipped"
    FAILED = "failed"
    CANCELLED = "cancelled"


# What takes from a week's budget: what is planned, and what was sent or tried.
TAKING_BUDGET = (GestureStatus.PLANNED, GestureStatus.SENT, GestureStatus.FAILED)
