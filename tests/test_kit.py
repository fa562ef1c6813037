"""The week's kit, end to end: whoever picks up a stack can write, address, pack, call and log.

Every test reads back what a user gets: PDFs through pypdf, lists through the CLI.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result
from pypdf import PdfReader
from sqlalchemy import select

from db.engine import make_engine
from db.models import Feedback, Gesture
from planner.core.rules import default_rules_text

WEEK = "2026-W49"
NEXT_WEEK = "2026-W50"
POSTED = ("handwritten_note", "small_gift", "postcard")

# The default rules, with a kind the shop adds itself, two writers and a return address.
SHOP_RULES = (
    default_rules_text()
    .replace(
        "# --- Gesture kinds ---",
        """[return_address]
name = "마루 잡화점"
street = "성수이로 7길 12, 2층"
city = "성동구"
region = "서울특별시"
postal_code = "04782"
country = "KR"

# --- Gesture kinds ---""",
    )
    .replace(
        "[gestures.cheer_message]",
        """[gestures.postcard]
cost = 800
capacity = 6
physical = true

[writers.Minji]
capacity = 30
languages = ["ko", "en"]

[writers."Sam Lee"]
capacity = 30
languages = ["en", "ko"]

[gestures.cheer_message]""",
    )
    .replace(
        'name = "we miss you"\noccasion = "we_miss_you"\ngesture = "handwritten_note"',
        'name = "we miss you"\noccasion = "we_miss_you"\ngesture = "postcard"',
    )
)


def pages(path: Path) -> list[str]:
    return [page.extract_text() for page in PdfReader(path).pages]


def flat(text: str) -> str:
    return " ".join(text.split())


@pytest.fixture
def kit(initialised: Callable[..., Result], tmp_path: Path) -> Callable[..., Result]:
    """``run`` with the shop's rules on 400 seeded customers, week 2026-W49 planned."""
    result = initialised("seed", "--customers", "400", "--seed", "3", "--today", "2026-11-30", "--locale", "mixed")
    assert result.exit_code == 0, result.output
    rules = tmp_path / "rules.toml"
    rules.write_text(SHOP_RULES, encoding="utf-8")

    def run(*args: str) -> Result:
        return initialised(*args) if "--rules" in args else initialised(*args, "--rules", str(rules))

    assert run("plan", "--week", WEEK, "--seed", "2").exit_code == 0
    return run


def listed(run: Callable[..., Result], *options: str) -> list[dict]:
    result = run("list", "--week", WEEK, "--format", "json", *options)
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def posted(run: Callable[..., Result]) -> list[dict]:
    return [g for g in listed(run) if g["kind"] in POSTED and g["status"] == "planned"]


def mark(gesture: dict) -> str:
    writer = gesture["writer"]
    initials = "".join(word[0] for word in writer.split()).upper() if writer else ""
    return f"#{gesture['gesture_id']} · {initials}" if initials else f"#{gesture['gesture_id']}"


def test_a_kind_added_in_the_rules_file_gets_cards_envelopes_and_labels(
    kit: Callable[..., Result], tmp_path: Path
) -> None:
    postcards = [g for g in posted(kit) if g["kind"] == "postcard"]
    assert postcards, "the shop's rule gives this week some postcards"
    for what in ("cards", "envelopes", "labels"):
        path = tmp_path / f"{what}.pdf"
        result = kit("print", what, "--week", WEEK, "-o", str(path))
        assert result.exit_code == 0, result.output
        text = "\n".join(pages(path))
        assert all(mark(g) in text for g in postcards), what
    only = tmp_path / "postcards.pdf"
    result = kit("print", "envelopes", "--week", WEEK, "--kind", "postcard", "-o", str(only))
    assert result.exit_code == 0 and f"Wrote envelopes ({len(postcards)} customers" in result.output
    wrong = kit("print", "labels", "--week", WEEK, "--kind", "cheer_message")
    assert wrong.exit_code == 1
    assert wrong.output == (
        "Error: --kind cheer_message: not a physical kind in the rules "
        "(physical kinds: handwritten_note, small_gift, postcard)\n"
    )


def test_every_posted_gesture_is_addressed_on_its_envelope_and_label(
    kit: Callable[..., Result], tmp_path: Path
) -> None:
    gestures = posted(kit)
    assert {g["kind"] for g in gestures} == set(POSTED)
    envelopes, labels = tmp_path / "envelopes.pdf", tmp_path / "labels.pdf"
    assert kit("print", "envelopes", "--week", WEEK, "-o", str(envelopes)).exit_code == 0
    assert kit("print", "labels", "--week", WEEK, "-o", str(labels), "--paper", "letter").exit_code == 0
    envelope_pages = pages(envelopes)
    assert len(envelope_pages) == len(gestures)  # the planner never plans a posted gesture without an address
    label_text = flat("\n".join(pages(labels)))
    for gesture, page in zip(gestures, envelope_pages, strict=True):  # in the cards' order
        assert page.splitlines()[:4] == ["04782", "서울특별시 성동구", "성수이로 7길 12, 2층", "마루 잡화점"]
        recipient = "\n".join(page.splitlines()[4:])
        name = gesture["customer_name"] + (" 님" if gesture["country"] == "KR" else "")
        assert name in recipient and gesture["postal_code"] in recipient and gesture["address1"] in flat(recipient)
        assert recipient.splitlines()[-1] == mark(gesture)
        assert mark(gesture) in label_text and f"{gesture['postal_code']}" in label_text


def test_every_card_carries_its_mark_in_the_order_of_the_envelopes(kit: Callable[..., Result], tmp_path: Path) -> None:
    cards, envelopes = tmp_path / "cards.pdf", tmp_path / "envelopes.pdf"
    assert kit("print", "cards", "--week", WEEK, "--guide", "-o", str(cards)).exit_code == 0
    assert kit("print", "envelopes", "--week", WEEK, "-o", str(envelopes)).exit_code == 0
    card_marks = [re.findall(r"#\d+(?: · \S+)?", text)[-1] for text in pages(cards)]
    envelope_marks = [text.splitlines()[-1] for text in pages(envelopes)]
    assert card_marks == envelope_marks
    assert sorted(card_marks) == sorted(mark(g) for g in posted(kit))
    assert {m.split(" · ")[1] for m in card_marks if " · " in m} == {"M", "SL"}


def test_the_guide_never_repeats_the_name_the_greeting_just_said(kit: Callable[..., Result], tmp_path: Path) -> None:
    cards = tmp_path / "cards.pdf"
    assert kit("print", "cards", "--week", WEEK, "--guide", "-o", str(cards)).exit_code == 0
    checked = 0
    for text in pages(cards):
        greeting, guide = text.splitlines()[1:3]  # under the shop's name
        name = greeting.removeprefix("Dear ").removesuffix(",").removesuffix("님께")
        assert not re.match(rf"{re.escape(name)}(님)?[,!]", guide), (greeting, guide)  # "Donald, I hope…"
        checked += 1
    assert checked > 10


def test_without_a_shop_name_the_cards_are_headed_with_the_return_address(
    kit: Callable[..., Result], tmp_path: Path
) -> None:
    cards = tmp_path / "cards.pdf"
    assert kit("print", "cards", "--week", WEEK, "-o", str(cards)).exit_code == 0
    assert all(text.splitlines()[0] == "마루 잡화점" for text in pages(cards))


def call_sheets(run: Callable[..., Result], week: str, path: Path) -> dict[int, str]:
    result = run("print", "briefs", "--week", week, "-o", str(path))
    assert result.exit_code == 0, result.output
    sheets = {}
    for text in pages(path):
        if "통화 기록지" in text:
            (number,) = re.findall(r"^ ?#(\d+)$", text, re.MULTILINE)
            sheets[int(number)] = flat(text)
    return sheets


def test_every_call_sheet_has_the_phone_their_words_their_order_and_room_for_the_outcome(
    kit: Callable[..., Result], db_url: str, tmp_path: Path
) -> None:
    calls = [g for g in listed(kit) if g["kind"] == "recovery_call" and g["status"] == "planned"]
    assert calls
    sheets = call_sheets(kit, WEEK, tmp_path / "briefs.pdf")
    assert set(sheets) == {g["gesture_id"] for g in calls}
    engine = make_engine(db_url)
    with engine.connect() as connection:
        said = dict(
            connection.execute(
                select(Gesture.id, Feedback.text).join(Feedback, Feedback.id == Gesture.feedback_id)
            ).all()
        )
    engine.dispose()
    for call in calls:
        sheet = sheets[call["gesture_id"]]
        assert call["phone"] and call["phone"] in sheet
        if call["gesture_id"] in said:  # what the reason cites is what the sheet quotes
            assert flat(said[call["gesture_id"]]) in sheet
        for words in ("주문한 것", "이전 연락", "통화 결과", "□ 통화함", f"delight log sent {call['gesture_id']}"):
            assert words in sheet


def test_a_call_that_did_not_reach_them_is_on_next_weeks_sheet(kit: Callable[..., Result], tmp_path: Path) -> None:
    calls = [g for g in listed(kit) if g["kind"] == "recovery_call" and g["status"] == "planned"]
    first = calls[0]
    logged = kit("log", "failed", str(first["gesture_id"]), "--by", "지민", "--note", "두 번 걸었는데 받지 않으심")
    assert logged.exit_code == 0, logged.output
    assert kit("plan", "--week", NEXT_WEEK, "--seed", "2").exit_code == 0
    again = next(
        g
        for g in json.loads(kit("list", "--week", NEXT_WEEK, "--format", "json").output)
        if g["customer_id"] == first["customer_id"]
    )
    sheet = call_sheets(kit, NEXT_WEEK, tmp_path / "next.pdf")[again["gesture_id"]]
    assert "회복 연락 · 연결되지 않음 · 지민 · 두 번 걸었는데 받지 않으심 · “" in sheet


@pytest.mark.parametrize(
    ("language", "present", "absent"),
    [
        (
            "ko",
            ["작성자 안내서", "이번 주 할 일", "작성자: Minji", "고른 이유", "손편지", "엽서", "통화 기록지"],
            ["Why them", "Writer:"],
        ),
        (
            "en",
            ["Writer's brief", "Gestures this week", "Writer: Minji", "Why them", "Postcards", "Call sheet"],
            ["고른 이유"],
        ),
    ],
)
def test_the_brief_speaks_the_teams_language(
    kit: Callable[..., Result], tmp_path: Path, language: str, present: list[str], absent: list[str]
) -> None:
    rules = tmp_path / f"rules-{language}.toml"
    rules.write_text(SHOP_RULES.replace('team_language = "ko"', f'team_language = "{language}"'), encoding="utf-8")
    path = tmp_path / "briefs.pdf"
    result = kit("print", "briefs", "--week", WEEK, "-o", str(path), "--rules", str(rules))
    assert result.exit_code == 0, result.output
    text = "\n".join(pages(path))
    assert all(word in text for word in present) and not any(word in text for word in absent)


def test_the_packing_list_says_which_gift_for_whom_with_the_labels_mark(
    kit: Callable[..., Result], tmp_path: Path
) -> None:
    gifts = [g for g in posted(kit) if g["kind"] == "small_gift"]
    labels = tmp_path / "labels.pdf"
    result = kit("print", "labels", "--week", WEEK, "-o", str(labels))
    assert f"Wrote packing list ({len(gifts)} customers" in result.output
    text = flat("\n".join(pages(tmp_path / "labels-packing-list.pdf")))
    assert text.startswith(f"포장 목록 · 마루 잡화점 {WEEK}")
    for gift in gifts:
        assert f"{mark(gift)} {gift['customer_name']} {gift['gift']} 카드: {gift['writer']} □" in text


def test_list_gives_the_phone_for_calls_and_the_address_for_the_post_only(kit: Callable[..., Result]) -> None:
    output = kit("list", "--week", WEEK, "--format", "csv").output
    rows = list(csv.DictReader(io.StringIO(output.lstrip("\ufeff"))))
    address = ("address1", "city", "region", "postal_code", "country")
    for row in rows:
        if row["kind"] == "recovery_call":
            assert row["phone"] and not any(row[field] for field in address)
        elif row["kind"] in POSTED:
            assert not row["phone"] and row["address1"] and row["postal_code"] and row["country"]
        else:
            assert not row["phone"] and not any(row[field] for field in address)
    assert {row["kind"] for row in rows} >= {"recovery_call", "cheer_message", *POSTED}
    gifts = [row for row in rows if row["kind"] == "small_gift"]
    assert gifts and all(row["gift"] for row in gifts)


def test_list_shows_what_needs_doing_and_says_what_it_left_out(kit: Callable[..., Result]) -> None:
    everything = listed(kit, "--status", "all")
    held = sum(1 for g in everything if g["status"] == "held_out")
    assert held
    first = next(g for g in everything if g["status"] == "planned")
    assert kit("log", "sent", str(first["gesture_id"]), "--by", "지민").exit_code == 0
    shown = listed(kit)
    assert [g["status"] for g in shown] == sorted((g["status"] for g in shown), key=lambda s: s != "planned")
    assert {g["status"] for g in shown} == {"planned", "sent"} and len(shown) == len(everything) - held
    table = kit("list", "--week", WEEK).output
    assert table.splitlines()[-1] == (
        f"목록에 없음: 대조군으로 제외 {held}건 (`delight list --status all`로 모두 볼 수 있어요)."
    )
    assert table.splitlines()[0].split()[:4] == ["번호", "고객", "이름", "종류"]


def test_explain_shows_the_week_once_however_often_it_was_redrawn(kit: Callable[..., Result]) -> None:
    for _ in range(3):
        assert kit("plan", "--week", WEEK, "--seed", "2", "--replace", "--yes").exit_code == 0
    chosen = next(g for g in listed(kit) if g["status"] == "planned")
    text = kit("explain", chosen["customer_id"], "--week", WEEK).output
    assert text.count("This week:") == 1
    assert f"This week: {chosen['kind']} (planned)" in text
    assert "(and 3 earlier gestures for them this week, cancelled)" in text


def test_export_messages_takes_what_is_neither_posted_nor_a_call(kit: Callable[..., Result]) -> None:
    messages = json.loads(kit("export", "messages", "--week", WEEK, "--format", "json").output)
    cheer = [g for g in listed(kit) if g["kind"] == "cheer_message"]
    assert sorted(m["gesture_id"] for m in messages) == sorted(g["gesture_id"] for g in cheer)
