"""The bounds of what delight accepts from a person or a file.

Each is far beyond anything a shop has, and keeps a value clear of where the database, Python's
calendar or a command's running time would fail instead: a date in year 1 or 9999 moved by a
time zone leaves the calendar; an id past 2^31 does not fit PostgreSQL's integer; an amount of
10^400 has no minor units that fit a 64-bit column. A value outside is one line naming the range.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from planner.core.errors import InputError

FIRST_DAY = date(1900, 1, 1)
LAST_DAY = date(2999, 12, 31)
DATE_RANGE = f"from {FIRST_DAY} to {LAST_DAY}"

MAX_ID = 2**31 - 1  # every id column: a PostgreSQL integer
MAX_SEED = 2**63 - 1  # seeds are stored as 64-bit integers
MAX_CUSTOMERS = 1_000_000  # to seed or demo at once
MAX_COUNT = 1_000_000  # capacities, quantities, wildcards, priorities (either sign)
MAX_DAYS = 36_500  # cooldowns and reply times: a hundred years
MAX_AMOUNT = Decimal(10) ** 12  # an order, a price, a budget or a cost, in the currency's units


def in_date_range(day: date) -> bool:
    """Whether a shop can have this date (orders, birthdays, weeks)."""
    return FIRST_DAY <= day <= LAST_DAY


def check_date(day: date, what: str) -> date:
    """``day`` if a shop can have it, else a one-line error naming ``what`` and the range."""
    if not in_date_range(day):
        raise InputError(f"{what} {day.isoformat()} is out of range: delight takes dates {DATE_RANGE}")
    return day


def in_amount_range(amount: Decimal) -> bool:
    """Whether an amount of money is finite and no bigger than ``MAX_AMOUNT`` either way."""
    return amount.is_finite() and amount.copy_abs() <= MAX_AMOUNT


def check_amount(amount: Decimal, what: str) -> Decimal:
    """``amount`` if it is within ``MAX_AMOUNT``, else a one-line error naming ``what``."""
    if not in_amount_range(amount):
        raise InputError(f"{what} {amount} is out of range: amounts go up to {MAX_AMOUNT:,.0f}")
    return amount
