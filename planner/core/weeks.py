"""ISO weeks ("2026-W49") and the shop's calendar."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from planner.core.errors import InputError
from planner.core.limits import DATE_RANGE, in_date_range

if TYPE_CHECKING:
    from planner.core.rules import RuleSet

_WEEK = re.compile(r"(\d{4})-?W(\d{1,2})")


def parse_week(text: str) -> str:
    """Normalise "2026-W49" / "2026W49" / "2026-w9" to "2026-W49"; a clear error otherwise."""
    found = _WEEK.fullmatch(text.strip().upper())
    if not found:
        raise InputError(f'"{text}" is not an ISO week: write it like 2026-W49')
    year, number = int(found.group(1)), int(found.group(2))
    try:
        first_day = date.fromisocalendar(year, number, 1)
    except ValueError:
        raise InputError(f'"{text}" is not an ISO week: {year} has no week {number}') from None
    if not (in_date_range(first_day) and in_date_range(first_day + timedelta(days=6))):
        raise InputError(f'week "{text}" is out of range: delight takes dates {DATE_RANGE}')
    return f"{year}-W{number:02d}"


def week_of(day: date) -> str:
    """The ISO week a day falls in."""
    year, number, _ = day.isocalendar()
    return f"{year}-W{number:02d}"


def monday(week: str) -> date:
    """The Monday that starts an ISO week."""
    year, number = (int(part) for part in week.split("-W"))
    return date.fromisocalendar(year, number, 1)


def today_in(timezone: ZoneInfo) -> date:
    """Today's date in the shop's time zone."""
    return datetime.now(timezone).date()


def current_week(timezone: ZoneInfo) -> str:
    """This week, in the shop's time zone."""
    return week_of(today_in(timezone))


def end_of_day(day: date, timezone: ZoneInfo) -> datetime:
    """The first instant after ``day`` ends in the shop's time zone, in UTC."""
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=timezone).astimezone(UTC)


def resolve_week(week: str | None, rules: RuleSet) -> str:
    """The ISO week asked for, or this week in the shop's time zone."""
    return parse_week(week) if week else current_week(ZoneInfo(rules.timezone))
