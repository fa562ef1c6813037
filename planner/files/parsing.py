"""Turn cell text into values: dates, amounts, booleans. Decimal, never float.

Each parser raises ``ValueError`` with a short reason; the importer adds the line
number and column and reports the row as bad.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, tzinfo
from decimal import Decimal, InvalidOperation

from db.importers.results import RowError
from planner.core.limits import DATE_RANGE, MAX_AMOUNT, MAX_COUNT, in_amount_range, in_date_range
from planner.core.money import CURRENCIES

_OFFSET_AFTER_SPACE = re.compile(r"^(.*\d)\s+(Z|UTC|GMT|[+-]\d{2}:?\d{2})$", re.IGNORECASE)
_DOTTED = re.compile(r"^(\d{4})[./](\d{1,2})[./](\d{1,2})\.?(?:[ T](.*))?$")
_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})(?:[ T]?(\d{2})(\d{2})(\d{2})?)?$")
_US = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})(?:[ T](.*))?$")
_TIME = re.compile(r"^(\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d{1,6}))?)?$")
_NUMBER = re.compile(r"^\d+(?:\.\d+)?$")

CURRENCY_SYMBOLS = {"₩": "KRW", "￦": "KRW", "원": "KRW", "$": "USD", "€": "EUR", "£": "GBP", "¥": "JPY", "円": "JPY"}
_CURRENCY_CODES = re.compile(rf"\b({'|'.join(CURRENCIES)})\b", re.IGNORECASE)
_TRUE = {"1", "true", "yes", "y", "t", "x", "예", "네", "동의", "o"}
_FALSE = {"0", "false", "no", "n", "f", "아니오", "아니요", "거부", "미동의", ""}


def parse_datetime(text: str, shop_zone: tzinfo, date_format: str | None = None) -> datetime:
    """A timezone-aware UTC datetime from common shop formats; no zone in the text means ``shop_zone``.

    Accepts ISO 8601 (``2026-11-29T14:03:00+09:00``, ``2026-11-29 14:03``), Shopify's
    ``2026-11-29 14:03:00 +0900``, ``2026.11.29``, ``20261129``, ``11/29/2026``, or
    ``date_format`` (a ``strftime`` pattern) when given.
    """
    value = text.strip()
    if not value:
        raise ValueError("no date")
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        moment = _parse_other(value, date_format)
    _check_range(value, moment.date())
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=shop_zone)
    return moment.astimezone(UTC)


def _parse_other(value: str, date_format: str | None) -> datetime:
    if date_format:
        try:
            return datetime.strptime(value, date_format)
        except ValueError:
            raise ValueError(f'date "{value}" does not match the format "{date_format}"') from None
    spaced = _OFFSET_AFTER_SPACE.match(value)
    if spaced:
        zone = spaced.group(2).upper()
        zone = "+00:00" if zone in ("Z", "UTC", "GMT") else zone
        try:
            return datetime.fromisoformat(f"{spaced.group(1)}{zone}")
        except ValueError:
            pass
    for pattern, order in ((_DOTTED, (0, 1, 2)), (_US, (2, 0, 1))):
        found = pattern.match(value)
        if found:
            parts = found.groups()
            year, month, day = (int(parts[index]) for index in order)
            return _combine(value, year, month, day, parts[3])
    compact = _COMPACT.match(value)
    if compact:
        year, month, day, hour, minute, second = compact.groups()
        clock = f"{hour}:{minute}:{second or '00'}" if hour else None
        return _combine(value, int(year), int(month), int(day), clock)
    raise ValueError(f'unparseable date "{value}"')


def _combine(value: str, year: int, month: int, day: int, clock: str | None) -> datetime:
    try:
        moment = datetime(year, month, day)
    except ValueError:
        raise ValueError(f'unparseable date "{value}"') from None
    if not clock:
        return moment
    found = _TIME.match(clock.strip())
    if not found:
        raise ValueError(f'unparseable date "{value}"')
    hour, minute, second, fraction = found.groups()
    try:
        microsecond = int((fraction or "0").ljust(6, "0"))
        return moment.replace(hour=int(hour), minute=int(minute), second=int(second or 0), microsecond=microsecond)
    except ValueError:
        raise ValueError(f'unparseable date "{value}"') from None


def parse_date(text: str, date_format: str | None = None) -> date:
    """A calendar date (a birthday) in any of the formats ``parse_datetime`` reads."""
    value = text.strip()
    try:
        day = date.fromisoformat(value)
    except ValueError:
        try:
            day = _parse_other(value, date_format).date()
        except ValueError:
            raise ValueError(f'unparseable date "{value}"') from None
    return _check_range(value, day)


def _check_range(value: str, day: date) -> date:
    if not in_date_range(day):
        raise ValueError(f'date "{value}" is out of range: delight takes dates {DATE_RANGE}')
    return day


def parse_amount(text: str, decimal_comma: bool = False) -> tuple[Decimal, str | None]:
    """An exact amount and the currency its symbol or code implies, if any.

    ``12000``, ``12,000``, ``₩12,000``, ``$1,234.50``, ``12,000원``, ``-5``, ``(5.00)``;
    with ``decimal_comma``: ``1.234,50 €``.
    """
    value = text.strip()
    if _NUMBER.match(value):
        return _amount_in_range(text, Decimal(value)), None
    currency = None
    for symbol, code in CURRENCY_SYMBOLS.items():
        if symbol in value:
            currency = code
            value = value.replace(symbol, "")
    code_match = _CURRENCY_CODES.search(value)
    if code_match:
        currency = code_match.group(1).upper()
        value = _CURRENCY_CODES.sub("", value)
    value = value.replace("\u00a0", "").replace("\u202f", "").replace(" ", "").replace("'", "")
    negative = value.startswith("(") and value.endswith(")")
    if negative:
        value = value[1:-1]
    if value.startswith("-"):
        negative, value = not negative, value[1:]
    value = value.replace(".", "").replace(",", ".") if decimal_comma else value.replace(",", "")
    if not _NUMBER.match(value):
        raise ValueError(f'unparseable amount "{text.strip()}"' if text.strip() else "no amount")
    try:
        amount = Decimal(value)
    except InvalidOperation:
        raise ValueError(f'unparseable amount "{text.strip()}"') from None
    return _amount_in_range(text, -amount if negative else amount), currency


def _amount_in_range(text: str, amount: Decimal) -> Decimal:
    if not in_amount_range(amount):
        raise ValueError(f'amount "{text.strip()}" is out of range: amounts go up to {MAX_AMOUNT:,.0f}')
    return amount


def row_amount(text: str, decimal_comma: bool, line: int, column: str) -> tuple[Decimal, str | None]:
    """An amount that may not be negative, from the row on ``line``; ``RowError`` naming ``column`` if bad."""
    try:
        amount, currency = parse_amount(text, decimal_comma)
    except ValueError as exc:
        raise RowError(line, f"{column}: {exc}") from None
    if amount < 0:
        raise RowError(line, f'{column}: "{text.strip()}" is negative')
    return amount, currency


def parse_bool(text: str) -> bool:
    """``yes/no``, ``true/false``, ``1/0``, ``예/아니오``; an empty cell is false."""
    value = text.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ValueError(f'"{text.strip()}" is not yes or no')


def parse_int(text: str) -> int:
    """A whole number such as a quantity or a rating (``3``, ``3.0``, ``1,000``)."""
    value = text.strip().replace(",", "")
    try:
        number = Decimal(value)
    except InvalidOperation:
        raise ValueError(f'"{text.strip()}" is not a number') from None
    if not number.is_finite():
        raise ValueError(f'"{text.strip()}" is not a number')
    if number.copy_abs() > MAX_COUNT:
        raise ValueError(f'"{text.strip()}" is out of range: at most {MAX_COUNT:,}')
    if number != number.to_integral_value():
        raise ValueError(f'"{text.strip()}" is not a whole number')
    return int(number)
