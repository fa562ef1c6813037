"""Money as people read it on paper. Amounts are Decimal, never float."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

# currency code → (symbol, digits after the decimal point)
_CURRENCIES: dict[str, tuple[str, int]] = {
    "KRW": ("₩", 0),
    "USD": ("$", 2),
    "EUR": ("€", 2),
    "GBP": ("£", 2),
    "JPY": ("¥", 0),
    "CAD": ("CA$", 2),
    "AUD": ("A$", 2),
}


def format_money(amount: Decimal, currency: str) -> str:
    """``Decimal("12000"), "KRW"`` → "₩12,000"; ``Decimal("12.5"), "USD"`` → "$12.50".

    Unknown currencies are written with two decimals and the code: "12.50 CHF".
    """
    if not isinstance(amount, Decimal | int):
        raise TypeError(f"money must be a Decimal, not {type(amount).__name__}")
    code = currency.strip().upper()
    symbol, digits = _CURRENCIES.get(code, ("", 2))
    rounded = Decimal(amount).quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP)
    sign = "-" if rounded < 0 else ""
    number = f"{abs(rounded):,.{digits}f}"
    return f"{sign}{symbol}{number}" if symbol else f"{sign}{number} {code}"
