"""Printouts: note cards, writer's briefs with call sheets, envelopes, address labels and packing lists as PDF.

Every function takes plain data (see :mod:`printouts.data`), writes one PDF and returns a
:class:`PrintResult`; user-fixable problems raise :class:`planner.core.errors.PrintoutError`.
"""

from planner.core.money import format_money
from printouts.briefs import render_briefs
from printouts.cards import render_cards
from printouts.data import (
    Address,
    BriefEntry,
    Feedback,
    Mailing,
    NoteCard,
    OrderSummary,
    PastGesture,
    PrintResult,
    ShelfLine,
    WaitingPerson,
    WeekSummary,
)
from printouts.envelopes import render_envelopes
from printouts.labels import render_labels, render_packing_list

__all__ = [
    "Address",
    "BriefEntry",
    "Feedback",
    "Mailing",
    "NoteCard",
    "OrderSummary",
    "PastGesture",
    "PrintResult",
    "ShelfLine",
    "WaitingPerson",
    "WeekSummary",
    "format_money",
    "render_briefs",
    "render_cards",
    "render_envelopes",
    "render_labels",
    "render_packing_list",
]
