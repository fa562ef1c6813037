"""Money as integer minor units plus a currency code; never a float."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from planner.errors import InputError

# ISO 4217 minor-unit exponents for the currencies shops here use.
CURRENCY_EXPONENTS: dict[str, int] = {
    "KRW": 0,
    "JPY": 0,
    "USD": 2,
    "EUR": 2,
    "GBP": 2,
    "CAD": 2,
    "AUD": 2,
    "CNY": 2,
    "SGD": 2,
    "HKD": 2,
    "TWD": 2,
}


def exponent(currency: str) -> int:
    """Digits after the decimal point in ``currency``; a clear error for an unknown code."""
    try:
        return CURRENCY_EXPONENTS[currency.upper()]
    except KeyError:
        known = ", ".join(sorted(CURRENCY_EXPONENTS))
        raise InputError(f'unknown currency "{currency}" (known: {known})') from None


def to_minor(amount: Decimal, currency: str) -> int:
    """``Decimal("12.50"), "USD"`` → ``1250``; rounds half up to the currency's precision."""
    scaled = (amount * (10 ** exponent(currency))).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return int(scaled)


def from_minor(minor: int, currency: str) -> Decimal:
    """``1250, "USD"`` → ``Decimal("12.50")``."""
    return Decimal(minor).scaleb(-exponent(currency))
