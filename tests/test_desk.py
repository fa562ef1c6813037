"""The desk (`delight serve`) through FastAPI's test client, on SQLite and PostgreSQL.

Every page and API route: signed out, a writer on a manager's page, forms without their CSRF
token, customer text as text, what the desk logs seen by the CLI and the other way round,
and eight people logging the same gestures at once.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from io import BytesIO
from pathlib import Path
from urllib.parse import quote

import pytest
from click.testing import CliRunner, Result
from conftest import PG_URL
from desk_helpers import (
    COMPLAINT,
    MANAGER,
    NEXT_WEEK,
    PASSWORD,
    WEEK,
    WRITER,
    Shop,
    client_for,
    csrf_of,
    customer_of,
    planned_ids,
    sign_in,
)
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from pypdf import PdfReader
from sqlalchemy import Engine, func, select, update
from sqlmodel import Session

from db.engine import make_engine
from db.models import AuditEvent, Customer, Feedback, Gesture, PlanRun, User
from planner.cli import cli
from planner.core import plan
from planner.core.rules import load_rules
from planner.desk import i18n
from planner.services import printing, worklist

HTMX = {"HX-Request": "true"}
pytestmark = pytest.mark.usefixtures("quick_passwords")
# Pages, forms and headers behave alike on both stores; what the store does (logging, locking, plans,
# replies, many people at once) is tested on both.
SQLITE_ONLY = pytest.mark.parametrize("shop", ["sqlite"], indirect=True)


@pytest.fixture(params=["sqlite", "postgresql"])
def shop(request: pytest.FixtureRequest, desk_golden: object, tmp_path: Path) -> Iterator[Shop]:
    if request.param == "postgresql" and not PG_URL:
        pytest.skip("PostgreSQL not configured (set DELIGHT_TEST_PG_URL, or run bash .ci/run)")
    copy = desk_golden.copy(request.param, tmp_path)  # type: ignore[attr-defined]
    yield copy
    desk_golden.drop(copy.url)  # type: ignore[attr-defined]


@pytest.fixture
def engine_of_shop(shop: Shop) -> Iterator[Engine]:
    built = make_engine(shop.url)
    yield built
    built.dispose()


@pytest.fixture
def client(shop: Shop, engine_of_shop: Engine) -> TestClient:
    """Nobody signed in."""
    return client_for(shop, engine_of_shop)


@pytest.fixture
def manager(shop: Shop, engine_of_shop: Engine) -> tuple[TestClient, str]:
    """민지, a manager, signed in; and her CSRF token."""
    signed = client_for(shop, engine_of_shop)
    return signed, sign_in(signed, MANAGER)


@pytest.fixture
def writer(shop: Shop, engine_of_shop: Engine) -> tuple[TestClient, str]:
    """Tom, a writer, signed in; and his CSRF token."""
    signed = client_for(shop, engine_of_shop)
    return signed, sign_in(signed, WRITER)


@pytest.fixture
def cli_run(shop: Shop) -> Callable[..., Result]:
    """`delight --db SHOP COMMAND … --rules RULES` where the command takes rules."""

    def invoke(*args: str, input: str | None = None) -> Result:
        return CliRunner().invoke(cli, ["--db", shop.url, *args], input=input, catch_exceptions=False)

    return invoke


def status_of(engine: Engine, gesture_id: int) -> Gesture:
    with Session(engine) as session:
        found = session.get(Gesture, gesture_id)
        assert found is not None
        return found


def gesture_events(engine: Engine, gesture_id: int) -> list[tuple[str, str]]:
    with Session(engine) as session:
        return [
            (actor, action)
            for actor, action in session.execute(
                select(AuditEvent.actor, AuditEvent.action)
                .where(AuditEvent.entity == "gesture", AuditEvent.entity_id == gesture_id)
                .order_by(AuditEvent.id)
            )
        ]


# --- Signing in ---------------------------------------------------------------------------------

PAGES = ["/", "/week", "/week/changes?week=2026-W49", "/customers/C0000001", "/print", "/print/cards", "/plan"]
PAGES += ["/listen", "/report", "/report.pdf", "/api/docs", "/api/openapi.json"]
FORMS = ["/gestures/1/sent", "/week/log/sent", "/plan/preview", "/plan/store", "/listen/check"]
FORMS += ["/listen/1/reply", "/listen/1/resolve", "/language"]
API = [("GET", "/api/gestures"), ("POST", "/api/gestures/log"), ("POST", "/api/gestures/1/undo")]
API += [("GET", "/api/feedback")]


@SQLITE_ONLY
def test_every_route_is_in_the_signed_out_lists(client: TestClient) -> None:
    """A route added without being listed here fails this test, so none goes untested signed out."""
    listed = {re.sub(r"\d+|\?.*|2026-W49", "", path) for path in PAGES + FORMS + [p for _, p in API]}
    for route in client.app.routes:  # type: ignore[attr-defined]
        if isinstance(route, APIRoute) and route.path not in ("/signin", "/signout"):
            assert re.sub(r"\{[^}]+\}", "", route.path) in listed, f"{route.path} is not checked signed out"


@SQLITE_ONLY
def test_signed_out_every_page_sends_to_sign_in_and_the_api_says_401(client: TestClient) -> None:
    for path in PAGES:
        response = client.get(path, follow_redirects=False)
        assert response.status_code == 303, path
        assert response.headers["location"].startswith("/signin?next="), path
    for path in FORMS:
        response = client.post(path, data={"csrf_token": csrf_of(client.get("/signin").text)}, follow_redirects=False)
        assert (response.status_code, response.headers["location"]) == (303, "/signin"), path
        assert client.post(path, headers=HTMX, data={}).status_code in (401, 403), path
    htmx = client.post("/gestures/1/sent", headers=HTMX, data={"csrf_token": csrf_of(client.get("/signin").text)})
    assert htmx.status_code == 401 and htmx.headers["HX-Redirect"] == "/signin"
    for method, path in API:
        response = client.request(method, path, json={"status": "sent", "gesture_ids": [1]})
        assert response.status_code == 401, path
        assert response.headers["www-authenticate"] == "Bearer"
        assert "delight user token" in response.json()["detail"]
    page = client.get("/signin")
    assert page.status_code == 200 and 'name="password"' in page.text
    assert client.get("/static/htmx.min.js").status_code == 200  # what the sign-in page needs


@SQLITE_ONLY
def test_sign_in_takes_you_where_you_were_going_and_never_elsewhere(client: TestClient) -> None:
    token = csrf_of(client.get("/signin").text)
    form = {"name": MANAGER, "password": PASSWORD, "csrf_token": token, "next": "/listen?show=all"}
    assert client.post("/signin", data=form, follow_redirects=False).headers["location"] == "/listen?show=all"
    client.post("/signout", data={"csrf_token": csrf_of(client.get("/week").text)})
    for elsewhere in ("https://evil.example/", "//evil.example/", "/\\evil.example"):
        token = csrf_of(client.get("/signin").text)
        form = {"name": MANAGER, "password": PASSWORD, "csrf_token": token, "next": elsewhere}
        assert client.post("/signin", data=form, follow_redirects=False).headers["location"] == "/week"
        client.post("/signout", data={"csrf_token": csrf_of(client.get("/week").text)})


def test_five_wrong_passwords_lock_the_account_for_a_while(
    client: TestClient, engine_of_shop: Engine, cli_run: Callable[..., Result]
) -> None:
    def attempt(password: str, name: str = WRITER) -> tuple[int, str]:
        token = csrf_of(client.get("/signin", headers={"Accept-Language": "en"}).text)
        response = client.post(
            "/signin",
            data={"name": name, "password": password, "csrf_token": token},
            headers={"Accept-Language": "en"},
            follow_redirects=False,
        )
        return response.status_code, response.text

    assert attempt("nope", name="nobody")[0] == 401
    for _ in range(4):
        status, page = attempt("wrong password")
        assert status == 401 and "Wrong name or password." in page
    status, page = attempt("wrong password")
    assert status == 401 and "locked for 15 more minutes" in page
    status, page = attempt(PASSWORD)  # the right password does not help while locked
    assert status == 401 and "locked for" in page
    with Session(engine_of_shop) as session:
        locks = session.execute(select(func.count()).where(AuditEvent.action == "locked")).scalar_one()
        assert locks == 1
        session.execute(update(User).values(locked_until=datetime.now(UTC) - timedelta(seconds=1)))
        session.commit()
    assert attempt(PASSWORD)[0] == 303  # the lock has run out
    client.post("/signout", data={"csrf_token": csrf_of(client.get("/week").text)})
    for _ in range(5):
        attempt("wrong again")
    assert "locked for" in attempt(PASSWORD)[1]
    unlocked = cli_run("user", "passwd", WRITER, "--password-stdin", input="a fresh password\n")
    assert unlocked.exit_code == 0
    assert attempt("a fresh password")[0] == 303  # a new password unlocks it at once


def test_disabling_someone_or_a_new_password_ends_their_sessions(
    writer: tuple[TestClient, str], cli_run: Callable[..., Result]
) -> None:
    client, _token = writer
    assert client.get("/week").status_code == 200
    assert cli_run("user", "disable", WRITER, "--by", MANAGER).exit_code == 0
    assert client.get("/week", follow_redirects=False).headers["location"].startswith("/signin")
    token = csrf_of(client.get("/signin").text)
    form = {"name": WRITER, "password": PASSWORD, "csrf_token": token}
    assert "This account is disabled" in client.post("/signin", data=form, headers={"Accept-Language": "en"}).text
    assert cli_run("user", "enable", WRITER, "--by", MANAGER).exit_code == 0
    sign_in(client, WRITER)
    assert cli_run("user", "passwd", WRITER, "--password-stdin", input="a new password\n").exit_code == 0
    assert client.get("/week", follow_redirects=False).status_code == 303
    sign_in(client, WRITER, "a new password")


@SQLITE_ONLY
def test_a_session_ends_twelve_hours_after_signing_in_however_busy_the_page(
    manager: tuple[TestClient, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    client, _token = manager
    signed_in_at = time.time()
    monkeypatch.setattr(time, "time", lambda: signed_in_at + 11 * 3600)
    assert client.get(f"/week/changes?week={WEEK}", headers=HTMX).status_code == 200  # renews the cookie
    monkeypatch.setattr(time, "time", lambda: signed_in_at + 12 * 3600 + 60)  # the cookie is an hour old
    assert client.get("/week", follow_redirects=False).headers["location"].startswith("/signin")


@SQLITE_ONLY
def test_the_session_cookie_is_signed_httponly_and_samesite(shop: Shop, engine_of_shop: Engine) -> None:
    plain = client_for(shop, engine_of_shop)
    cookie = plain.get("/signin").headers["set-cookie"]
    assert "httponly" in cookie.lower() and "samesite=lax" in cookie.lower() and "secure" not in cookie.lower()
    secure = client_for(shop, engine_of_shop, secure_cookies=True)
    assert "secure" in secure.get("/signin").headers["set-cookie"].lower()
    tampered = client_for(shop, engine_of_shop)
    tampered.cookies.set("delight_session", cookie.split(";")[0].split("=", 1)[1][:-4] + "AAAA")
    assert tampered.get("/week", follow_redirects=False).status_code == 303


@SQLITE_ONLY
def test_pages_come_with_a_strict_content_security_policy(manager: tuple[TestClient, str]) -> None:
    client, _token = manager
    headers = client.get("/week").headers
    assert "script-src 'self';" in headers["content-security-policy"]
    assert "frame-ancestors 'none'" in headers["content-security-policy"]
    assert headers["x-content-type-options"] == "nosniff" and headers["cache-control"] == "no-store"


# --- Roles and CSRF -----------------------------------------------------------------------------


@SQLITE_ONLY
def test_a_writer_is_refused_every_manager_page(writer: tuple[TestClient, str]) -> None:
    client, token = writer
    for path in ("/plan", "/listen", "/report", "/report.pdf"):
        response = client.get(path, headers={"Accept-Language": "en"})
        assert response.status_code == 403, path
        assert "Only a manager may open this page." in response.text
    for path in ("/plan/preview", "/plan/store", "/listen/check", "/listen/1/reply", "/listen/1/resolve"):
        assert client.post(path, data={"csrf_token": token, "week": WEEK, "seed": "1"}).status_code == 403, path
    assert client.get("/week").status_code == 200 and client.get("/print").status_code == 200


@SQLITE_ONLY
def test_a_form_without_its_csrf_token_is_refused_and_changes_nothing(
    manager: tuple[TestClient, str], engine_of_shop: Engine
) -> None:
    client, token = manager
    gesture_id = planned_ids(engine_of_shop)[0]
    form = {"week": WEEK, "return_to": "/week"}
    for bad in ({}, {"csrf_token": "forged"}, {"csrf_token": token[:-1]}):
        response = client.post(f"/gestures/{gesture_id}/sent", data={**form, **bad}, headers={"Accept-Language": "en"})
        assert response.status_code == 403
        assert "This form has expired" in response.text
    forged = client.post(f"/gestures/{gesture_id}/sent", data=form, headers={**HTMX, "X-CSRF-Token": "forged"})
    assert forged.status_code == 403 and forged.headers["HX-Retarget"] == "#flash"
    assert client.post("/signout", data={}).status_code == 403
    assert status_of(engine_of_shop, gesture_id).status == "planned"
    ok = client.post(f"/gestures/{gesture_id}/sent", data=form, headers={**HTMX, "X-CSRF-Token": token})
    assert ok.status_code == 200 and status_of(engine_of_shop, gesture_id).status == "sent"


@SQLITE_ONLY
def test_signing_in_needs_the_sign_in_pages_csrf_token_too(client: TestClient) -> None:
    response = client.post("/signin", data={"name": MANAGER, "password": PASSWORD}, follow_redirects=False)
    assert response.status_code == 403


# --- This week ----------------------------------------------------------------------------------


def rows_on(page: str) -> list[int]:
    return [int(found) for found in re.findall(r'<tr id="g-(\d+)"', page)]


def test_the_week_filters_by_writer_kind_status_and_finds_customers(
    manager: tuple[TestClient, str], writer: tuple[TestClient, str], engine_of_shop: Engine, shop: Shop
) -> None:
    client, _token = manager
    everyone = rows_on(client.get(f"/week?week={WEEK}").text)
    assert sorted(everyone) == planned_ids(engine_of_shop)  # nothing logged yet; held-out not listed
    toms = rows_on(client.get(f"/week?week={WEEK}&writer={WRITER}").text)
    assert toms and sorted(toms) == planned_ids(engine_of_shop, writer=WRITER)
    assert sorted(rows_on(writer[0].get(f"/week?week={WEEK}").text)) == sorted(toms)  # a writer sees their stack
    assert sorted(rows_on(writer[0].get(f"/week?week={WEEK}&writer=*").text)) == sorted(everyone)  # or everyone's
    notes = rows_on(client.get(f"/week?week={WEEK}&kind=handwritten_note").text)
    assert notes and all(status_of(engine_of_shop, g).kind == "handwritten_note" for g in notes)
    # A call's row carries the phone number to call; other rows none.
    page = client.get(f"/week?week={WEEK}&writer=*").text
    calls = rows_on(client.get(f"/week?week={WEEK}&kind=recovery_call").text)
    assert calls
    for gesture_id in (*calls, notes[0]):
        phone = customer_of(engine_of_shop, gesture_id).phone
        row = re.search(rf'<tr id="g-{gesture_id}".*?</tr>', page, flags=re.S)
        assert phone and row and (phone in row.group(0)) == (gesture_id in calls), gesture_id
    held_out = rows_on(client.get(f"/week?week={WEEK}&status=held_out").text)
    assert held_out and all(status_of(engine_of_shop, g).status == "held_out" for g in held_out)
    someone = customer_of(engine_of_shop, everyone[0])
    assert someone.name and someone.email
    for query in (someone.external_id, someone.name[1:], someone.email.upper()):
        found = rows_on(client.get("/week", params={"week": WEEK, "q": query}).text)
        assert everyone[0] in found, query
    assert rows_on(client.get("/week", params={"week": WEEK, "q": "%"}).text) == []  # LIKE wildcards are text
    bad = client.get("/week?week=2026-W99", headers={"Accept-Language": "en"})
    assert bad.status_code == 400 and "2026-W99" in bad.text
    capped = worklist.worklist(engine_of_shop, worklist.WorkFilter(WEEK, worklist.EVERYONE, most=3), shop.rules_path)
    assert [row.gesture_id for row in capped.rows] == everyone[:3] and capped.matching == len(everyone)


def test_ticking_logs_in_the_signed_in_persons_name_and_the_cli_sees_it(
    manager: tuple[TestClient, str], engine_of_shop: Engine, cli_run: Callable[..., Result]
) -> None:
    client, token = manager
    gesture_id = planned_ids(engine_of_shop)[0]
    response = client.post(
        f"/gestures/{gesture_id}/sent",
        data={"csrf_token": token, "week": WEEK, "note": "예쁘게 썼어요"},
        headers={**HTMX, "Accept-Language": "ko"},
    )
    assert response.status_code == 200
    assert f'<tr id="g-{gesture_id}" class="row-sent" hx-swap-oob="true">' in response.text
    assert "1건을 기록했어요." in response.text and "예쁘게 썼어요" in response.text
    history = cli_run("log", "history", str(gesture_id))
    assert re.search(rf"{MANAGER}\s+sent\s+sent at .*; note: 예쁘게 썼어요", history.output), history.output
    listed = json.loads(cli_run("list", "--week", WEEK, "--format", "json").output)
    assert {item["gesture_id"]: item["status"] for item in listed}[gesture_id] == "sent"


def test_what_the_cli_logs_appears_on_the_page_without_a_reload(
    manager: tuple[TestClient, str], engine_of_shop: Engine, cli_run: Callable[..., Result]
) -> None:
    client, _token = manager
    page = client.get(f"/week?week={WEEK}").text
    watermark = re.search(r"watermark=(\d+)", page).group(1)  # type: ignore[union-attr]
    first, second = planned_ids(engine_of_shop)[:2]
    assert cli_run("log", "skipped", str(first), "--by", "지수", "--note", "다음 주에").exit_code == 0
    changes = client.get(f"/week/changes?week={WEEK}&watermark={watermark}", headers=HTMX).text
    assert f'<tr id="g-{first}" class="row-skipped" hx-swap-oob="true">' in changes
    assert f'id="g-{second}"' not in changes and "다음 주에" in changes
    assert 'id="counts"' in changes and 'hx-get="/week/changes?week=2026-W49&amp;watermark=' in changes


def test_a_selection_with_a_note_then_undo(manager: tuple[TestClient, str], engine_of_shop: Engine) -> None:
    client, token = manager
    first, second = planned_ids(engine_of_shop)[:2]
    response = client.post(
        "/week/log/failed",
        data={"csrf_token": token, "week": WEEK, "ids": [first, second], "note": "주소 불명"},
        headers=HTMX,
    )
    assert response.status_code == 200 and response.text.count("row-failed") == 2
    assert [status_of(engine_of_shop, g).note for g in (first, second)] == ["주소 불명", "주소 불명"]
    undone = client.post(f"/gestures/{first}/undo", data={"csrf_token": token, "week": WEEK}, headers=HTMX)
    assert undone.status_code == 200 and f'<tr id="g-{first}" class="row-planned"' in undone.text
    assert gesture_events(engine_of_shop, first) == [(MANAGER, "failed"), (MANAGER, "undo")]
    again = client.post(f"/gestures/{first}/undo", data={"csrf_token": token, "week": WEEK}, headers=HTMX)
    assert "is planned, not logged: there is nothing to undo" in again.text
    nothing = client.post("/week/log/sent", data={"csrf_token": token, "week": WEEK}, headers=HTMX)
    assert "nothing selected" in nothing.text


def test_a_selection_with_one_gesture_that_cannot_be_logged_logs_none(
    manager: tuple[TestClient, str], engine_of_shop: Engine
) -> None:
    client, token = manager
    first, second = planned_ids(engine_of_shop)[:2]
    client.post(f"/gestures/{second}/sent", data={"csrf_token": token, "week": WEEK}, headers=HTMX)
    response = client.post(
        "/week/log/failed",
        data={"csrf_token": token, "week": WEEK, "ids": [first, second]},
        headers={**HTMX, "Accept-Language": "en"},
    )
    assert response.status_code == 200
    assert "nothing was logged: 1 of 2 gestures cannot be logged as failed" in response.text
    assert f'<tr id="g-{first}" class="row-planned"' in response.text
    assert f'<tr id="g-{second}" class="row-sent"' in response.text
    assert status_of(engine_of_shop, first).status == "planned" and gesture_events(engine_of_shop, first) == []


@SQLITE_ONLY
def test_without_javascript_a_tick_is_a_form_post_and_back(
    manager: tuple[TestClient, str], engine_of_shop: Engine
) -> None:
    client, token = manager
    gesture_id = planned_ids(engine_of_shop)[0]
    form = {"csrf_token": token, "week": WEEK, "return_to": f"/week?week={WEEK}&writer=*"}
    english = {"Accept-Language": "en"}
    response = client.post(f"/gestures/{gesture_id}/skipped", data=form, headers=english, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == f"/week?week={WEEK}&writer=*"
    page = client.get(response.headers["location"], headers=english).text
    assert '<p class="flash ok">Logged 1.</p>' in page
    assert status_of(engine_of_shop, gesture_id).status == "skipped"


def test_two_people_ticking_the_same_row_log_it_once(
    manager: tuple[TestClient, str], writer: tuple[TestClient, str], engine_of_shop: Engine
) -> None:
    gesture_id = planned_ids(engine_of_shop)[0]
    first = manager[0].post(f"/gestures/{gesture_id}/sent", data={"csrf_token": manager[1], "week": WEEK}, headers=HTMX)
    second = writer[0].post(
        f"/gestures/{gesture_id}/sent",
        data={"csrf_token": writer[1], "week": WEEK},
        headers={**HTMX, "Accept-Language": "en"},
    )
    assert first.status_code == second.status_code == 200
    assert f"Gesture {gesture_id} was already logged as Sent by {MANAGER}" in second.text
    assert gesture_events(engine_of_shop, gesture_id) == [(MANAGER, "sent")]
    other = writer[0].post(f"/gestures/{gesture_id}/failed", data={"csrf_token": writer[1], "week": WEEK}, headers=HTMX)
    assert "already logged as sent, so it cannot be failed" in other.text
    assert status_of(engine_of_shop, gesture_id).status == "sent"


def test_a_writer_takes_over_a_colleagues_planned_gestures(
    writer: tuple[TestClient, str], engine_of_shop: Engine
) -> None:
    client, token = writer
    hers = planned_ids(engine_of_shop, writer=MANAGER)[:2]
    response = client.post("/week/log/take-over", data={"csrf_token": token, "week": WEEK, "ids": hers}, headers=HTMX)
    assert response.status_code == 200
    assert [status_of(engine_of_shop, g).writer for g in hers] == [WRITER, WRITER]
    assert gesture_events(engine_of_shop, hers[0]) == [(WRITER, "take over")]
    assert set(hers) <= set(rows_on(client.get(f"/week?week={WEEK}").text))


@SQLITE_ONLY
def test_a_customers_page_says_what_explain_says_with_their_orders_feedback_and_history(
    manager: tuple[TestClient, str], engine_of_shop: Engine, cli_run: Callable[..., Result], shop: Shop
) -> None:
    client, token = manager
    gesture_id = planned_ids(engine_of_shop)[0]  # its customer has the complaint
    customer = customer_of(engine_of_shop, gesture_id)
    client.post(f"/gestures/{gesture_id}/sent", data={"csrf_token": token, "week": WEEK}, headers=HTMX)
    page = client.get(f"/customers/{customer.external_id}?week={WEEK}", headers={"Accept-Language": "en"})
    assert page.status_code == 200
    explained = cli_run("explain", customer.external_id, "--week", WEEK, "--rules", str(shop.rules_path)).output
    for name, value in re.findall(r"^(\w+)\s{2,}(.+?)\s*$", explained, flags=re.M)[2:]:
        assert f'<th scope="row">{name}</th><td>{value}</td>' in page.text.replace("&#39;", "'"), name
    for rule in re.findall(r"^\s+(?:matched|-)\s+(.+?) → ", explained, flags=re.M):
        assert rule in page.text
    assert COMPLAINT in page.text and "Orders (" in page.text and f"gesture {gesture_id}" in page.text
    assert client.get("/customers/NOBODY", headers={"Accept-Language": "en"}).status_code == 404


# --- Print, plan, listen, report ----------------------------------------------------------------


def pdf_text(data: bytes) -> tuple[int, str]:
    reader = PdfReader(BytesIO(data))
    return len(reader.pages), "\n".join(page.extract_text() for page in reader.pages)


@SQLITE_ONLY
def test_print_a_writers_cards_and_each_stacks_printouts(
    manager: tuple[TestClient, str], shop: Shop, engine_of_shop: Engine
) -> None:
    client, _token = manager
    page = client.get(f"/print?week={WEEK}").text
    assert f"/print/cards?week={WEEK}&amp;writer={WRITER}" in page
    response = client.get(f"/print/cards?week={WEEK}&writer={WRITER}")
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["content-disposition"] == f"attachment; filename*=UTF-8''cards-{WEEK}-{WRITER}.pdf"
    pages, text = pdf_text(response.content)
    with Session(engine_of_shop) as session:
        toms = session.execute(
            select(Customer.name)
            .join(Gesture, Gesture.customer_id == Customer.id)
            .where(Gesture.week == WEEK, Gesture.status == "planned", Gesture.writer == WRITER)
            .where(Gesture.kind.in_(printing.physical_kinds(load_rules(shop.rules_path))))
        ).scalars()
        names = list(toms)
    assert names and pages == len(names)  # one A6 card a page, only Tom's
    for name in names:
        assert name[1:] in text  # the greeting uses the first name
    # Each stack offers what it can print, and only that: every other printout has nothing to print.
    _week, stacks = printing.stacks(engine_of_shop, WEEK, shop.rules_path)
    assert [stack.writer for stack in stacks] == [None, WRITER, MANAGER]
    assert stacks[0].printouts == printing.PRINTOUTS
    for stack in stacks:
        query = f"?week={WEEK}" + (f"&writer={quote(stack.writer, safe='')}" if stack.writer else "")
        for document in printing.PRINTOUTS:
            response = client.get(f"/print/{document}{query}", headers={"Accept-Language": "en"})
            if document in stack.printouts:
                assert response.status_code == 200 and pdf_text(response.content)[0] >= 1, (stack, document)
                assert f"/print/{document}{query.replace('&', '&amp;')}" in page
            else:
                assert response.status_code == 404 and "nothing to print" in response.text, (stack, document)
    nothing = client.get(f"/print/cards?week={NEXT_WEEK}", headers={"Accept-Language": "en"})
    assert nothing.status_code == 404 and "nothing to print" in nothing.text


def gesture_count(engine: Engine, week: str) -> int:
    with Session(engine) as session:
        return session.execute(select(func.count()).where(Gesture.week == week)).scalar_one()


def test_a_plan_preview_stores_nothing_and_storing_gives_exactly_the_preview(
    manager: tuple[TestClient, str], engine_of_shop: Engine
) -> None:
    client, token = manager
    with Session(engine_of_shop) as session:
        runs = session.execute(select(func.count()).select_from(PlanRun)).scalar_one()
    form = {"csrf_token": token, "week": NEXT_WEEK, "budget": "200,000", "seed": ""}
    preview = client.post("/plan/preview", data=form, headers={"Accept-Language": "en"})
    assert preview.status_code == 200 and "What each constraint removed" in preview.text
    assert "₩200,000" in preview.text and "Cooldown" in preview.text
    assert gesture_count(engine_of_shop, NEXT_WEEK) == 0
    with Session(engine_of_shop) as session:
        assert session.execute(select(func.count()).select_from(PlanRun)).scalar_one() == runs
    seed = re.search(r'name="seed" value="(\d+)"', preview.text).group(1)  # type: ignore[union-attr]
    shown = re.findall(r'<th scope="row">[^<]*<span class="muted">([^<]+)</span>', preview.text)
    stored = client.post(
        "/plan/store",
        data={"csrf_token": token, "week": NEXT_WEEK, "budget": "200000", "seed": seed},
        headers={"Accept-Language": "en"},
    )
    assert stored.status_code == 200 and "Stored the plan for 2026-W50" in stored.text
    with Session(engine_of_shop) as session:
        planned = session.execute(
            select(Customer.external_id)
            .join(Gesture, Gesture.customer_id == Customer.id)
            .where(Gesture.week == NEXT_WEEK, Gesture.status == "planned")
        ).scalars()
        assert sorted(planned) == sorted(shown)


def test_planning_a_planned_week_keeps_it_and_a_redraw_must_be_confirmed(
    manager: tuple[TestClient, str], engine_of_shop: Engine
) -> None:
    client, token = manager
    before = planned_ids(engine_of_shop)
    page = client.get(f"/plan?week={WEEK}", headers={"Accept-Language": "en"}).text
    assert "This week is planned: planning again keeps every planned gesture" in page
    keep = {"csrf_token": token, "week": WEEK, "budget": "300000", "seed": "5"}
    preview = client.post("/plan/preview", data=keep, headers={"Accept-Language": "en"}).text
    assert f"{len(before)} gestures already planned stay as they are." in preview
    client.post("/plan/store", data=keep)
    assert set(before) <= set(planned_ids(engine_of_shop))
    redraw = {**keep, "replace": "true"}
    preview = client.post("/plan/preview", data=redraw, headers={"Accept-Language": "en"}).text
    assert "Yes, cancel the" in preview and 'name="confirm"' in preview
    refused = client.post("/plan/store", data=redraw, headers={"Accept-Language": "en"})
    assert refused.status_code == 400 and "tick the box to confirm" in refused.text
    assert set(before) <= set(planned_ids(engine_of_shop))
    client.post("/plan/store", data={**redraw, "confirm": "true"})
    assert not set(before) & set(planned_ids(engine_of_shop))
    bad = client.post("/plan/preview", data={**keep, "budget": "lots"}, headers={"Accept-Language": "en"})
    assert bad.status_code == 400 and "&#34;lots&#34; is not an amount" in bad.text


def test_the_inbox_puts_overdue_first_and_replies_go_through_the_tone_check(
    manager: tuple[TestClient, str], engine_of_shop: Engine, shop: Shop, cli_run: Callable[..., Result]
) -> None:
    client, token = manager
    inbox = client.get("/listen", headers={"Accept-Language": "en"}).text
    articles = re.findall(r'<article class="feedback (\w+)" id="f-(\d+)">', inbox)
    assert articles[0] == ("overdue", str(shop.complaint_id)) and len(articles) > 1
    stiff = "고객님의 문의는 접수되었습니다. 처리 후 안내드리겠습니다."
    english = {**HTMX, "Accept-Language": "en"}
    check = client.post("/listen/check", data={"csrf_token": token, "text": stiff}, headers=english).text
    assert "reads like a bureaucracy" in check and "Try:" in check
    reply = f"/listen/{shop.complaint_id}/reply"
    held = client.post(reply, data={"csrf_token": token, "text": stiff}, headers=english)
    assert held.status_code == 200 and 'class="tone blocking"' in held.text and 'name="anyway"' in held.text
    assert stiff in held.text  # the draft is kept to rewrite
    with Session(engine_of_shop) as session:
        assert session.get(Feedback, shop.complaint_id).reply is None  # type: ignore[union-attr]
    warm = "지민님, 포장이 찢어져 와서 정말 속상하셨겠어요. 오늘 새로 보내 드릴게요."
    done = client.post(reply, data={"csrf_token": token, "text": warm}, headers=HTMX)
    assert done.status_code == 200 and warm in done.text
    listed = json.loads(cli_run("feedback", "list", "--format", "json").output)
    replied = next(item for item in listed if item["feedback_id"] == shop.complaint_id)
    assert (replied["reply"], replied["replied_by"], replied["status"]) == (warm, MANAGER, "open")
    resolved = client.post(f"/listen/{shop.complaint_id}/resolve", data={"csrf_token": token}, headers=HTMX)
    assert 'class="feedback resolved"' in resolved.text
    anyway = client.post(
        f"/listen/{articles[1][1]}/reply", data={"csrf_token": token, "text": stiff, "anyway": "true"}, headers=english
    )
    assert anyway.status_code == 200 and "reads like a bureaucracy" in anyway.text  # recorded, flags still shown


@SQLITE_ONLY
def test_the_report_page_and_its_pdf(manager: tuple[TestClient, str]) -> None:
    client, _token = manager
    page = client.get("/report?until=2026-12-31", headers={"Accept-Language": "en"})
    assert page.status_code == 200 and "Did it work?" in page.text
    assert "<svg" in page.text and "Gestures per week" in page.text and "Spend by week" in page.text
    assert 'href="/report.pdf?until=2026-12-31"' in page.text
    pdf = client.get("/report.pdf?until=2026-12-31")
    assert pdf.headers["content-type"] == "application/pdf" and "Did it work?" in pdf_text(pdf.content)[1]
    assert client.get("/report?until=someday").status_code == 400


# --- The JSON API -------------------------------------------------------------------------------


def test_the_api_lists_a_week_logs_and_lists_feedback_with_personal_tokens(
    shop: Shop, client: TestClient, engine_of_shop: Engine, cli_run: Callable[..., Result]
) -> None:
    made = cli_run("user", "token", MANAGER, "--label", "nightly")
    assert made.exit_code == 0
    token = made.stdout.strip()
    assert token.startswith("dlt_")
    auth = {"Authorization": f"Bearer {token}"}
    week = client.get(f"/api/gestures?week={WEEK}", headers=auth).json()
    assert week["week"] == WEEK and sorted(g["gesture_id"] for g in week["gestures"]) == planned_ids(engine_of_shop)
    first, second = planned_ids(engine_of_shop)[:2]
    logged = client.post("/api/gestures/log", headers=auth, json={"status": "sent", "gesture_ids": [first]})
    assert logged.json() == {"logged": {"sent": 1}, "already": []}
    again = client.post("/api/gestures/log", headers=auth, json={"status": "sent", "gesture_ids": [first]}).json()
    assert again["logged"] == {} and again["already"][0]["by"] == MANAGER
    rejected = client.post("/api/gestures/log", headers=auth, json={"status": "sent", "gesture_ids": [second, 99999]})
    assert rejected.status_code == 409 and "gesture 99999 does not exist" in rejected.json()["problems"][0]
    assert status_of(engine_of_shop, second).status == "planned"  # all or none
    assert (
        client.post("/api/gestures/log", headers=auth, json={"status": "lost", "gesture_ids": [1]}).status_code == 422
    )
    assert client.post(f"/api/gestures/{first}/undo", headers=auth).json() == {
        "gesture_id": first,
        "was": "sent",
        "now": "planned",
    }
    assert gesture_events(engine_of_shop, first) == [(MANAGER, "sent"), (MANAGER, "undo")]
    feedback = client.get("/api/feedback?open=true", headers=auth).json()
    assert any(item["feedback_id"] == shop.complaint_id and item["overdue"] for item in feedback)
    writers = cli_run("user", "token", WRITER).stdout.strip()
    assert client.get("/api/feedback", headers={"Authorization": f"Bearer {writers}"}).status_code == 403
    assert client.get("/api/gestures", headers={"Authorization": f"Bearer {writers}"}).status_code == 200
    assert cli_run("user", "token", MANAGER, "--revoke").exit_code == 0
    assert client.get("/api/gestures", headers=auth).status_code == 401
    assert client.get("/api/gestures", headers={"Authorization": "Bearer dlt_guess"}).status_code == 401


@SQLITE_ONLY
def test_the_api_is_documented_for_people_signed_in(manager: tuple[TestClient, str]) -> None:
    client, _token = manager
    schema = client.get("/api/openapi.json").json()
    assert set(schema["paths"]) == {
        "/api/gestures",
        "/api/gestures/log",
        "/api/gestures/{gesture_id}/undo",
        "/api/feedback",
    }
    assert "HTTPBearer" in schema["components"]["securitySchemes"]
    docs = client.get("/api/docs")
    assert docs.status_code == 200 and "swagger" in docs.text.lower() and "/api/openapi.json" in docs.text


# --- Customer text is text ----------------------------------------------------------------------

SCRIPT = "<script>alert(1)</script>"
FORMULA = '=HYPERLINK("https://evil.example","click")'


@SQLITE_ONLY
def test_customer_names_and_words_are_shown_as_text_everywhere(
    manager: tuple[TestClient, str], engine_of_shop: Engine, shop: Shop
) -> None:
    client, token = manager
    with Session(engine_of_shop) as session, session.begin():
        ids = list(session.scalars(select(Customer.id).order_by(Customer.id)))
        for index, customer_id in enumerate(ids):
            hostile = SCRIPT if index % 2 == 0 else FORMULA
            session.execute(update(Customer).where(Customer.id == customer_id).values(name=hostile, first_name=hostile))
        session.execute(update(Feedback).where(Feedback.id == shop.complaint_id).values(text=SCRIPT + FORMULA))
        session.execute(update(Gesture).where(Gesture.week == WEEK).values(note=SCRIPT, reason=SCRIPT + FORMULA))
    gesture_id = planned_ids(engine_of_shop)[0]
    customer = customer_of(engine_of_shop, gesture_id)
    preview = client.post("/plan/preview", data={"csrf_token": token, "week": NEXT_WEEK, "budget": "300000"}).text
    pages = [
        client.get(f"/week?week={WEEK}").text,
        client.get(f"/week?week={WEEK}&q=script").text,
        client.get(f"/customers/{customer.external_id}?week={WEEK}").text,
        client.get("/listen").text,
        client.post(f"/gestures/{gesture_id}/sent", data={"csrf_token": token, "week": WEEK}, headers=HTMX).text,
        client.get(f"/week/changes?week={WEEK}&watermark=0", headers=HTMX).text,
        preview,
    ]
    for page in pages:
        assert "<script>alert" not in page
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "=HYPERLINK(&#34;https://evil.example&#34;,&#34;click&#34;)" in pages[0]
    assert "<script" not in pages[0].replace('<script src="/static/htmx.min.js" defer></script>', "").replace(
        '<script src="/static/desk.js" defer></script>', ""
    )
    cards = client.get(f"/print/cards?week={WEEK}").content
    assert "<script>alert(1)</script>" in pdf_text(cards)[1]  # in a PDF it is only text, drawn as it is


# --- Languages ----------------------------------------------------------------------------------


@SQLITE_ONLY
def test_korean_or_english_from_the_setting_else_the_browser(
    manager: tuple[TestClient, str], client: TestClient
) -> None:
    signin = client.get("/signin?lang=ko", headers={"Accept-Language": "en"}).text
    assert '<html lang="ko">' in signin and "로그인" in signin
    assert '<html lang="en">' in client.get("/signin", headers={"Accept-Language": "en"}).text
    client, token = manager
    korean = client.get(f"/week?week={WEEK}", headers={"Accept-Language": "ko-KR,ko;q=0.9,en;q=0.8"}).text
    assert '<html lang="ko">' in korean and ">보냄</button>" in korean and ">건너뜀</button>" in korean
    assert ">실패</button>" in korean
    english = client.get(f"/week?week={WEEK}", headers={"Accept-Language": "en-US,en;q=0.9,ko;q=0.5"}).text
    assert '<html lang="en">' in english and ">Sent</button>" in english and ">Failed</button>" in english
    client.post("/language", data={"csrf_token": token, "language": "en", "next": "/week"})
    assert '<html lang="en">' in client.get("/week", headers={"Accept-Language": "ko"}).text
    bad = client.post("/language", data={"csrf_token": token, "language": "fr"}, headers={"Accept-Language": "en"})
    assert bad.status_code == 400


def test_choosing_a_language() -> None:
    assert i18n.choose_language(None, "ko-KR,ko;q=0.9,en-US;q=0.8", "en") == "ko"
    assert i18n.choose_language(None, "fr-FR, en;q=0.5, ko;q=0.7", "en") == "ko"
    assert i18n.choose_language(None, "fr, de", "ko") == "ko"
    assert i18n.choose_language("en", "ko", "ko") == "en"
    assert i18n.choose_language(None, "ko;q=0, en;q=0.1", "ko") == "en"


def test_every_constraint_the_planner_names_has_words_in_both_languages() -> None:
    names = [
        plan.DO_NOT_CONTACT, plan.ERASED, plan.THIS_WEEK, plan.LISTENING, plan.COOLDOWN, plan.MAX_PER_YEAR,
        plan.NO_ADDRESS, plan.SAME_KIND, plan.NO_RECOVERY_KIND, plan.BUDGET, plan.NO_WRITER, plan.NO_GIFTS_LEFT,
        plan.NO_GIFT_FOR_THEM, plan.HOLDOUT,
    ]  # fmt: skip
    for language in ("ko", "en"):
        words = i18n.Words(language, "Asia/Seoul")
        assert all(words.constraint(name) != name for name in names), language
    assert i18n.Words("ko", "Asia/Seoul").constraint(f"{plan.CAPACITY}: small_gift") == "주간 수용량: 작은 선물"
    assert i18n.Words("en", "Asia/Seoul").constraint(f"{plan.CAPACITY}: small_gift") == "Capacity: Small gift"


def test_both_languages_have_every_word_the_templates_use() -> None:
    english, korean = i18n.catalogue("en"), i18n.catalogue("ko")
    assert set(english) == set(korean)
    used = set()
    for template in (Path(i18n.__file__).parent / "templates").glob("*.html"):
        used |= set(re.findall(r"""\bt\(\s*["']([\w.-]+)["']""", template.read_text(encoding="utf-8")))
    exact = {key for key in used if not key.endswith((".", "_"))}
    assert exact and exact <= set(english), exact - set(english)
    for prefix in used - exact:  # t("nav." ~ name): one of a group of words
        assert any(key.startswith(prefix) for key in english), prefix


def test_htmx_is_the_pinned_file_from_npm_with_its_licence() -> None:
    static = Path(i18n.__file__).parent / "static"
    vendor = (static / "VENDOR.txt").read_text(encoding="utf-8")
    digest = hashlib.sha256((static / "htmx.min.js").read_bytes()).hexdigest()
    assert f"htmx.min.js sha256 {digest}" in vendor and "htmx.org@2.0.11" in vendor
    assert "Zero-Clause BSD" in (static / "htmx-LICENSE.txt").read_text(encoding="utf-8")


# --- Many people at once ------------------------------------------------------------------------

WORKERS = 8
EACH = 20
OVERLAP = 8


def test_eight_people_logging_the_same_gestures_at_once_log_each_once(
    shop: Shop, engine_of_shop: Engine, cli_run: Callable[..., Result]
) -> None:
    week = "2026-W51"
    with Session(engine_of_shop) as session, session.begin():
        customer_ids = list(session.scalars(select(Customer.id).order_by(Customer.id).limit(100)))
        gestures = [
            Gesture(customer_id=customer_ids[n % 100], week=week, kind="cheer_message", currency="KRW")
            for n in range(WORKERS * EACH)
        ]
        session.add_all(gestures)
        session.flush()
        ids = [g.id for g in gestures]
    for worker in range(WORKERS):
        assert (
            cli_run("user", "add", f"w{worker}", "--role", "writer", "--password-stdin", input=PASSWORD).exit_code == 0
        )
    blocks = [ids[w * EACH : (w + 1) * EACH] for w in range(WORKERS)]
    lists = [blocks[w] + blocks[(w + 1) % WORKERS][:OVERLAP] for w in range(WORKERS)]
    clients = []
    for worker in range(WORKERS):
        signed = client_for(shop, engine_of_shop)
        clients.append((signed, sign_in(signed, f"w{worker}")))
    answers: list[list[tuple[int, str]]] = [[] for _ in range(WORKERS)]
    start = threading.Barrier(WORKERS)

    def work(worker: int) -> None:
        signed, token = clients[worker]
        start.wait()
        for index in range(0, len(lists[worker]), 4):
            batch = lists[worker][index : index + 4]
            response = signed.post(
                "/week/log/sent",
                data={"csrf_token": token, "week": week, "ids": batch},
                headers={**HTMX, "Accept-Language": "en"},
            )
            answers[worker].append((response.status_code, response.text))

    threads = [threading.Thread(target=work, args=(worker,)) for worker in range(WORKERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    texts = [text for per_worker in answers for status, text in per_worker if status == 200]
    assert len(texts) == sum(len(per_worker) for per_worker in answers)
    assert not any('class="flash problem"' in text for text in texts)
    logged = sum(int(found) for text in texts for found in re.findall(r"Logged (\d+)\.", text))
    already = sum(text.count("was already logged as Sent by w") for text in texts)
    assert logged == len(ids) and already == WORKERS * OVERLAP
    with Session(engine_of_shop) as session:
        statuses = dict(
            session.execute(
                select(Gesture.status, func.count()).where(Gesture.week == week).group_by(Gesture.status)
            ).all()
        )
        assert statuses == {"sent": len(ids)}
        events = session.execute(
            select(AuditEvent.entity_id, AuditEvent.actor).where(
                AuditEvent.entity == "gesture", AuditEvent.action == "sent", AuditEvent.entity_id.in_(ids)
            )
        ).all()
        sent_by = dict(session.execute(select(Gesture.id, Gesture.sent_by).where(Gesture.week == week)).all())
    assert len(events) == len(ids) and {gesture_id for gesture_id, _ in events} == set(ids)
    assert all(sent_by[gesture_id] == actor for gesture_id, actor in events)
    for gesture_id in ids:
        could = {f"w{w}" for w in range(WORKERS) if gesture_id in lists[w]}
        assert sent_by[gesture_id] in could
