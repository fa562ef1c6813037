"""Believable demo data: a small gift shop's customers, orders and feedback.

Built for scale (200,000 customers with about 2 million orders in well under two
minutes): Faker draws pools of names, streets and towns once, a seeded
``random.Random`` combines them, and rows go in through SQLAlchemy Core inserts in
batches, never one SQLModel object per row.

The same seed and the same ``today`` give identical data.

With ``plant_effect``, it also logs twelve past weeks of gestures with a held-out control
group and a known effect on repurchase, so `delight report` can be checked against it
(see ``_plant_effect``). With ``export_smartstore``, the orders are also written as a Naver
SmartStore order export (``planner.files.smartstore_export``).
"""

from __future__ import annotations

import random
from bisect import bisect
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from itertools import accumulate
from pathlib import Path
from zoneinfo import ZoneInfo

from faker import Faker
from sqlalchemy import Connection, Table, func, select

from db import catalogue
from db.catalogue import LOCALES
from db.engine import advance_id_sequences, bulk_insert
from db.models import Customer, Feedback, FeedbackKind, Gesture, GestureStatus, Order, OrderItem, OrderStatus, PlanRun
from planner.core.errors import InputError
from planner.core.weeks import week_of
from planner.files.output_files import check_output_file
from planner.files.smartstore_export import export_orders

BATCH_CUSTOMERS = 5_000
POOL_SIZE = 400


@dataclass(frozen=True)
class SeedOptions:
    """What to make: how many customers, in which locale, from which seed, as of which day."""

    customers: int
    locale: str = "ko_KR"
    seed: int = 1
    today: date = field(default_factory=date.today)
    plant_effect: float | None = None
    export_smartstore: Path | None = None

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
    planted_treated: int = 0
    planted_control: int = 0
    exported_rows: int = 0


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
    if options.export_smartstore is not None:
        if options.locale == "en_US":
            raise InputError("--export-smartstore: SmartStore is a Korean marketplace: use --locale ko_KR or mixed")
        check_output_file(options.export_smartstore, "xlsx")  # a file that cannot be written stops us before seeding
    if options.plant_effect is not None and not -PLANT_BASE_RATE <= options.plant_effect <= 1 - PLANT_BASE_RATE:
        raise InputError(
            f"--plant-effect {options.plant_effect:g} is out of range: use a number from "
            f"{-PLANT_BASE_RATE:g} to {1 - PLANT_BASE_RATE:g} (0.15 means 15 points more repurchases)"
        )
    existing = connection.execute(select(func.count()).select_from(Customer.__table__)).scalar_one()
    if existing:
        raise InputError(
            f"the database already has {existing} customers: seed a new one (--db NEW.db) "
            "or make a fresh demo with `delight demo --force`"
        )
    generator = _Generator(options)
    summary = SeedSummary(currency=options.currency)
    ids = {"order": 0, "item": 0, "feedback": 0}
    experiment = _Experiment(generator) if options.plant_effect is not None else None
    for start in range(1, options.customers + 1, BATCH_CUSTOMERS):
        batch = _Batch()
        stop = min(start + BATCH_CUSTOMERS, options.customers + 1)
        for customer_id in range(start, stop):
            _add_customer(generator, batch, customer_id, ids, summary, experiment)
        batch.insert(connection)
        if progress:
            progress(stop - start)
    if experiment is not None:
        _plant_effect(connection, generator, experiment, ids, summary)
    for table in (Customer.__table__, Order.__table__, OrderItem.__table__, Feedback.__table__):
        advance_id_sequences(connection, table)
    if options.export_smartstore is not None:
        summary.exported_rows = export_orders(connection, options.export_smartstore, generator.now)
    return summary


def _add_customer(
    generator: _Generator,
    batch: _Batch,
    customer_id: int,
    ids: dict[str, int],
    summary: SeedSummary,
    experiment: _Experiment | None = None,
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
        if experiment is not None:
            experiment.consider(customer, order_times[-1])
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
            # A shop that listens: a low rating has a person's reply after three weeks, bar one in ten
            # of the last four months' (older ones have all been answered).
            age = generator.now - received_at
            replied = rating <= 2 and age > timedelta(days=21) and (age > timedelta(days=120) or ids["feedback"] % 10)
            reply = (catalogue.REPLIES_KO if language == "ko" else catalogue.REPLIES_EN) if replied else None
            _add_feedback(
                batch,
                ids,
                summary,
                customer_id,
                order_id,
                FeedbackKind.REVIEW,
                rating,
                text,
                received_at,
                reply=(reply[ids["feedback"] % len(reply)], generator.later(received_at, days=2)) if reply else None,
            )
    if last_order is not None and rng.random() < 0.02:
        order_id, placed_at = last_order
        texts = catalogue.COMPLAINTS_KO if language == "ko" else catalogue.COMPLAINTS_EN
        received_at = generator.later(placed_at, days=generator.between(2, 9))
        # Four in ten recent complaints are still open; of those over a month old, one in ten.
        resolved = rng.random() < 0.6 or (received_at < generator.now - timedelta(days=30) and ids["feedback"] % 4 != 0)
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
    reply: tuple[str, datetime] | None = None,
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
            "reply": reply[0] if reply else None,
            "replied_by": "ops" if reply else None,
            "replied_at": reply[1] if reply else None,
        }
    )
    summary.feedback += 1


# --- A planted effect, for checking `delight report` ---------------------------------------------

PLANT_BASE_RATE = 0.30
"""How often a held-out customer buys again within the 90 days after the gesture's week."""
PLANT_WEEKS = 12
PLANT_WEEKS_BEFORE_TODAY = 14
"""The last planted week starts this many weeks before this week, so every 90-day window has ended."""
PLANT_WINDOW_DAYS = 90
PLANT_TREATED_SHARE = 0.5
PLANT_RULES = (
    ("we miss you", "handwritten_note"),
    ("we miss you", "cheer_message"),
    ("quiet loyal customer", "cheer_message"),
    ("first-order anniversary", "small_gift"),
)
PLANT_COST = {
    "KRW": {"handwritten_note": 1500, "small_gift": 15000},
    "USD": {"handwritten_note": 250, "small_gift": 1200},
}
PLANT_WRITERS = ("Minji", "Tom")
GESTURE_COLUMNS = (
    "customer_id",
    "plan_run_id",
    "week",
    "kind",
    "rule",
    "reason",
    "status",
    "cost_minor",
    "currency",
    "writer",
    "sent_at",
    "sent_by",
    "note",
    "created_at",
)


class _Experiment:
    """Past weeks of gestures with a control group, and who may take part.

    Only customers whose every order came before the first window opens take part (and none
    marked do-not-contact), so their normal history cannot decide the outcome: whether they
    buy again after their gesture's week comes from ``_plant_effect`` alone.
    """

    def __init__(self, generator: _Generator) -> None:
        today = generator.options.today
        this_monday = today - timedelta(days=today.weekday())
        last_monday = this_monday - timedelta(weeks=PLANT_WEEKS_BEFORE_TODAY)
        self.mondays = [last_monday - timedelta(weeks=PLANT_WEEKS - 1 - k) for k in range(PLANT_WEEKS)]
        self.timezone = generator.options.timezone
        self.opens = self.midnight(self.mondays[0] + timedelta(days=7))
        self.candidates: list[int] = []

    def midnight(self, day: date) -> datetime:
        """The start of ``day`` in the shop's time zone, in UTC."""
        return datetime.combine(day, time(0), tzinfo=self.timezone).astimezone(UTC)

    def consider(self, customer: dict, last_order_at: datetime) -> None:
        """Note a customer who may take part: contactable, and no order once the first window opens."""
        if not customer["do_not_contact"] and last_order_at < self.opens:
            self.candidates.append(customer["id"])


def _plant_effect(
    connection: Connection, generator: _Generator, experiment: _Experiment, ids: dict[str, int], summary: SeedSummary
) -> None:
    """Log gestures for past weeks and plant repurchases: ``PLANT_BASE_RATE`` held out, plus the effect if sent.

    Each candidate gets a week and a rule at random and is sent the gesture (status ``sent``)
    or held out (``held_out``) with even odds; then buys again, on a random day of the 90 days
    after the gesture's week, with probability ``PLANT_BASE_RATE`` (held out) or
    ``PLANT_BASE_RATE + plant_effect`` (sent). Every choice comes from the seeded generator.
    """
    rng, options = generator.rng, generator.options
    effect = options.plant_effect or 0.0
    currency = options.currency
    costs = PLANT_COST.get(currency, PLANT_COST["USD"])
    budget_step = 4 * costs["small_gift"]
    assigned = [
        (customer_id, rng.randrange(PLANT_WEEKS), rng.choice(PLANT_RULES), rng.random() < PLANT_TREATED_SHARE)
        for customer_id in experiment.candidates
    ]
    run_ids = {}
    for index, monday in enumerate(experiment.mondays):
        week_cost = sum(costs.get(kind, 0) for _, w, (_, kind), sent in assigned if w == index and sent)
        run_ids[index] = connection.execute(
            PlanRun.__table__.insert().values(
                week=week_of(monday),
                seed=options.seed,
                as_of=monday,
                rules_snapshot="# planted by `delight seed --plant-effect`\n",
                budget_minor=(week_cost // budget_step + 1) * budget_step,  # a round figure above the spend
                currency=currency,
                created_at=experiment.midnight(monday),
            )
        ).inserted_primary_key[0]
    gestures, orders, items = [], [], []
    for customer_id, week_index, (rule, kind), sent in assigned:
        monday = experiment.mondays[week_index]
        local_day = datetime.combine(monday, time(10), tzinfo=experiment.timezone)
        sent_at = (local_day + timedelta(days=generator.between(0, 4), minutes=generator.between(0, 420))).astimezone(
            UTC
        )
        gestures.append(
            (
                customer_id,
                run_ids[week_index],
                week_of(monday),
                kind,
                rule,
                f'matched "{rule}"',
                GestureStatus.SENT if sent else GestureStatus.HELD_OUT,
                costs.get(kind, 0),
                currency,
                rng.choice(PLANT_WRITERS) if kind != "cheer_message" else None,
                sent_at if sent else None,
                "demo" if sent else None,
                "planted by delight seed --plant-effect",
                experiment.midnight(monday),
            )
        )
        summary.planted_treated += sent
        summary.planted_control += not sent
        if rng.random() >= PLANT_BASE_RATE + (effect if sent else 0.0):
            continue
        # Days 1 to 88 of the window at midday, so no shop time zone moves the order out of it.
        window_opens = datetime.combine(monday + timedelta(days=7), time(10), tzinfo=experiment.timezone)
        placed_at = (
            window_opens
            + timedelta(days=generator.between(1, PLANT_WINDOW_DAYS - 2), minutes=generator.between(0, 480))
        ).astimezone(UTC)
        ids["order"] += 1
        lines = generator.basket(1)
        subtotal = sum(quantity * price for _, _, quantity, price in lines)
        shipping = 0 if subtotal >= generator.free_shipping_minor else generator.shipping_minor
        orders.append(
            (
                ids["order"],
                f"O{ids['order']:08d}",
                customer_id,
                placed_at,
                subtotal + shipping,
                currency,
                OrderStatus.PAID,
            )
        )
        for name, sku, quantity, price in lines:
            ids["item"] += 1
            items.append((ids["item"], ids["order"], name, sku, quantity, price))
        summary.orders += 1
        summary.order_items += len(lines)
    bulk_insert(connection, Gesture.__table__, GESTURE_COLUMNS, gestures)
    bulk_insert(connection, Order.__table__, ORDER_COLUMNS, orders)
    bulk_insert(connection, OrderItem.__table__, ITEM_COLUMNS, items)
