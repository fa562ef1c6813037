"""A planned shop for the desk's tests, built once per session and copied for each test.

Building it (seeding 300 customers, planning a week with two writers, adding users) takes
seconds; a copy takes milliseconds: a file copy on SQLite, ``CREATE DATABASE … TEMPLATE`` on
PostgreSQL.
"""

from __future__ import annotations

import re
import shutil
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url
from sqlmodel import Session

from db import schema
from db.engine import database_url, make_engine, transaction
from db.models import Customer, Feedback, Gesture
from db.seed import SeedOptions, seed_database
from planner.core.rules import default_rules_text
from planner.desk.app import create_app
from planner.desk.state import DeskSettings
from planner.services import accounts, planning

WEEK = "2026-W49"
NEXT_WEEK = "2026-W50"
PASSWORD = "correct horse battery"
MANAGER = "민지"
WRITER = "Tom"
WRITERS = """
[writers."민지"]
capacity = 30
languages = ["ko", "en"]

[writers.Tom]
capacity = 30
languages = ["ko", "en"]
"""
COMPLAINT = "포장이 찢어져서 왔어요. 너무 속상해요."


@dataclass(frozen=True)
class Shop:
    """A copy of the planned shop: its URL, the rules file, and the complaint waiting for a reply."""

    url: str
    rules_path: Path
    complaint_id: int


def write_rules(folder: Path) -> Path:
    """The default rules with two writers, 민지 and Tom."""
    path = folder / "delight-rules.toml"
    path.write_text(default_rules_text() + WRITERS, encoding="utf-8")
    return path


def build_shop(url: str, rules_path: Path) -> int:
    """Seed, plan WEEK, add a manager and a writer and an overdue complaint; the complaint's id."""
    engine = make_engine(url)
    try:
        schema.upgrade(engine)
        with transaction(engine) as session:
            seed_database(session.connection(), SeedOptions(customers=300, seed=3, today=date(2026, 11, 30)))
        planning.plan_week(engine, planning.PlanOptions(week=WEEK, rules_path=rules_path, seed=1))
        accounts.add_user(engine, MANAGER, "manager", PASSWORD, "test")
        accounts.add_user(engine, WRITER, "writer", PASSWORD, "test")
        with Session(engine) as session, session.begin():
            planned = session.execute(
                select(Gesture).where(Gesture.week == WEEK, Gesture.status == "planned").order_by(Gesture.id)
            ).scalars()
            customer_id = next(iter(planned)).customer_id
            complaint = Feedback(
                customer_id=customer_id,
                kind="complaint",
                text=COMPLAINT,
                received_at=datetime.now(UTC) - timedelta(days=5),
            )
            session.add(complaint)
            session.flush()
            assert complaint.id is not None
            return complaint.id
    finally:
        engine.dispose()


class Golden:
    """The planned shop, built once per database kind, then copied for each test."""

    def __init__(self, folder: Path, pg_url: str | None) -> None:
        self.folder = folder
        self.pg_url = pg_url
        self.rules_path = write_rules(folder)
        self.built: dict[str, tuple[str, int]] = {}

    def copy(self, kind: str, into: Path) -> Shop:
        """A fresh copy of the shop on SQLite (in ``into``) or PostgreSQL."""
        if kind not in self.built:
            url = database_url(str(self.folder / "golden.db")) if kind == "sqlite" else self._new_pg_database(None)
            self.built[kind] = (url, build_shop(url, self.rules_path))
        golden_url, complaint_id = self.built[kind]
        if kind == "sqlite":
            target = into / "delight.db"
            shutil.copyfile(make_url(golden_url).database or "", target)
            return Shop(database_url(str(target)), self.rules_path, complaint_id)
        return Shop(self._new_pg_database(make_url(golden_url).database), self.rules_path, complaint_id)

    def _new_pg_database(self, template: str | None) -> str:
        assert self.pg_url is not None
        name = f"delight_desk_{uuid.uuid4().hex[:12]}"
        admin = create_engine(self.pg_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            copy_of = f' TEMPLATE "{template}"' if template else ""
            connection.execute(text(f'CREATE DATABASE "{name}"{copy_of}'))
        admin.dispose()
        return make_url(self.pg_url).set(database=name).render_as_string(hide_password=False)

    def drop(self, url: str) -> None:
        """Drop a PostgreSQL copy (SQLite copies go with their temporary folder)."""
        if self.pg_url is None or not url.startswith("postgresql"):
            return
        admin = create_engine(self.pg_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)'))
        admin.dispose()

    def close(self) -> None:
        """Drop the PostgreSQL original."""
        if "postgresql" in self.built:
            self.drop(self.built["postgresql"][0])


CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(page: str) -> str:
    """The CSRF token a page's forms carry."""
    found = CSRF.search(page)
    assert found is not None, "no CSRF token on the page"
    return found.group(1)


def client_for(shop: Shop, engine: object, *, secure_cookies: bool = False) -> TestClient:
    """A test client on the shop (nobody signed in yet)."""
    app = create_app(engine, DeskSettings(rules_path=shop.rules_path, secure_cookies=secure_cookies))  # type: ignore[arg-type]
    return TestClient(app, base_url="https://desk.test" if secure_cookies else "http://desk.test")


def sign_in(client: TestClient, name: str, password: str = PASSWORD) -> str:
    """Sign ``client`` in; the CSRF token of the new session."""
    token = csrf_of(client.get("/signin").text)
    response = client.post(
        "/signin", data={"name": name, "password": password, "csrf_token": token}, follow_redirects=False
    )
    assert response.status_code == 303, response.text
    return csrf_of(client.get("/plan" if name == MANAGER else "/print").text)


def planned_ids(engine: object, week: str = WEEK, writer: str | None = None) -> list[int]:
    """The week's planned gestures (one writer's, if given), by id."""
    with Session(engine) as session:  # type: ignore[arg-type]
        query = select(Gesture.id).where(Gesture.week == week, Gesture.status == "planned").order_by(Gesture.id)
        if writer is not None:
            query = query.where(Gesture.writer == writer)
        return list(session.scalars(query))


def customer_of(engine: object, gesture_id: int) -> Customer:
    """The customer a gesture is for."""
    with Session(engine) as session:  # type: ignore[arg-type]
        gesture = session.get(Gesture, gesture_id)
        assert gesture is not None
        customer = session.get(Customer, gesture.customer_id)
        assert customer is not None
        return customer
