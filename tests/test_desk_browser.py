"""The desk in a real browser: Playwright driving Debian's Chromium against `delight serve`'s app.

One browser and one server for the whole session (the server runs uvicorn in a thread, on a free
port, over a copy of the planned shop on SQLite: what the store does is tested on PostgreSQL by
test_desk.py; here it is the pages, htmx and downloads). Install the browser with
`apt-get install chromium` (`bash .ci/run` does); without it these tests are skipped.
"""

from __future__ import annotations

import os
import re
import socket
import threading
import time
from collections.abc import Iterator
from io import BytesIO
from pathlib import Path

import pytest
from desk_helpers import COMPLAINT, MANAGER, NEXT_WEEK, PASSWORD, WEEK, WRITER, Shop
from pypdf import PdfReader
from sqlalchemy import Engine, select
from sqlmodel import Session

from db.engine import make_engine
from db.models import Customer, Feedback, Gesture
from planner.core.rules import load_rules
from planner.desk.app import create_app
from planner.desk.state import DeskSettings
from planner.services import printing

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--headless",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
if not CHROMIUM.exists():
    if os.environ.get("DELIGHT_REQUIRE_BROWSER"):  # CI: a missing browser is a failure, not a skip
        pytest.fail("Chromium is not installed: apt-get install chromium", pytrace=False)
    pytest.skip("Chromium is not installed: apt-get install chromium (bash .ci/run does)", allow_module_level=True)
playwright_api = pytest.importorskip("playwright.sync_api")
expect = playwright_api.expect
pytestmark = pytest.mark.usefixtures("quick_passwords")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="session")
def served(
    desk_golden: object, tmp_path_factory: pytest.TempPathFactory, quick_passwords: None
) -> Iterator[tuple[str, Shop, Engine]]:
    """`delight serve`'s app under uvicorn in a thread: its address, the shop, and an engine to look inside."""
    import uvicorn

    shop = desk_golden.copy("sqlite", tmp_path_factory.mktemp("desk-browser"))  # type: ignore[attr-defined]
    engine = make_engine(shop.url)
    app = create_app(engine, DeskSettings(rules_path=shop.rules_path))
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "the desk did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}", shop, engine
    server.should_exit = True
    thread.join(timeout=10)
    engine.dispose()


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    """One Chromium for the session (Debian's build; Playwright's own download is not reachable here).

    While it is open, Playwright's synchronous API leaves asyncio believing an event loop runs in
    the main thread: nothing else in the session may start one there (uvicorn runs in a thread here).
    """
    with playwright_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield launched
        launched.close()


def signed_in_page(browser: object, base: str, name: str, locale: str = "ko-KR") -> object:
    """A new browser context (its own cookies) with ``name`` signed in through the sign-in page."""
    context = browser.new_context(locale=locale, viewport={"width": 1280, "height": 900}, accept_downloads=True)  # type: ignore[attr-defined]
    page = context.new_page()
    page.goto(f"{base}/week?week={WEEK}")
    expect(page).to_have_url(re.compile(r"/signin\?next="))
    korean = locale.startswith("ko")
    page.get_by_label("이름" if korean else "Name").fill(name)
    page.get_by_label("비밀번호" if korean else "Password").fill(PASSWORD)
    page.get_by_role("button", name="로그인" if korean else "Sign in").click()
    expect(page).to_have_url(f"{base}/week?week={WEEK}")
    return page


def status_of(engine: Engine, gesture_id: int) -> tuple[str, str | None]:
    with Session(engine) as session:
        gesture = session.get(Gesture, gesture_id)
        assert gesture is not None
        return gesture.status, gesture.sent_by


def test_the_weekly_loop_in_a_browser(browser: object, served: tuple[str, Shop, Engine]) -> None:
    """Sign in, plan a week, tick three sent, undo one, download a writer's cards, reply to a complaint."""
    base, shop, engine = served
    page = signed_in_page(browser, base, MANAGER)

    # Plan next week: preview, then store exactly that.
    page.get_by_role("link", name="계획").click()
    page.get_by_label("주차").fill(NEXT_WEEK)
    page.get_by_role("button", name="보기", exact=True).click()
    page.get_by_label("예산 (KRW)").fill("250,000")
    page.get_by_role("button", name="미리 보기").click()
    expect(page.get_by_role("heading", name=f"{NEXT_WEEK} 주차 미리 보기")).to_be_visible()
    expect(page.get_by_text("제약 조건별로 빠진 고객")).to_be_visible()
    shown = page.locator("table.gestures tbody tr").count()
    assert shown > 0
    page.get_by_role("button", name="이 계획 저장").click()
    expect(page.locator(".flash.ok")).to_contain_text(f"{NEXT_WEEK} 주차 계획을 저장했어요")
    with Session(engine) as session:
        stored = session.execute(select(Gesture.id).where(Gesture.week == NEXT_WEEK, Gesture.status == "planned"))
        assert len(stored.all()) == shown

    # Tick three gestures sent, one by one; undo one.
    page.goto(f"{base}/week?week={WEEK}&writer=*")
    ticked = []
    for _ in range(3):
        ticked.append(int(page.locator("tbody tr.row-planned").first.get_attribute("id").removeprefix("g-")))
        row = page.locator(f"#g-{ticked[-1]}")
        row.get_by_role("button", name="보냄", exact=True).click()
        expect(row.locator(".badge")).to_have_text("보냄")
        # htmx gives a swapped row its old attributes for a moment (to let CSS transitions run): the
        # next planned row is the first one once this row's class says it was sent.
        expect(row).to_have_class(re.compile(r"\brow-sent\b"))
    expect(page.locator("#flash")).to_contain_text("1건을 기록했어요.")
    page.locator(f"#g-{ticked[0]}").get_by_role("button", name="되돌리기").click()
    expect(page.locator(f"#g-{ticked[0]} .badge")).to_have_text("예정")
    assert [status_of(engine, g) for g in ticked] == [("planned", None), ("sent", MANAGER), ("sent", MANAGER)]

    # Download Tom's cards and read them back.
    page.get_by_role("link", name="인쇄").click()
    with page.expect_download() as download:
        page.get_by_role("link", name=f"카드 · {WRITER}").click()
    assert download.value.suggested_filename == f"cards-{WEEK}-{WRITER}.pdf"
    reader = PdfReader(BytesIO(Path(download.value.path()).read_bytes()))
    with Session(engine) as session:
        names = session.execute(
            select(Customer.first_name)
            .join(Gesture, Gesture.customer_id == Customer.id)
            .where(Gesture.week == WEEK, Gesture.status == "planned", Gesture.writer == WRITER)
            .where(Gesture.kind.in_(printing.physical_kinds(load_rules(shop.rules_path))))
        ).scalars()
        first_names = list(names)
    assert len(reader.pages) == len(first_names) > 0
    text = "\n".join(card.extract_text() for card in reader.pages)
    assert all(first_name in text for first_name in first_names)

    # Reply to the complaint: the tone check holds back stiff words, then a warm reply is recorded.
    page.get_by_role("link", name="경청").click()
    complaint = page.locator(f"#f-{shop.complaint_id}")
    expect(complaint).to_contain_text(COMPLAINT)
    expect(complaint.locator(".badge").first).to_have_text("답변 지연")
    reply = complaint.get_by_label("보내는 그대로의 답변")
    reply.fill("고객님의 문의는 접수되었습니다. 처리 후 안내드리겠습니다.")
    expect(complaint.locator(".tone.blocking").first).to_be_visible(timeout=15_000)  # checked as it is typed
    with page.expect_response(lambda response: response.url.endswith(f"/listen/{shop.complaint_id}/reply")):
        complaint.get_by_role("button", name="답변 기록").click()  # held back: the same form comes back
    expect(page.locator(f"#f-{shop.complaint_id} .tone.blocking").first).to_be_visible()
    warm = "불편을 드려 정말 죄송해요. 오늘 새 상품을 다시 보내 드릴게요. 도착하면 꼭 알려 주세요."
    page.locator(f"#f-{shop.complaint_id}").get_by_label("보내는 그대로의 답변").fill(warm)
    page.locator(f"#f-{shop.complaint_id}").get_by_role("button", name="답변 기록").click()
    expect(page.locator(f"#f-{shop.complaint_id} .reply")).to_contain_text(warm, timeout=15_000)
    with Session(engine) as session:
        feedback = session.get(Feedback, shop.complaint_id)
        assert feedback is not None and (feedback.reply, feedback.replied_by) == (warm, MANAGER)
    page.context.close()


def test_what_a_colleague_logs_appears_without_a_reload(browser: object, served: tuple[str, Shop, Engine]) -> None:
    base, _shop, engine = served
    mine = signed_in_page(browser, base, MANAGER, locale="en-US")
    mine.goto(f"{base}/week?week={WEEK}&writer=*")
    theirs = signed_in_page(browser, base, WRITER, locale="en-US")
    row = theirs.locator("tbody tr.row-planned").first
    gesture_id = int(row.get_attribute("id").removeprefix("g-"))
    expect(mine.locator(f"#g-{gesture_id} .badge")).to_have_text("Planned")
    row.get_by_role("button", name="Skipped", exact=True).click()
    expect(theirs.locator(f"#g-{gesture_id} .badge")).to_have_text("Skipped")
    expect(mine.locator(f"#g-{gesture_id} .badge")).to_have_text("Skipped", timeout=10_000)  # polled, no reload
    assert status_of(engine, gesture_id)[0] == "skipped"
    mine.locator(f"#g-{gesture_id}").get_by_role("button", name="Undo").click()
    expect(mine.locator(f"#g-{gesture_id} .badge")).to_have_text("Planned")
    mine.context.close()
    theirs.context.close()


PAGES = [
    ("week", f"/week?week={WEEK}&writer=*"),
    ("customer", None),
    ("print", f"/print?week={WEEK}"),
    ("plan", f"/plan?week={WEEK}"),
    ("listen", "/listen"),
    ("report", "/report"),
]


def check_page(page: object, name: str, language: str, folder: str | None) -> None:
    """The page is in ``language``, in the desk's font, and no wider than a wide or a narrow window."""
    expect(page.locator("html")).to_have_attribute("lang", language)  # type: ignore[attr-defined]
    page.evaluate("document.fonts.ready")  # type: ignore[attr-defined]
    fonts = page.evaluate("[...document.fonts].filter(f => f.status === 'loaded').map(f => f.family)")  # type: ignore[attr-defined]
    assert any("Delight Gothic" in family for family in fonts), (name, fonts)
    for width in (760, 1280):
        page.set_viewport_size({"width": width, "height": 900})  # type: ignore[attr-defined]
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")  # type: ignore[attr-defined]
        assert overflow <= 0, f"{name} ({language}) is {overflow}px wider than a {width}px window"
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{language}-{name}.png"), full_page=True)  # type: ignore[attr-defined]


def test_every_page_in_korean_and_english_fits_the_window(browser: object, served: tuple[str, Shop, Engine]) -> None:
    """Each page in Korean (the browser's language), then in English (the person's own setting):
    Hangul in Delight Gothic, nothing wider than the window. With DELIGHT_SCREENSHOTS=FOLDER the
    pages are saved there as PNGs, to look at.
    """
    base, _shop, engine = served
    folder = os.environ.get("DELIGHT_SCREENSHOTS")
    with Session(engine) as session:
        gesture = session.execute(select(Gesture).where(Gesture.week == WEEK).limit(1)).scalar_one()
        customer = session.get(Customer, gesture.customer_id)
        assert customer is not None
    anonymous = browser.new_context(locale="ko-KR", viewport={"width": 1280, "height": 900})  # type: ignore[attr-defined]
    signin = anonymous.new_page()
    for language in ("ko", "en"):
        signin.goto(f"{base}/signin?lang={language}")
        check_page(signin, "signin", language, folder)
    anonymous.close()
    page = signed_in_page(browser, base, MANAGER, locale="ko-KR")
    for language in ("ko", "en"):
        if language == "en":
            page.get_by_role("button", name="English").click()  # the person's setting wins over the browser's
            expect(page.locator("html")).to_have_attribute("lang", "en")
        for name, path in PAGES:
            page.goto(base + (path or f"/customers/{customer.external_id}?week={WEEK}"))
            check_page(page, name, language, folder)
    page.get_by_role("button", name="한국어").click()
    page.context.close()
