"""Printouts, read back from the PDF: pages, sizes, text, fonts, positions and bytes."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal
from pathlib import Path

import pdfplumber
import pytest
from fontTools import subset
from fontTools.fontBuilder import FontBuilder
from fontTools.pens.t2CharStringPen import T2CharStringPen
from fontTools.ttLib import TTFont
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pypdf import PdfReader
from reportlab.lib.pagesizes import A4, A6, LETTER

from planner.core.errors import OutputFileError, PrintoutError
from printouts import (
    Address,
    BriefEntry,
    Feedback,
    Mailing,
    NoteCard,
    OrderSummary,
    PastGesture,
    ShelfLine,
    WaitingPerson,
    WeekSummary,
    format_money,
    render_briefs,
    render_cards,
    render_envelopes,
    render_labels,
    render_packing_list,
)
from printouts.fonts import BUNDLED_BOLD, BUNDLED_REGULAR, FONT_DIR, load_fonts
from printouts.layouts import LABEL_SHEETS
from printouts.marks import mark_text
from printouts.styles import card_style

MINJI = NoteCard("김민지", "ko", "handwritten_note", "지난번 주문해 주신 찻잔은 잘 쓰고 계신가요?", first_name="민지")
SARAH = NoteCard("Sarah Connor", "en-US", "small_gift", "I hope the apron keeps you company.", first_name="Sarah")
A6_MARGIN = card_style(*A6).margin


def pages_text(path: Path) -> list[str]:
    return [page.extract_text() for page in PdfReader(path).pages]


def page_sizes(path: Path) -> set[tuple[float, float]]:
    return {(round(float(p.mediabox.width), 2), round(float(p.mediabox.height), 2)) for p in PdfReader(path).pages}


def font_files(path: Path) -> dict[str, bool]:
    """Every font used on any page → whether its TrueType program is embedded."""
    fonts: dict[str, bool] = {}
    for page in PdfReader(path).pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            descriptor = font.get("/FontDescriptor")
            if descriptor is None and "/DescendantFonts" in font:
                descriptor = font["/DescendantFonts"][0].get_object().get("/FontDescriptor")
            fonts[str(font["/BaseFont"])] = descriptor is not None and "/FontFile2" in descriptor.get_object()
    return fonts


def size(layout_size: tuple[float, float]) -> tuple[float, float]:
    return (round(layout_size[0], 2), round(layout_size[1], 2))


# --- cards ---------------------------------------------------------------------------------


def test_a6_cards_one_per_page_with_greetings_in_the_customers_language(tmp_path: Path) -> None:
    path = tmp_path / "cards.pdf"
    result = render_cards([MINJI, SARAH], path, shop_name="마루 찻집 Maru")
    assert (result.pages, result.printed) == (2, 2)
    assert page_sizes(path) == {(297.64, 419.53)}
    texts = pages_text(path)
    assert "민지님께" in texts[0].splitlines()
    assert "Dear Sarah," in texts[1].splitlines()
    assert all("마루 찻집 Maru" in text for text in texts)
    assert "드림" in texts[0] and "Warmly," in texts[1]


def test_card_text_is_in_an_embedded_font(tmp_path: Path) -> None:
    path = tmp_path / "cards.pdf"
    render_cards([MINJI], path, shop_name="Maru")
    fonts = font_files(path)
    assert fonts and all(fonts.values()), fonts
    assert all("DelightGothic" in name for name in fonts)


def test_guide_prints_the_opener_only_when_asked(tmp_path: Path) -> None:
    render_cards([MINJI], tmp_path / "plain.pdf")
    render_cards([MINJI], tmp_path / "guide.pdf", guide=True)
    assert MINJI.opener not in pages_text(tmp_path / "plain.pdf")[0]
    assert MINJI.opener in pages_text(tmp_path / "guide.pdf")[0]


@pytest.mark.parametrize(
    ("layout", "cards", "pages", "paper"), [("a4x4", 9, 3, A4), ("letter4x6", 3, 2, LETTER), ("a6", 3, 3, A6)]
)
def test_layouts_fit_cards_per_page(tmp_path: Path, layout: str, cards: int, pages: int, paper) -> None:
    path = tmp_path / "cards.pdf"
    names = [f"Customer {n:02}" for n in range(cards)]
    result = render_cards([NoteCard(name, "en", "note", "Hi") for name in names], path, layout=layout)
    assert result.pages == pages == len(PdfReader(path).pages)
    assert page_sizes(path) == {size(paper)}
    assert sum(text.count("Dear Customer") for text in pages_text(path)) == cards


def test_crop_marks_are_drawn_on_multi_card_sheets_only(tmp_path: Path) -> None:
    for layout in ("a6", "a4x4", "letter4x6"):
        render_cards([SARAH], tmp_path / f"{layout}.pdf", layout=layout)
    with pdfplumber.open(tmp_path / "a6.pdf") as pdf:
        a6_lines = len(pdf.pages[0].lines)
    with pdfplumber.open(tmp_path / "a4x4.pdf") as pdf:
        assert len(pdf.pages[0].lines) == a6_lines + 4  # two centre cuts, marked at both paper edges
    with pdfplumber.open(tmp_path / "letter4x6.pdf") as pdf:
        # Two 6x4-inch cards fill x 90..522 and y 108..684: marks sit outside, one per cut and side.
        outside = [
            line
            for line in pdf.pages[0].lines
            if line["x1"] < 90 or line["x0"] > 522 or line["bottom"] < 108 or line["top"] > 684
        ]
        assert len(outside) == 10


def test_cards_come_out_in_writer_stacks(tmp_path: Path) -> None:
    cards = [
        NoteCard("Zoe", "en", "small_gift", "", writer="Bo"),
        NoteCard("Amy", "en", "small_gift", "", writer=None),
        NoteCard("Yan", "en", "handwritten_note", "", writer="Bo"),
        NoteCard("Cat", "en", "handwritten_note", "", writer="Ann"),
        NoteCard("Ben", "en", "handwritten_note", "", writer="Bo"),
    ]
    path = tmp_path / "cards.pdf"
    render_cards(cards, path)
    greetings = [text.splitlines()[0] for text in pages_text(path)]
    assert greetings == ["Dear Cat,", "Dear Ben,", "Dear Yan,", "Dear Zoe,", "Dear Amy,"]


def test_nothing_on_a_card_says_software_chose_it(tmp_path: Path) -> None:
    path = tmp_path / "cards.pdf"
    render_cards([MINJI, SARAH], path, layout="a4x4", guide=True, shop_name="Maru")
    text = " ".join(pages_text(path)).lower()
    metadata = str(PdfReader(path).metadata).lower()
    for word in (
        "handwritten_note",
        "small_gift",
        "gesture",
        "rule",
        "generat",
        "automat",
        "delight",
        "planner",
    ):
        assert word not in text
        assert word not in metadata


@pytest.mark.parametrize(
    ("name", "greeting"),
    [
        ("Tom & Jerry", "Dear Tom & Jerry,"),
        ("<b>x</b>", "Dear <b>x</b>,"),
        ('Jo "JJ" O\'Neil', 'Dear Jo "JJ" O\'Neil,'),
        ("Minji 🌸🎉", "Dear Minji,"),
        ("Anne\nMarie\r\nSmith", "Dear Anne Marie Smith,"),
        ("محمد", "Dear ,"),
        ("שרה", "Dear ,"),
    ],
)
def test_awkward_names_print_as_written_or_leave_a_blank(tmp_path: Path, name: str, greeting: str) -> None:
    path = tmp_path / "card.pdf"
    render_cards([NoteCard(name, "en", "note", f"Hello {name}")], path, guide=True)
    text = pages_text(path)[0]
    # A blank left for a handwritten name splits the greeting's line, so compare without spaces.
    assert "".join(text.split()).startswith("".join(greeting.split()))
    assert "&amp;" not in text and "&lt;" not in text and "□" not in text.split("Hello")[0]


def test_unprintable_korean_name_leaves_a_blank_before_nimkke(tmp_path: Path) -> None:
    path = tmp_path / "card.pdf"
    render_cards([NoteCard("محمد", "ko", "note", "")], path)
    assert pages_text(path)[0].splitlines()[0].strip() == "님께"


def test_first_name_falls_back_to_display_name(tmp_path: Path) -> None:
    path = tmp_path / "card.pdf"
    render_cards([NoteCard("김하늘", "ko", "note", "", first_name="🌸")], path)
    assert "김하늘님께" in pages_text(path)[0]


def chars_inside(path: Path, margin: float) -> None:
    with pdfplumber.open(path) as pdf:
        for page in pdf.pages:
            assert page.chars
            for char in page.chars:
                assert margin - 0.5 <= char["x0"] and char["x1"] <= page.width - margin + 0.5, char["text"]
                assert char["top"] >= 0 and char["bottom"] <= page.height


@pytest.mark.parametrize("language", ["en", "ko"])
def test_long_names_and_openers_stay_inside_the_card(tmp_path: Path, language: str) -> None:
    long_name = ("Bartholomew-Maximilian " * 9)[:200]
    long_korean = "가나다라마바사아자차카타파하" * 15
    cards = [
        NoteCard(long_name, language, "note", "word " * 80),
        NoteCard(long_korean, language, "note", "긴문장입니다 " * 40),
        NoteCard("X" * 200, language, "note", "Y" * 300),
    ]
    path = tmp_path / "long.pdf"
    render_cards(cards, path, guide=True, shop_name="The Very Long Name of a Small Tea Shop in Seoul 서울 찻집 " * 3)
    chars_inside(path, A6_MARGIN)
    assert len(PdfReader(path).pages) == 3


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=st.text(max_size=120), opener=st.text(max_size=200), language=st.sampled_from(["ko", "en", "ar"]))
def test_any_text_renders_one_card_inside_its_margins(tmp_path: Path, name: str, opener: str, language: str) -> None:
    path = tmp_path / "any.pdf"
    result = render_cards([NoteCard(name, language, "note", opener, first_name=name)], path, guide=True)
    assert result.pages == 1
    chars_inside(path, A6_MARGIN)


def test_same_cards_give_the_same_bytes(tmp_path: Path) -> None:
    for name in ("one.pdf", "two.pdf"):
        render_cards([SARAH, MINJI], tmp_path / name, layout="a4x4", guide=True, shop_name="Maru")
    assert (tmp_path / "one.pdf").read_bytes() == (tmp_path / "two.pdf").read_bytes()


# --- fonts ---------------------------------------------------------------------------------


def test_bundled_font_covers_every_hangul_syllable_and_ships_its_licence() -> None:
    for path in (BUNDLED_REGULAR, BUNDLED_BOLD):
        cmap = TTFont(path).getBestCmap()
        assert all(code in cmap for code in range(0xAC00, 0xD7A4))
        assert all(code in cmap for code in [*range(0x3131, 0x318F), *range(0x1100, 0x1113), 0x20A9, 0x2026, 0xE9])
        assert "glyf" in TTFont(path)
        assert path.stat().st_size < 2_000_000
    assert "SIL OPEN FONT LICENSE" in (FONT_DIR / "OFL.txt").read_text()


@pytest.fixture(scope="module")
def latin_font(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A TrueType font without Hangul, like many brand fonts."""
    font = TTFont(BUNDLED_REGULAR)
    subsetter = subset.Subsetter()
    subsetter.populate(unicodes=range(0x20, 0x7F))
    subsetter.subset(font)
    for record in font["name"].names:
        record.string = "BrandSans-Regular" if record.nameID == 6 else "Brand Sans"
    path = tmp_path_factory.mktemp("fonts") / "BrandSans.ttf"
    font.save(path)
    return path


def test_brand_font_is_used_with_the_bundled_font_for_hangul(tmp_path: Path, latin_font: Path) -> None:
    path = tmp_path / "cards.pdf"
    render_cards([MINJI, SARAH], path, shop_name="Maru", font_path=latin_font)
    texts = pages_text(path)
    assert "민지님께" in texts[0] and "Dear Sarah," in texts[1]
    fonts = font_files(path)
    assert all(fonts.values()) and {name.split("+")[1] for name in fonts} == {
        "BrandSans-Regular",
        "DelightGothic-Regular",
    }


def cff_font(path: Path) -> Path:
    builder = FontBuilder(1000, isTTF=False)
    builder.setupGlyphOrder([".notdef", "A"])
    builder.setupCharacterMap({0x41: "A"})
    pen = T2CharStringPen(500, None)
    pen.moveTo((0, 0))
    pen.lineTo((500, 700))
    pen.lineTo((500, 0))
    pen.closePath()
    charstring = pen.getCharString()
    builder.setupCFF("Brand-Regular", {"FullName": "Brand"}, {".notdef": charstring, "A": charstring}, {})
    builder.setupHorizontalMetrics({".notdef": (500, 0), "A": (500, 0)})
    builder.setupHorizontalHeader(ascent=800, descent=-200)
    builder.setupNameTable({"familyName": "Brand", "styleName": "Regular"})
    builder.setupOS2()
    builder.setupPost()
    builder.save(path)
    return path


@pytest.mark.parametrize(
    ("make_font", "message"),
    [
        (lambda folder: folder / "missing.ttf", "font file not found"),
        (lambda folder: cff_font(folder / "Brand.otf"), "OpenType/CFF (.otf) cannot be embedded"),
        (lambda folder: (folder / "junk.ttf").write_bytes(b"not a font") and folder / "junk.ttf", "TrueType"),
    ],
)
def test_unusable_font_is_a_one_line_printout_error(tmp_path: Path, make_font, message: str) -> None:
    font_path = make_font(tmp_path)
    with pytest.raises(PrintoutError) as raised:
        render_cards([SARAH], tmp_path / "cards.pdf", font_path=font_path)
    assert message in str(raised.value)
    assert "\n" not in str(raised.value)
    assert not (tmp_path / "cards.pdf").exists()


def test_printable_drops_emoji_and_marks_missing_scripts() -> None:
    fonts = load_fonts()
    assert fonts.printable("  Min\tji 🌸\u200d👍🏽 ") == ("Min ji", True)
    assert fonts.printable("₩12,000 · 민지") == ("₩12,000 · 민지", True)
    assert fonts.printable("محمد") == ("□□□□", False)


# --- errors ----------------------------------------------------------------------------------


def test_unwritable_path_is_an_output_file_error(tmp_path: Path) -> None:
    with pytest.raises(OutputFileError, match=r"cannot write .*: folder .* does not exist"):
        render_cards([SARAH], tmp_path / "no" / "such" / "dir" / "cards.pdf")
    with pytest.raises(OutputFileError, match=r"cannot write .*: it is a folder"):
        render_cards([SARAH], tmp_path)


def test_unknown_layout_and_nothing_to_print_are_printout_errors(tmp_path: Path) -> None:
    with pytest.raises(PrintoutError, match='unknown card layout "a5" \\(choose a6, a4x4, letter4x6\\)'):
        render_cards([SARAH], tmp_path / "cards.pdf", layout="a5")
    with pytest.raises(PrintoutError, match="nothing to print"):
        render_cards([], tmp_path / "cards.pdf")


# --- money -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "currency", "written"),
    [
        (Decimal("12000"), "KRW", "₩12,000"),
        (Decimal("1234567.6"), "krw", "₩1,234,568"),
        (Decimal("12.5"), "USD", "$12.50"),
        (Decimal("-3"), "USD", "-$3.00"),
        (Decimal("9.999"), "CHF", "10.00 CHF"),
    ],
)
def test_format_money(amount: Decimal, currency: str, written: str) -> None:
    assert format_money(amount, currency) == written


def test_format_money_refuses_floats() -> None:
    with pytest.raises(TypeError):
        format_money(12.5, "USD")  # type: ignore[arg-type]


# --- briefs ----------------------------------------------------------------------------------

WEEK = WeekSummary(
    "2025-W23", budget=Decimal("200000"), budget_used=Decimal("124500"), currency="KRW", shop_name="마루"
)
ENTRIES = [
    BriefEntry(
        "김민지",
        "ko",
        "handwritten_note",
        "Third order in 60 days: a new regular.",
        "민지님, 세 번째 주문 정말 감사드려요.",
        writer="지수",
        customer_since=date(2025, 4, 2),
        orders_count=3,
        last_bought="백자 찻잔 세트",
        last_feedback=Feedback("포장이 정말 예뻤어요!\n또 살게요 😊", date(2025, 5, 20), rating=5),
        past_gestures=(PastGesture("cheer_message", date(2025, 4, 20), "첫 주문 감사합니다"),),
    ),
    BriefEntry(
        "Sarah <b>Connor</b> & Co",
        "en",
        "recovery_call",
        "Open complaint with no reply.",
        "Sarah, I'm so sorry the teapot arrived broken.",
        writer="Alex",
        orders_count=14,
        last_feedback=Feedback("It arrived in pieces.", date(2025, 5, 25), 1, is_complaint=True, days_without_reply=9),
    ),
    BriefEntry("Noah", "en", "small_gift", "Birthday next week.", "Happy birthday!", writer="Alex"),
]


@pytest.mark.parametrize(("paper", "page_size"), [("a4", A4), ("letter", LETTER)])
def test_brief_has_a_cover_then_each_writer_on_their_own_pages(tmp_path: Path, paper: str, page_size) -> None:
    path = tmp_path / "brief.pdf"
    result = render_briefs(WEEK, ENTRIES, path, paper=paper)
    texts = pages_text(path)
    assert result.pages == len(texts) == 3
    assert page_sizes(path) == {size(page_size)}
    cover = texts[0]
    assert "Week 2025-W23" in cover and "₩124,500 used of ₩200,000" in cover
    assert "Handwritten notes\n1\nRecovery calls\n1\nSmall gifts\n1\nTotal\n3" in cover
    alex, jisoo = texts[1], texts[2]
    assert alex.index("Writer: Alex") < alex.index("Recovery calls") < alex.index("Small gifts")
    assert "Sarah <b>Connor</b> & Co" in alex and "&amp;" not in alex
    assert "overdue: no reply for 9 days" in alex and "Complaint · 1/5 · 2025-05-25" in alex
    assert (
        "Writer: 지수" in jisoo
        and "Korean · Customer since 2025-04-02 · 3 orders · Last bought: 백자 찻잔 세트" in jisoo
    )
    assert "“포장이 정말 예뻤어요! 또 살게요”" in jisoo
    assert "2025-04-20 · Cheer messages · “첫 주문 감사합니다”" in jisoo
    assert "민지님, 세 번째 주문 정말 감사드려요." in jisoo
    assert all(font_files(path).values())


def test_brief_headings_in_korean(tmp_path: Path) -> None:
    path = tmp_path / "brief.pdf"
    render_briefs(WEEK, ENTRIES, path, language="ko")
    text = "\n".join(pages_text(path))
    assert "₩200,000 중 ₩124,500 사용" in text and "답변 지연: 9일째 답변 없음" in text and "작성자: 지수" in text


def test_same_brief_gives_the_same_bytes(tmp_path: Path) -> None:
    render_briefs(WEEK, ENTRIES, tmp_path / "one.pdf")
    render_briefs(WEEK, ENTRIES, tmp_path / "two.pdf")
    assert (tmp_path / "one.pdf").read_bytes() == (tmp_path / "two.pdf").read_bytes()


# --- labels and packing list -----------------------------------------------------------------

KOREAN_ADDRESS = Address(
    "김민지", "테헤란로 123\n4층 401호", city="강남구", region="서울특별시", postal_code="06236", country="KR"
)
US_ADDRESS = Address("Sarah Connor", "1600 Main St", city="Springfield", region="IL", postal_code="62701", country="US")
SHOP = Address("마루 잡화점", "성수이로 7길 12", city="성동구", region="서울특별시", postal_code="04782", country="KR")


def mail(address: Address, gesture_id: int | None = None, writer: str | None = None, gift: str = "") -> Mailing:
    return Mailing(address, "handwritten_note", gesture_id, writer, gift)


def test_31_labels_on_letter30_take_two_pages(tmp_path: Path) -> None:
    path = tmp_path / "labels.pdf"
    labels = [mail(Address(f"Customer {n:02}", f"{n} Main St", city="Springfield")) for n in range(31)]
    result = render_labels(labels, path, sheet="letter30")
    texts = pages_text(path)
    assert result.pages == len(texts) == 2
    assert page_sizes(path) == {size(LETTER)}
    assert texts[0].count("Customer") == 30 and texts[1].count("Customer") == 1


def test_22_labels_on_a4x21_take_two_pages(tmp_path: Path) -> None:
    path = tmp_path / "labels.pdf"
    result = render_labels([mail(US_ADDRESS)] * 22, path, sheet="a4x21")
    assert result.pages == 2 and page_sizes(path) == {size(A4)}


def test_empty_addresses_are_skipped_and_named(tmp_path: Path) -> None:
    path = tmp_path / "labels.pdf"
    labels = [US_ADDRESS, Address("Nobody Home", "  \n "), KOREAN_ADDRESS, Address("No Street", "")]
    result = render_labels([mail(label) for label in labels], path)
    assert result.skipped == ("Nobody Home", "No Street") and result.printed == 2
    text = pages_text(path)[0]
    assert "Nobody Home" not in text and "No Street" not in text


def test_only_empty_addresses_is_a_printout_error(tmp_path: Path) -> None:
    with pytest.raises(PrintoutError, match="skipped: Nobody"):
        render_labels([mail(Address("Nobody", ""))], tmp_path / "labels.pdf")


def test_korean_address_runs_big_to_small_and_ends_with_the_name(tmp_path: Path) -> None:
    path = tmp_path / "labels.pdf"
    render_labels([mail(KOREAN_ADDRESS), mail(US_ADDRESS)], path, home_country="US")
    lines = pages_text(path)[0].splitlines()
    korean = lines[lines.index("06236") : lines.index("김민지 님") + 1]
    assert korean == ["06236", "서울특별시 강남구", "테헤란로 123", "4층 401호", "김민지 님"]
    english = lines[lines.index("Sarah Connor") :]
    assert english[:3] == ["Sarah Connor", "1600 Main St", "Springfield, IL 62701"]
    assert "US" not in english


def inside_slots(path: Path, slots) -> None:
    with pdfplumber.open(path) as pdf:
        page = pdf.pages[0]
        for char in page.chars:
            bottom = page.height - char["bottom"]
            top = page.height - char["top"]
            assert any(
                s.x <= char["x0"] and char["x1"] <= s.x + s.width and s.y <= bottom and top <= s.top for s in slots
            ), char["text"]


LONG_ADDRESS = Address(
    "Jean-Baptiste Emmanuel Zorg & Sons <b>" * 3,
    "Apartment 1234, Building of Unreasonably Long Street Names\n" * 8,
    city="Llanfairpwllgwyngyllgogerychwyrndrobwllllantysiliogogogoch",
    postal_code="LL61 5UJ",
    country="GB",
)


def test_long_addresses_stay_inside_their_labels(tmp_path: Path) -> None:
    path = tmp_path / "labels.pdf"
    long = mail(LONG_ADDRESS, 123456, "Bartholomew Maximilian Zorg")
    render_labels([long, mail(KOREAN_ADDRESS, 7, "지민"), long], path, return_address=LONG_ADDRESS)
    inside_slots(path, LABEL_SHEETS["letter30"].slots)


def test_every_label_carries_its_mark_and_the_return_address(tmp_path: Path) -> None:
    path = tmp_path / "labels.pdf"
    labels = [mail(KOREAN_ADDRESS, 12, "Minji Kim"), mail(US_ADDRESS, 13, "지민"), mail(US_ADDRESS, 14)]
    render_labels(labels, path, sheet="a4x21", return_address=SHOP)
    lines = pages_text(path)[0].splitlines()
    for mark in ("#12 · MK", "#13 · 지민", "#14"):
        assert lines[lines.index(mark) - 1].startswith("마루 잡화점 · 04782 서울특별시 성동구 성수이로 7길")


def test_packing_list_says_which_gift_for_whom_with_the_labels_mark(tmp_path: Path) -> None:
    path = tmp_path / "packing.pdf"
    parcels = [
        Mailing(Address("김민지", "테헤란로 1", country="KR"), "small_gift", 21, "Minji Kim", "유자차 세트"),
        Mailing(Address("Tom & Jerry <b>", ""), "small_gift", 22, None, "Mug"),
        Mailing(Address("Noah", "1 Main St"), "small_gift", 23, None, ""),
    ]
    shelf = [
        ShelfLine("유자차 세트", 1, on_hand=5, counted_on=date(2025, 6, 1), sent_since_count=2),
        ShelfLine("Mug", 1),
    ]
    result = render_packing_list(parcels, path, shelf=shelf, title="2025-W23", paper="letter")
    text = pages_text(path)[0]
    assert result.pages == 1 and page_sizes(path) == {size(LETTER)}
    assert "Packing list · 2025-W23" in text
    flat = " ".join(text.split())
    assert "유자차 세트 1 5 counted on 2025-06-01, 2 logged sent since 4" in flat
    assert "Mug 1 not counted" in flat
    assert "#21 · MK 김민지 유자차 세트 Card by Minji Kim □" in flat
    assert "#22 Tom & Jerry <b> no address: no label printed Mug With the card □" in flat
    assert "#23 Noah no gift chosen: pick one from the shelf" in flat
    assert all(font_files(path).values())


def test_packing_list_in_korean(tmp_path: Path) -> None:
    path = tmp_path / "packing.pdf"
    parcels = [Mailing(Address("김민지", "테헤란로 1", country="KR"), "small_gift", 21, None, "유자차 세트")]
    render_packing_list(parcels, path, shelf=[ShelfLine("유자차 세트", 1, 3, date(2025, 6, 1))], language="ko")
    text = pages_text(path)[0]
    assert "포장 목록" in text and "꺼낼 선물" in text and "받는 분" in text and "카드 동봉" in text


def test_same_labels_give_the_same_bytes(tmp_path: Path) -> None:
    for name in ("one.pdf", "two.pdf"):
        render_labels([mail(KOREAN_ADDRESS, 1), mail(US_ADDRESS, 2)], tmp_path / name, sheet="a4x21")
    assert (tmp_path / "one.pdf").read_bytes() == (tmp_path / "two.pdf").read_bytes()


# --- envelopes -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("envelope", "width_mm", "height_mm"),
    [("c6", 162, 114), ("dl", 220, 110), ("a2", 146.05, 111.125), ("no10", 241.3, 104.775)],
)
def test_one_envelope_per_page_at_the_envelopes_size(tmp_path: Path, envelope: str, width_mm, height_mm) -> None:
    path = tmp_path / "envelopes.pdf"
    result = render_envelopes([mail(KOREAN_ADDRESS, 1), mail(US_ADDRESS, 2, "Tom")], path, size=envelope)
    assert result.pages == result.printed == 2
    assert page_sizes(path) == {(round(width_mm * 72 / 25.4, 2), round(height_mm * 72 / 25.4, 2))}
    chars_inside(path, 10 * 72 / 25.4)


def test_envelope_has_the_return_address_top_left_and_the_recipient_below_right(tmp_path: Path) -> None:
    path = tmp_path / "envelopes.pdf"
    render_envelopes([mail(KOREAN_ADDRESS, 12, "Minji Kim")], path, return_address=SHOP, home_country="KR")
    with pdfplumber.open(path) as pdf:
        page = pdf.pages[0]
        words = page.extract_words()
    lines = pages_text(path)[0].splitlines()
    assert lines[:4] == ["04782", "서울특별시 성동구", "성수이로 7길 12", "마루 잡화점"]  # no 님 for the shop
    assert lines[4:9] == ["06236", "서울특별시 강남구", "테헤란로 123", "4층 401호", "김민지 님"]
    assert lines[-1] == "#12 · MK"
    sender = next(w for w in words if w["text"] == "04782")
    recipient = next(w for w in words if w["text"] == "06236")
    assert sender["x0"] < page.width / 4 and sender["top"] < page.height / 4
    assert recipient["x0"] > page.width / 3 and recipient["top"] > page.height / 2


def test_envelopes_skip_and_name_who_has_no_address(tmp_path: Path) -> None:
    path = tmp_path / "envelopes.pdf"
    result = render_envelopes([mail(US_ADDRESS, 1), mail(Address("Nobody", ""), 2)], path)
    assert result.printed == 1 and result.skipped == ("Nobody",)
    with pytest.raises(PrintoutError, match='unknown envelope size "b5"'):
        render_envelopes([mail(US_ADDRESS)], path, size="b5")


def test_long_addresses_stay_on_the_envelope(tmp_path: Path) -> None:
    path = tmp_path / "envelopes.pdf"
    render_envelopes(
        [mail(LONG_ADDRESS, 99999, "Bartholomew Maximilian Zorg")], path, size="a2", return_address=LONG_ADDRESS
    )
    chars_inside(path, 10 * 72 / 25.4 - 0.5)


# --- marks -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("gesture_id", "writer", "mark"),
    [
        (12, "Minji Kim", "#12 · MK"),
        (12, "Tom", "#12 · T"),
        (7, "지민", "#7 · 지민"),
        (7, "  ", "#7"),
        (None, "Tom", ""),
    ],
)
def test_mark_is_the_id_and_the_writers_initials(gesture_id, writer, mark: str) -> None:
    assert mark_text(gesture_id, writer) == mark


# --- marks, headers and guides on cards ----------------------------------------------------------


def test_every_card_carries_its_mark_small_at_the_bottom(tmp_path: Path) -> None:
    path = tmp_path / "cards.pdf"
    cards = [
        NoteCard("김민지", "ko", "handwritten_note", "", first_name="민지", writer="지민", gesture_id=12),
        NoteCard("Sarah", "en", "handwritten_note", "", writer="Minji Kim", gesture_id=13),
        NoteCard("Noah", "en", "handwritten_note", ""),
    ]
    render_cards(cards, path, layout="a4x4")
    with pdfplumber.open(path) as pdf:
        page = pdf.pages[0]
        marks = {word["text"]: word for word in page.extract_words() if word["text"].startswith("#")}
        assert set(marks) == {"#12", "#13"}
        for mark in marks.values():
            assert mark["bottom"] - mark["top"] < 6  # small
            assert any(abs(mark["bottom"] - edge) < 20 for edge in (page.height / 2, page.height - 2))
    text = pages_text(path)[0]
    assert "#12 · 지민" in text and "#13 · MK" in text


def test_a_card_without_a_shop_name_still_opens_with_its_ornament(tmp_path: Path) -> None:
    render_cards([SARAH], tmp_path / "bare.pdf")
    render_cards([SARAH], tmp_path / "named.pdf", shop_name="Maru")
    with pdfplumber.open(tmp_path / "bare.pdf") as bare, pdfplumber.open(tmp_path / "named.pdf") as named:
        ornament = [line for line in bare.pages[0].lines if line["top"] < A6_MARGIN + 30]
        assert len(ornament) == 1 and abs((ornament[0]["x0"] + ornament[0]["x1"]) / 2 - A6[0] / 2) < 1
        greeting = next(w for w in bare.pages[0].extract_words() if w["text"] == "Dear")
        named_greeting = next(w for w in named.pages[0].extract_words() if w["text"] == "Dear")
        assert greeting["top"] == named_greeting["top"]  # the greeting sits where it always does


@pytest.mark.parametrize(
    ("card", "guide"),
    [
        (NoteCard("Donald Duck", "en", "note", "Donald, I hope the mug is keeping your tea warm.", "Donald"), "I hope"),
        (NoteCard("Donald Duck", "en", "note", "Hi Donald! thanks for the order.", "Donald"), "Thanks for"),
        (NoteCard("김민지", "ko", "note", "민지님, 세 번째 주문 정말 감사드려요.", "민지"), "세 번째 주문"),
        (NoteCard("김민지", "ko", "note", "김민지님, 늘 고마워요.", "민지"), "늘 고마워요."),
        (NoteCard("김민지", "ko", "note", "민지님께 어울릴 것 같아 골랐어요.", "민지"), "민지님께 어울릴"),
    ],
)
def test_the_guide_never_says_the_name_again_after_the_greeting(tmp_path: Path, card: NoteCard, guide: str) -> None:
    path = tmp_path / "card.pdf"
    render_cards([card], path, guide=True)
    lines = pages_text(path)[0].splitlines()
    assert lines[1].startswith(guide)


# --- call sheets and headings in the brief ---------------------------------------------------------

CALL = BriefEntry(
    "박서준",
    "ko",
    "recovery_call",
    "서준님이 2025년 5월 25일(3일 전) 불편을 말씀하셨고 아직 해결되지 않았어요: 전화로 이야기를 듣고 바로잡아 주세요",
    "서준님, 불편을 드려 정말 죄송해요.",
    customer_since=date(2024, 1, 2),
    orders_count=4,
    last_feedback=Feedback("찻잔이 깨져서 왔어요.", date(2025, 5, 25), 1, is_complaint=True, days_without_reply=3),
    past_gestures=(PastGesture("recovery_call", date(2025, 5, 27), status="failed", note="받지 않으심", by="지민"),),
    send_by="2025년 6월 4일 (수)",
    gesture_id=41,
    call=True,
    phone="010-1234-5678",
    ordered=OrderSummary(date(2025, 5, 20), "백자 찻잔 세트, 차 거름망", "₩54,000"),
)


@pytest.mark.parametrize("language", ["ko", "en"])
def test_a_call_prints_as_a_call_sheet_with_everything_to_make_the_call(tmp_path: Path, language: str) -> None:
    path = tmp_path / "brief.pdf"
    render_briefs(WEEK, [*ENTRIES, CALL], path, language=language)
    texts = pages_text(path)
    (sheet,) = [text for text in texts if "#41" in text]
    flat = " ".join(sheet.split())
    assert "010-1234-5678" in flat and "“찻잔이 깨져서 왔어요.”" in flat
    assert "2025-05-20 · 백자 찻잔 세트, 차 거름망 · ₩54,000" in flat
    assert "2025-05-27 · 회복 연락 · 연결되지 않음 · 지민 · 받지 않으심" in flat if language == "ko" else True
    words = {
        "ko": [
            "통화 기록지 · 회복 연락",
            "전화번호",
            "주문한 것",
            "이전 연락",
            "통화 결과",
            "□ 통화함",
            "2025년 6월 4일 (수)까지 전화",
        ],
        "en": [
            "Call sheet · Recovery calls",
            "Phone",
            "What they ordered",
            "Tried before",
            "How it went",
            "□ Reached them",
        ],
    }[language]
    assert all(word in flat for word in words), flat
    assert "delight log sent 41" in flat
    with pdfplumber.open(path) as pdf:  # room to write: ten ruled lines on the sheet's page
        page = pdf.pages[texts.index(sheet)]
        assert len([line for line in page.lines if line["x1"] - line["x0"] > 400]) >= 10


def test_a_call_without_a_phone_number_says_so(tmp_path: Path) -> None:
    path = tmp_path / "brief.pdf"
    render_briefs(WEEK, [replace(CALL, phone="")], path, language="ko")
    assert "등록된 전화번호가 없어요" in "".join(pages_text(path))


def test_calls_come_first_each_on_a_page_of_its_own(tmp_path: Path) -> None:
    path = tmp_path / "brief.pdf"
    calls = [replace(CALL, display_name=f"고객{n}", gesture_id=50 + n, writer=None) for n in range(3)]
    notes = [BriefEntry(f"Note {n}", "en", "handwritten_note", "r", "o", gesture_id=60 + n) for n in range(2)]
    render_briefs(WEEK, [*notes, *calls], path, language="ko")
    texts = pages_text(path)[1:]
    assert ["#50" in texts[0], "#51" in texts[1], "#52" in texts[2]] == [True, True, True]
    assert "작성자 미정" in texts[0] and "#60" in texts[3] and "#61" in texts[3]


def test_every_entry_in_the_brief_carries_its_mark(tmp_path: Path) -> None:
    path = tmp_path / "brief.pdf"
    entries = [replace(entry, gesture_id=number) for number, entry in enumerate(ENTRIES, start=7)]
    render_briefs(WEEK, entries, path)
    text = "".join(pages_text(path))
    assert "#7 · 지수 · Korean" in text and "#8 · A · English" in text and "#9 · A · English" in text


def last_line(text: str) -> str:
    return [line.strip() for line in text.splitlines() if line.strip()][-1]


@pytest.mark.parametrize("paper", ["a4", "letter"])
def test_no_heading_is_ever_left_alone_at_the_bottom_of_a_page(tmp_path: Path, paper: str) -> None:
    headings = {
        "Handwritten notes",
        "Small gifts",
        "Cheer messages",
        "Writer: Alex",
        "Writer: Bo",
        "Waiting for a person",
    }
    seen_break_before_heading = False
    for count in range(1, 12):
        entries = [
            replace(ENTRIES[0], display_name=f"Customer {n}", writer="Alex", kind="handwritten_note")
            for n in range(count)
        ]
        entries += [replace(ENTRIES[2], display_name=f"Gift {n}", writer="Alex") for n in range(3)]
        entries += [replace(ENTRIES[2], display_name=f"Cheer {n}", writer="Bo", kind="cheer_message") for n in range(2)]
        week = replace(WEEK, waiting=tuple(WaitingPerson(f"P{n}", f"C{n}", "open complaint", 3) for n in range(30)))
        path = tmp_path / f"brief-{count}.pdf"
        render_briefs(week, entries, path, paper=paper)
        texts = pages_text(path)
        for text in texts:
            assert last_line(text) not in headings, (count, text)
        seen_break_before_heading |= any(text.splitlines()[1].strip() == "Small gifts" for text in texts[1:])
    assert seen_break_before_heading  # the counts tried do push a heading over a page end
