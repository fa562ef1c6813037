"""Money: integer minor units plus a currency code in the store, Decimal in code, never a float.

The one table of currencies delight knows, used for storage and for what people read.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from sqlalchemy import Connection, text

from planner.core import limits
from planner.core.errors import InputError

# code → (symbol, ISO 4217 minor-unit exponent)
CURRENCIES: dict[str, tuple[str, int]] = {
    "KRW": ("₩", 0),
    "JPY": ("¥", 0),
    "USD": ("$", 2),
    "EUR": ("€", 2),
    "GBP": ("£", 2),
    "CAD": ("CA$", 2),
    "AUD": ("A$", 2),
    "CNY": ("CN¥", 2),
    "SGD": ("S$", 2),
    "HKD": ("HK$", 2),
    "TWD": ("NT$", 2),
}


def shop_currency(connection: Connection) -> str | None:
    """The currency the shop's orders are in (imports keep them all in one), or None before any."""
    return connection.execute(text("SELECT currency FROM orders ORDER BY id LIMIT 1")).scalar()


def exponent(currency: str) -> int:
    """Digits after the decimal point in ``currency``; a clear error for an unknown code."""
    try:
        return CURRENCIES[currency.upper()][1]
    except KeyError:
        known = ", ".join(sorted(CURRENCIES))
        raise InputError(f'unknown currency "{currency}" (known: {known})') from None


def to_minor(amount: Decimal, currency: str) -> int:
    """``Decimal("12.50"), "USD"`` → ``1250``; rounds half up to the currency's precision."""
    scaled = (amount * (10 ** exponent(currency))).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return int(scaled)


def from_minor(minor: int, currency: str) -> Decimal:
    """``1250, "USD"`` → ``Decimal("12.50")``."""
    return Decimal(minor).scaleb(-exponent(currency))


def format_money(amount: Decimal | int, currency: str) -> str:
    """``Decimal("12000"), "KRW"`` → "₩12,000"; ``Decimal("12.5"), "USD"`` → "$12.50".

    Unknown currencies are written with two decimals and the code: "12.50 CHF".
    """
    if not isinstance(amount, Decimal | int):
        raise TypeError(f"money must be a Decimal, not {type(amount).__name__}")
    code = currency.strip().upper()
    symbol, digits = CURRENCIES.get(code, ("", 2))
    rounded = Decimal(amount).quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP)
    sign = "-" if rounded < 0 else ""
    number = f"{abs(rounded):,.{digits}f}"
    return f"{sign}{symbol}{number}" if symbol else f"{sign}{number} {code}"


def parse_amount(text: str) -> Decimal:
    """An amount a person typed: digits with an optional decimal point, commas allowed ("300,000")."""
    try:
        amount = Decimal(text.strip().replace(",", "").replace("_", ""))
    except InvalidOperation:
        raise InputError(f'"{text}" is not an amount like 300000') from None
    if not amount.is_finite() or amount < 0:
        raise InputError(f'"{text}" is not an amount like 300000')
    if not limits.in_amount_range(amount):
        raise InputError(f"{text} is out of range: amounts go up to {limits.MAX_AMOUNT:,.0f}")
    return amount
