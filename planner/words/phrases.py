"""Facts in words a person reads: days, counts, amounts and dates, in Korean and English.

A reason says "birthday is in 5 days", "today" or "tomorrow" ("5일 뒤", "오늘", "내일"), never
"in 0 days"; "1 order" and "2 orders" ("1번", "2번"). Every fact a reason can fill in is turned
into words here, in one place, for the team's language.
"""

from __future__ import annotations

import datetime
import decimal

from planner.core.money import format_money

LANGUAGES = ("ko", "en")

# Facts counted in things: the English noun (singular, plural). Korean counts them all with 번.
COUNT_NOUNS: dict[str, tuple[str, str]] = {
    "orders_count": ("order", "orders"),
    "orders_last_90_days": ("order", "orders"),
    "refunds_count": ("refund", "refunds"),
    "gestures_last_365_days": ("gesture", "gestures"),
}

# Gesture kinds as headings for the team ("Handwritten notes" / "손편지"); other kinds read as their name.
_KINDS: dict[str, dict[str, str]] = {
    "handwritten_note": {"en": "Handwritten notes", "ko": "손편지"},
    "small_gift": {"en": "Small gifts", "ko": "작은 선물"},
    "cheer_message": {"en": "Cheer messages", "ko": "응원 메시지"},
    "recovery_call": {"en": "Recovery calls", "ko": "회복 연락"},
    "postcard": {"en": "Postcards", "ko": "엽서"},
}

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_WEEKDAYS = {"ko": "월화수목금토일", "en": ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")}


def kind_name(kind: str, language: str) -> str:
    """A gesture kind as a heading: "small_gift" → "Small gifts" / "작은 선물"; "thank_you_box" → "Thank you box"."""
    return _KINDS.get(kind, {}).get(language) or kind.replace("_", " ").capitalize()


def days_until(days: int, language: str) -> str:
    """0 → "today" / "오늘", 1 → "tomorrow" / "내일", 5 → "in 5 days" / "5일 뒤"."""
    if language == "ko":
        return {0: "오늘", 1: "내일"}.get(days, f"{days}일 뒤")
    return {0: "today", 1: "tomorrow"}.get(days, f"in {days} days")


def days_since(days: int, language: str) -> str:
    """0 → "today" / "오늘", 1 → "yesterday" / "어제", 5 → "5 days ago" / "5일 전"."""
    if language == "ko":
        return {0: "오늘", 1: "어제"}.get(days, f"{days}일 전")
    return {0: "today", 1: "yesterday"}.get(days, f"{days} days ago")


def count(number: int, noun: tuple[str, str], language: str) -> str:
    """3, ("order", "orders") → "3 orders" / "3번"; 1 → "1 order"."""
    if language == "ko":
        return f"{number}번"
    return f"{number:,} {noun[0] if number == 1 else noun[1]}"


def day(value: datetime.date, language: str, *, weekday: bool = True) -> str:
    """A calendar day: "2026년 12월 12일 (토)" / "Sat 12 Dec 2026" (without the weekday: "2026년 12월 12일")."""
    if language == "ko":
        named = f"{value.year}년 {value.month}월 {value.day}일"
        return f"{named} ({_WEEKDAYS['ko'][value.weekday()]})" if weekday else named
    named = f"{value.day} {_MONTHS[value.month - 1]} {value.year}"
    return f"{_WEEKDAYS['en'][value.weekday()]} {named}" if weekday else named


def fact(name: str, value: object, language: str, currency: str) -> str:
    """One fact's value as words in a reason."""
    if value is None:
        return "알 수 없음" if language == "ko" else "unknown"
    if isinstance(value, bool):
        return ("예" if value else "아니요") if language == "ko" else ("yes" if value else "no")
    if isinstance(value, int) and name.startswith("days_until_"):
        return days_until(value, language)
    if isinstance(value, int) and name.startswith("days_since_"):
        return days_since(value, language)
    if isinstance(value, int) and name in COUNT_NOUNS:
        return count(value, COUNT_NOUNS[name], language)
    if isinstance(value, decimal.Decimal):
        return f"{value:,}원" if language == "ko" and currency == "KRW" else format_money(value, currency)
    if isinstance(value, datetime.date):
        return day(value, language)
    if isinstance(value, tuple | list):
        return ", ".join(str(item) for item in value)
    return str(value)
