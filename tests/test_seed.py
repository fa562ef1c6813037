"""Demo data: believable, Korean-first, and the same for the same seed."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, timedelta

from click.testing import Result
from sqlalchemy import Engine, select, text

from db.engine import make_engine, transaction
from db.models import Customer, Feedback, Order, OrderItem
from db.seed import SeedOptions, seed_database

TODAY = date(2026, 11, 30)


def dump(engine: Engine) -> dict[str, list[tuple]]:
    """Every row of the seeded tables, in id order."""
    with engine.connect() as connection:
        return {
            table.__tablename__: [tuple(row) for row in connection.execute(select(table).order_by(table.id))]
            for table in (Customer, Order, OrderItem, Feedback)
        }


def seed(engine: Engine, **options: object) -> None:
    with transaction(engine) as session:
        seed_database(session.connection(), SeedOptions(**{"customers": 300, "today": TODAY, **options}))


def test_same_seed_same_data(engine: Engine, db_url: str, tmp_path_factory) -> None:  # type: ignore[no-untyped-def]
    from db import schema
    from db.engine import database_url

    seed(engine, seed=7, locale="mixed")
    twin = make_engine(database_url(str(tmp_path_factory.mktemp("twin") / "twin.db")))
    schema.upgrade(twin)
    seed(twin, seed=7, locale="mixed")
    other = make_engine(database_url(str(tmp_path_factory.mktemp("other") / "other.db")))
    schema.upgrade(other)
    seed(other, seed=8, locale="mixed")
    first = dump(engine)
    assert first == dump(twin)
    assert first["customers"] != dump(other)["customers"]
    twin.dispose()
    other.dispose()


def test_histories_an_ops_person_would_recognise(engine: Engine) -> None:
    seed(engine, customers=2000, seed=3, locale="ko_KR")
    with engine.connect() as connection:

        def scalar(sql: str, **params: object) -> int:
            return connection.execute(text(sql), params).scalar_one()

        purchases = "SELECT customer_id, COUNT(*) AS n FROM orders WHERE status = 'paid' GROUP BY customer_id"
        assert scalar(f"SELECT COUNT(*) FROM ({purchases}) p WHERE n = 1") > 100  # first-time and one-off buyers
        assert scalar(f"SELECT COUNT(*) FROM ({purchases}) p WHERE n >= 10") > 200  # regulars
        assert scalar("SELECT COUNT(*) FROM customers WHERE id NOT IN (SELECT customer_id FROM orders)") > 20
        assert scalar("SELECT COUNT(*) FROM orders WHERE status = 'refunded'") > 100
        assert scalar("SELECT COUNT(*) FROM orders WHERE status = 'cancelled'") > 50
        assert scalar("SELECT COUNT(*) FROM feedback WHERE kind = 'review' AND rating <= 2") > 10
        assert scalar("SELECT COUNT(*) FROM feedback WHERE kind = 'complaint' AND resolved_at IS NULL") > 3
        assert scalar("SELECT COUNT(*) FROM customers WHERE do_not_contact") > 20
        assert scalar("SELECT COUNT(*) FROM customers WHERE address1 IS NULL") > 10
        # The top tenth of buyers by spend spends far more than the median buyer.
        totals = sorted(
            connection.execute(
                text("SELECT SUM(total_minor) FROM orders WHERE status = 'paid' GROUP BY customer_id")
            ).scalars()
        )
        assert totals[int(len(totals) * 0.9)] > 5 * totals[len(totals) // 2] / 2
        # Lapsed regulars: several purchases, none for months.
        latest = connection.execute(
            text("SELECT MAX(placed_at) FROM orders WHERE status = 'paid' GROUP BY customer_id HAVING COUNT(*) >= 5")
        ).scalars()
        cutoff = TODAY - timedelta(days=120)
        assert sum(1 for moment in latest if str(moment)[:10] < cutoff.isoformat()) > 50
        rows = connection.execute(select(Customer.name, Customer.birthday, Customer.phone, Customer.region)).all()
    week = {((day := TODAY + timedelta(days=offset)).month, day.day) for offset in range(7)}
    birthdays_this_week = [b for _, b, _, _ in rows if b and (b.month, b.day) in week]
    assert len(birthdays_this_week) >= 5
    assert all(re.fullmatch(r"[가-힣]{2,4}", name) for name, _, _, _ in rows)
    assert all(re.fullmatch(r"010-\d{4}-\d{4}", phone) for _, _, phone, _ in rows)
    assert any(region and region.endswith(("시", "도")) for _, _, _, region in rows)


def test_item_names_come_from_a_small_gift_shop(engine: Engine) -> None:
    seed(engine, customers=50, seed=1, locale="ko_KR")
    with engine.connect() as connection:
        names = set(connection.execute(select(OrderItem.name)).scalars())
        currencies = set(connection.execute(select(Order.currency)).scalars())
    assert "라벤더 소이 캔들" in names or "세라믹 머그컵 350ml" in names
    assert currencies == {"KRW"}


def test_english_shop_sells_in_dollars(engine: Engine) -> None:
    seed(engine, customers=50, seed=1, locale="en_US")
    with engine.connect() as connection:
        languages = set(connection.execute(select(Customer.language)).scalars())
        currencies = set(connection.execute(select(Order.currency)).scalars())
    assert languages == {"en"}
    assert currencies == {"USD"}


def test_seeding_twice_is_refused(initialised: Callable[..., Result]) -> None:
    assert initialised("seed", "--customers", "20").exit_code == 0
    again = initialised("seed", "--customers", "20")
    assert again.exit_code == 1
    assert again.output.startswith("Error: the database already has 20 customers: seed a new one")


def test_seed_reports_what_it_made(initialised: Callable[..., Result]) -> None:
    result = initialised("seed", "--customers", "200", "--seed", "5", "--today", "2026-11-30")
    assert result.exit_code == 0
    assert re.match(r"Seeded 200 customers, [\d,]+ orders \([\d,]+ refunded or cancelled\)", result.output)


def test_seed_rejects_a_bad_date(initialised: Callable[..., Result]) -> None:
    result = initialised("seed", "--today", "30/11/2026")
    assert result.exit_code == 2
    assert '"30/11/2026" is not a date like 2026-11-30' in result.output
