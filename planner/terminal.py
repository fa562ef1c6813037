"""Text for people: terminal tables and JSON (spreadsheets: ``planner.files.spreadsheet``).

Customer text (names, reviews) is data everywhere: control characters and bidi
overrides never reach a terminal.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal

from planner.core.errors import InputError

_UNSAFE = re.compile(r"[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")
MAX_NAME = 100  # AuditEvent.actor, Gesture.sent_by, Feedback.replied_by


def clean(value: object) -> str:
    """A value as one safe line of terminal text."""
    if value is None:
        return ""
    if isinstance(value, tuple | list):
        return ", ".join(clean(item) for item in value)
    return _UNSAFE.sub(" ", str(value)).strip()


def width(text: str) -> int:
    """Columns a string takes in a terminal (Hangul and other wide characters take two)."""
    return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)


def fit(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` columns, with an ellipsis when cut."""
    if width(text) <= limit:
        return text
    kept, used = [], 0
    for char in text:
        char_width = width(char)
        if used + char_width > limit - 1:
            break
        kept.append(char)
        used += char_width
    return "".join(kept) + "…"


def table(headers: Sequence[str], rows: Iterable[Sequence[object]], *, max_width: int = 48) -> str:
    """A plain aligned table; numbers right-aligned, long text cut with an ellipsis."""
    values = [list(row) for row in rows]
    numeric = [bool(values) and all(isinstance(row[i], int | Decimal) for row in values) for i in range(len(headers))]
    cells = [[fit(clean(value), max_width) for value in row] for row in values]
    widths = [max([width(h), *(width(row[i]) for row in cells)]) for i, h in enumerate(headers)]
    lines = []
    for position, row in enumerate([list(headers), ["-" * w for w in widths], *cells]):
        parts = []
        for i, value in enumerate(row):
            pad = " " * (widths[i] - width(value))
            parts.append(pad + value if numeric[i] and position > 1 else value + pad)
        lines.append("  ".join(parts).rstrip())
    return "\n".join(lines)


def to_json(value: object) -> str:
    """JSON with exact money (Decimal as a string), ISO dates and lists for tuples."""

    def default(item: object) -> object:
        if isinstance(item, Decimal):
            return str(item)
        if isinstance(item, date | datetime):
            return item.isoformat()
        raise TypeError(f"cannot write {type(item).__name__} as JSON")

    return json.dumps(value, ensure_ascii=False, indent=2, default=default)


def checked_name(name: str, option: str, what: str = "did it") -> str:
    """The name of the person who acted (``--by``), tidied; a one-line error when empty or too long."""
    cleaned = " ".join(name.split())
    if not cleaned:
        raise InputError(f"{option}: say who {what}, e.g. {option} 지민")
    if len(cleaned) > MAX_NAME:
        raise InputError(f"{option}: a name of at most {MAX_NAME} characters")
    return cleaned


def plural(count: int, noun: str) -> str:
    """ "1 page", "2 pages"."""
    return f"{count:,} {noun}" if count == 1 else f"{count:,} {noun}s"
