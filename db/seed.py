"""Believable demo data: a small gift shop's customers, orders and feedback.

Built for scale (200,000 customers with about 2 million orders in well under two
minutes): Faker draws pools of names, streets and towns once, a seeded
``random.Random`` combines them, and rows go in through SQLAlchemy Core inserts in
batches, never one SQLModel object per row.

The same seed and the same ``today`` give identical data.
"""

from __future__ import annotations

import random
from bisect import bisect
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from itertools import accumulate
from zoneinfo import ZoneInfo

from faker import Faker
from sqlalchemy import Connection, Table, func, select

from db import catalogue
from db.engine import advance_id_sequences, bulk_insert
from db.models import Customer, Feedback, FeedbackKind, Order, OrderItem, OrderStatus
from planner.errors import InputError

LOCALES = ("ko_KR", "en_US", "mixed")
BATCH_CUSTOMERS = 5_000
POOL_SIZE = 400


@dataclass(frozen=True)
class SeedOptions:
    """What to make: how many customers, in which locale, from which seed, as of which day."""

    customers: int
    locale: str = "ko_KR"
    seed: int = 1
    today: date = field(default_factory=date.today)

    @property
    def currency(self) -> str:
        """A Korean or mixed shop sells in won; a US shop in dollars."""
        return "USD" if self.locale == "en_US" else "KRW"

    @property
    def timezone(self) -> ZoneInfo:
        """Where the shop is."""
        return ZoneInfo("America/New_York" if self.locale == "en_US" else "Asia/Seoul")


@dataclass
class SeedSummary:
    """What a seeding run made."""

    customers: int = 0
    orders: int = 0
    order_items: int = 0
    refunded_or_cancelled: int = 0
    feedback: int = 0
    open_complaints: int = 0
    do_not_contact: int = 0
    currency: str = "KRW"


@dataclass(frozen=True)
class _Archetype:
    """A kind of customer history an ops person would recognise."""

    name: str
    weight: int
    orders: tuple[int, int]
    last_order_days_ago: tuple[int, int]
    span_days: tuple[int, int]
    basket_boost: int = 1


ARCHETYPES: tuple[_Archetype, ...] = (
    _Archetype("browser", 5, (0, 0), (0, 0), (0, 0)),
    _Archetype("first-time buyer", 10, (1, 1), (0, 13), (0, 0)),
    _Archetype("one-off", 14, (1, 1), (30, 900), (0, 0)),
    _Archetype("occasional", 24, (2, 6), (10, 300), (60, 700)),
    _Archetype("regular", 25, (8, 28), (0, 60), (200, 1000)),
    _Archetype("lapsed regular", 14, (5, 15), (120, 400), (200, 800)),
    _Archetype("high spender", 8, (20, 45), (0, 40), (300, 1000), basket_boost=3),
)
_ARCHETYPE_CUMULATIVE = list(accumulate(a.weight for a in ARCHETYPES))


@dataclass(frozen=True)
class _Pools:
    """Values drawn from Faker once, combined many times."""

    last_names: tuple[str, ...]
    first_names: tuple[str, ...]
    places: tuple[tuple[str, str, str], ...]  # region, city, street
    email_words: tuple[str, ...]


def _korean_pools(fake: Faker) -> _Pools:
    places = []
    for _ in range(POOL_SIZE):
        region = fake.metropolitan_city() if fake.random.random() < 0.6 else fake.province()
        city = fake.borough() if region.endswith("시") else fake.city()
        places.append((region, city, fake.road_name()))
    return _Pools(
        last_names=tuple(fake.last_name() for _ in range(POOL_SIZE)),
        first_names=tuple(fake.first_name() for _ in range(POOL_SIZE)),
        places=tuple(places),
        email_words=tuple(_ascii_words(fake)),
    )


def _english_pools(fake: Faker) -> _Pools:
    return _Pools(
        last_names=tuple(fake.last_name() for _ in range(POOL_SIZE)),
        first_names=tuple(fake.first_name() for _ in range(POOL_SIZE)),
        places=tuple((fake.state_abbr(), fake.city(), fake.street_name()) for _ in range(POOL_SIZE)),
        email_words=tuple(_ascii_words(fake)),
    )


def _ascii_words(fake: Faker) -> Iterator[str]:
    english = Faker("en_US")
    english.seed_instance(fake.random.randrange(2**32))
    for _ in range(POOL_SIZE):
        yield english.user_name()


class _Generator:
    """Makes rows for one seeding run; every random choice comes from one seeded RNG."""

    def __init__(self, options: SeedOptions) -> None:
        self.options = options
        self.rng = random.Random(options.seed)
        korean = Faker("ko_KR")
        korean.seed_instance(options.seed)
        english = Faker("en_US")
        english.seed_instance(options.seed + 1)
        self.pools = {"ko": _korean_pools(korean), "en": _english_pools(english)}
        self.items = catalogue.ITEMS_EN if options.currency == "USD" else catalogue.ITEMS_KO
        self.shipping_minor = 500 if options.currency == "USD" else 3000
        self.free_shipping_minor = 5000 if options.currency == "USD" else 50000
        self.now = datetime.combine(options.today, time(9), tzinfo=options.timezone).astimezone(UTC)

    def between(self, low: int, high: int) -> int:
        """A whole number in [low, high]; much cheaper than ``random.randint``, called millions of times."""
        return low + int(self.rng.random() * (high - low + 1))

    def language(self) -> str:
        """ko for a Korean shop, en for a US one, mostly ko in a mixed shop."""
        if self.options.locale == "mixed":
            return "en" if self.rng.random() < 0.2 else "ko"
        return "en" if self.options.locale == "en_US" else "ko"

    def customer(self, customer_id: int) -> tuple[dict, _Archetype]:
        """One customer row and the history they will get."""
        rng = self.rng
        language = self.language()
        pools = self.pools[language]
        last, first = rng.choice(pools.last_names), rng.choice(pools.first_names)
        region, city, street = rng.choice(pools.places)
        has_address = rng.random() >= 0.03
        archetype = ARCHETYPES[bisect(_ARCHETYPE_CUMULATIVE, rng.random() * _ARCHETYPE_CUMULATIVE[-1])]
        if language == "ko":
            name = f"{last}{first}"
            phone = f"010-{self.between(2000, 9998)}-{self.between(1000, 9998)}"
            postal_code = f"{self.between(1000, 63998):05d}"
            address1 = f"{street} {self.between(1, 299)}"
            address2 = f"{self.between(101, 119)}동 {self.between(1, 24)}0{self.between(1, 4)}호"
            country = "KR"
        else:
            name = f"{first} {last}"
            phone = f"+1 {self.between(201, 988)}-555-{self.between(1000, 9998)}"
            postal_code = f"{self.between(1000, 99998):05d}"
            address1 = f"{self.between(10, 9998)} {street}"
            address2 = f"Apt. {self.between(1, 899)}" if rng.random() < 0.3 else None
            country = "US"
        birthday = None
        if rng.random() < 0.7:
            birthday = date(self.between(1955, 2004), 1, 1) + timedelta(days=self.between(0, 364))
        row = {
            "id": customer_id,
            "external_id": f"C{customer_id:07d}",
            "name": name,
            "first_name": first,
            "email": f"{rng.choice(pools.email_words)}{self.between(1, 9998)}@example.com",
            "phone": phone,
            "language": language,
            "birthday": birthday,
            "postal_code": postal_code if has_address else None,
            "country": country if has_address else None,
            "region": region if has_address else None,
            "city": city if has_address else None,
            "address1": address1 if has_address else None,
            "address2": address2 if has_address else None,
            "do_not_contact": rng.random() < 0.03,
            "erased_at": None,
            "created_at": self.now - timedelta(days=self.between(1, 29)),
        }
        return row, archetype

    def order_times(self, archetype: _Archetype) -> list[datetime]:
        """When this customer ordered, oldest first."""
        rng = self.rng
        count = self.between(*archetype.orders)
        if count == 0:
            return []
        last = self.now - timedelta(days=self.between(*archetype.last_order_days_ago), minutes=self.between(1, 720))
        span = self.between(*archetype.span_days) if count > 1 else 0
        offsets = sorted((rng.random() * span for _ in range(count - 1)), reverse=True)
        return [last - timedelta(days=offset) for offset in offsets] + [last]

    def basket(self, boost: int) -> list[tuple[str, str, int, int]]:
        """Items of one order: (name, sku, quantity, unit price)."""
        random = self.rng.random
        lines = 1 + (random() < 0.25) + (random() < 0.08) + (boost > 1 and random() < 0.5)
        count = len(self.items)
        first = int(random() * count)
        # Catalogue entries a fixed stride apart: distinct items without the cost of random.sample.
        chosen = [self.items[(first + step * 7) % count] for step in range(lines)]
        return [(name, sku, 1 + (random() < 0.1 * boost), price) for name, sku, price in chosen]

    def later(self, moment: datetime, days: int) -> datetime:
        """``days`` after ``moment``, but never after the seeding day's morning."""
        return min(moment + timedelta(days=days), self.now)

    def order_status(self) -> str:
        """Most orders are paid; a few are refunded or cancelled."""
        roll = self.rng.random()
        if roll < 0.04:
            return OrderStatus.REFUNDED
        return OrderStatus.CANCELLED if roll < 0.06 else OrderStatus.PAID

    def review(self, language: str) -> tuple[int, str]:
        """A rating and what the customer wrote."""
        roll = self.rng.random()
        rating = 5 if roll < 0.6 else 4 if roll < 0.85 else 3 if roll < 0.93 else 2 if roll < 0.97 else 1
        texts = catalogue.REVIEWS_KO if language == "ko" else catalogue.REVIEWS_EN
        return rating, self.rng.choice(texts[rating])


ORDER_COLUMNS = ("id", "external_id", "customer_id", "placed_at", "total_minor", "currency", "status")
ITEM_COLUMNS = ("id", "order_id", "name", "sku", "quantity", "unit_price_minor")


class _Batch:
    """Rows for a batch of customers, inserted together."""

    def __init__(self) -> None:
        self.customers: list[dict] = []
        self.orders: list[tuple] = []
        self.items: list[tuple] = []
        self.feedback: list[dict] = []

    def insert(self, connection: Connection) -> None:
        _insert_dicts(connection, Customer.__table__, self.customers)
        bulk_insert(connection, Order.__table__, ORDER_COLUMNS, self.orders)
        bulk_insert(connection, OrderItem.__table__, ITEM_COLUMNS, self.items)
        _insert_dicts(connection, Feedback.__table__, self.feedback)


def _insert_dicts(connection: Connection, table: Table, rows: list[dict]) -> None:
    if rows:
        bulk_insert(connection, table, list(rows[0]), [tuple(row.values()) for row in rows])


def seed_database(
    connection: Connection, options: SeedOptions, progress: Callable[[int], None] | None = None
) -> SeedSummary:
    """Fill an empty store with ``options.customers`` believable customers and their histories.

    ``progress`` is called with the number of customers made since the last call.
    """
    if options.locale not in LOCALES:
        raise InputError(f'unknown locale "{options.locale}": use one of {", ".join(LOCALES)}')
    if options.customers < 1:
        raise InputError("--customers must be at least 1")
    existing = connection.execute(select(func.count()).select_from(Customer.__table__)).scalar_one()
    if existing:
        raise InputError(
            f"the database already has {existing} customers: seed a new one (--db NEW.db) "
            "or make a fresh demo with `delight demo --force`"
        )
    generator = _Generator(options)
    summary = SeedSummary(currency=options.currency)
    ids = {"order": 0, "item": 0, "feedback": 0}
    for start in range(1, options.customers + 1, BATCH_CUSTOMERS):
        batch = _Batch()
        stop = min(start + BATCH_CUSTOMERS, options.customers + 1)
        for customer_id in range(start, stop):
            _add_customer(generator, batch, customer_id, ids, summary)
        batch.insert(connection)
        if progress:
            progress(stop - start)
    for table in (Customer.__table__, Order.__table__, OrderItem.__table__, Feedback.__table__):
        advance_id_sequences(connection, table)
    return summary


def _add_customer(
    generator: _Generator, batch: _Batch, customer_id: int, ids: dict[str, int], summary: SeedSummary
) -> None:
    rng = generator.rng
    customer, archetype = generator.customer(customer_id)
    batch.customers.append(customer)
    summary.customers += 1
    summary.do_not_contact += customer["do_not_contact"]
    language = customer["language"]
    currency = generator.options.currency
    last_order: tuple[int, datetime] | None = None
    order_times = generator.order_times(archetype)
    if order_times:
        customer["created_at"] = order_times[0] - timedelta(days=generator.between(0, 59))
    for placed_at in order_times:
        ids["order"] += 1
        order_id = ids["order"]
        lines = generator.basket(archetype.basket_boost)
        subtotal = sum(quantity * price for _, _, quantity, price in lines)
        shipping = 0 if subtotal >= generator.free_shipping_minor else generator.shipping_minor
        status = generator.order_status()
        batch.orders.append(
            (order_id, f"O{order_id:08d}", customer_id, placed_at, subtotal + shipping, currency, status)
        )
        summary.orders += 1
        summary.refunded_or_cancelled += status != OrderStatus.PAID
        for name, sku, quantity, price in lines:
            ids["item"] += 1
            batch.items.append((ids["item"], order_id, name, sku, quantity, price))
        summary.order_items += len(lines)
        last_order = (order_id, placed_at)
        if rng.random() < 0.08:
            rating, text = generator.review(language)
            received_at = generator.later(placed_at, days=generator.between(2, 8))
            _add_feedback(batch, ids, summary, customer_id, order_id, FeedbackKind.REVIEW, rating, text, received_at)
    if last_order is not None and rng.random() < 0.02:
        order_id, placed_at = last_order
        texts = catalogue.COMPLAINTS_KO if language == "ko" else catalogue.COMPLAINTS_EN
        received_at = generator.later(placed_at, days=generator.between(2, 9))
        resolved = rng.random() < 0.6
        summary.open_complaints += not resolved
        _add_feedback(
            batch,
            ids,
            summary,
            customer_id,
            order_id,
            FeedbackKind.COMPLAINT,
            None,
            rng.choice(texts),
            received_at,
            resolved_at=generator.later(received_at, days=2) if resolved else None,
        )
    if last_order is not None and rng.random() < 0.01:
        texts = catalogue.REQUESTS_KO if language == "ko" else catalogue.REQUESTS_EN
        _add_feedback(
            batch,
            ids,
            summary,
            customer_id,
            None,
            FeedbackKind.REQUEST,
            None,
            rng.choice(texts),
            last_order[1],
        )


def _add_feedback(
    batch: _Batch,
    ids: dict[str, int],
    summary: SeedSummary,
    customer_id: int,
    order_id: int | None,
    kind: FeedbackKind,
    rating: int | None,
    text: str,
    received_at: datetime,
    resolved_at: datetime | None = None,
) -> None:
    ids["feedback"] += 1
    batch.feedback.append(
        {
            "id": ids["feedback"],
            "external_id": f"F{ids['feedback']:08d}",
            "customer_id": customer_id,
            "order_id": order_id,
            "kind": kind,
            "rating": rating,
            "text": text,
            "received_at": received_at,
            "resolved_at": resolved_at,
            "resolved_by": "ops" if resolved_at else None,
            "reply": None,
            "replied_by": None,
            "replied_at": None,
        }
    )
    summary.feedback += 1
