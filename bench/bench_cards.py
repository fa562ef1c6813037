"""How much do render_cards and render_envelopes cost over drawing the same text with bare canvas calls?

Run from the repository root:  python bench/bench_cards.py [--cards 1000] [--repeat 5]

Both sides draw 1,000 A6 pages in the bundled font with the same strings (shop name,
greeting, two guide lines, ruled lines, closing, signature line, the mark) into a file. The
baseline gets its strings ready-made; render_cards also sorts, cleans, measures and fits them.
Then 1,000 C6 envelopes the same way (return address, the recipient's address, the mark): the
baseline draws the lines at fixed sizes; render_envelopes lays each address out in the
country's order and fits it to its box.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import textwrap
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from reportlab.lib.pagesizes import A6
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from printouts import Address, Mailing, NoteCard, render_cards, render_envelopes
from printouts.addresses import address_blocks
from printouts.fonts import load_fonts
from printouts.layouts import ENVELOPES
from printouts.marks import mark_text
from printouts.styles import ACCENT, GUIDE, INK, MUTED, RULE

SHOP = "Maru Tea House 마루 찻집"
KO_FAMILY = ["김", "이", "박", "최", "정", "강", "조", "윤"]
KO_GIVEN = ["민지", "서연", "지훈", "하은", "도윤", "예린", "준서", "수아", "현우", "채원"]
EN_GIVEN = ["Minji", "Sarah", "James", "Olivia", "Noah", "Emma", "Liam", "Ava", "Lucas", "Mia"]
EN_FAMILY = ["Smith", "Park", "Garcia", "O'Brien", "Nguyen", "Kowalski", "Lee", "Brown"]
KO_OPENERS = [
    "지난번 주문해 주신 찻잔은 잘 쓰고 계신가요? 늘 감사한 마음입니다.",
    "보내주신 말씀 잘 받았습니다. 덕분에 힘이 납니다.",
]
EN_OPENERS = [
    "I hope the linen apron has been keeping you company in the kitchen.",
    "Thank you for your lovely review.",
]
KINDS = ["handwritten_note", "small_gift"]
WRITERS = ["지수", "Alex", "Hana"]


def make_cards(count: int) -> list[NoteCard]:
    """Deterministic mixed Korean/English cards."""
    cards = []
    for number in range(count):
        if number % 2:
            given = KO_GIVEN[number % len(KO_GIVEN)]
            family = KO_FAMILY[number % len(KO_FAMILY)]
            name, language, opener = family + given, "ko", KO_OPENERS[number % 2]
        else:
            given = EN_GIVEN[number % len(EN_GIVEN)]
            name, language, opener = (
                f"{given} {EN_FAMILY[number % len(EN_FAMILY)]}",
                "en",
                EN_OPENERS[number % 2],
            )
        writer = WRITERS[number % len(WRITERS)]
        card = NoteCard(name, language, KINDS[number % 2], opener, first_name=given, writer=writer)
        cards.append(replace(card, gesture_id=number + 1))
    return cards


SENDER = Address("마루 찻집", "성수이로 7길 12, 2층", "성동구", "서울특별시", "04782", "KR")


def make_mailings(cards: list[NoteCard]) -> list[Mailing]:
    """An envelope for each card: Korean addresses for Korean customers, American for the rest."""
    mailings = []
    for card in cards:
        number = card.gesture_id or 0
        if card.language == "ko":
            to = Address(
                card.display_name, f"테헤란로 {number}\n{number % 20}층", "강남구", "서울특별시", "06236", "KR"
            )
        else:
            to = Address(card.display_name, f"{number} Main St", "Springfield", "IL", "62701", "US")
        mailings.append(Mailing(to, card.kind, card.gesture_id, card.writer))
    return mailings


def draw_baseline(cards: list[NoteCard], path: Path, font: str) -> None:
    """The same strings, lines and colours with bare canvas calls: no sorting, cleaning or measuring."""
    pages = [
        (
            f"{card.first_name}님께" if card.language == "ko" else f"Dear {card.first_name},",
            textwrap.wrap(card.opener, 48),
            "드림" if card.language == "ko" else "Warmly,",
        )
        for card in cards
    ]
    canvas = Canvas(str(path), pagesize=A6, invariant=1, pageCompression=1, initialFontName=font)
    width, height = A6
    margin = 12 * mm
    rules = [(margin, y, width - margin, y) for y in range(int(height) - 130, 80, -22)]
    marks = [mark_text(card.gesture_id, card.writer) for card in cards]
    for (greeting, guide_lines, closing), mark in zip(pages, marks, strict=True):
        canvas.setFillColor(ACCENT)
        canvas.setFont(font, 7.5)
        canvas.drawCentredString(width / 2, height - margin - 7.5, SHOP, charSpace=1.6)
        canvas.setStrokeColor(ACCENT)
        canvas.setLineWidth(0.6)
        canvas.line(width / 2 - 12, height - margin - 15, width / 2 + 12, height - margin - 15)
        canvas.setFillColor(INK)
        canvas.setFont(font, 17)
        canvas.drawString(margin, height - margin - 48.7, greeting)
        canvas.setFillColor(GUIDE)
        canvas.setFont(font, 7.5)
        for index, line in enumerate(guide_lines):
            canvas.drawString(margin, height - margin - 63.2 - 10.5 * index, line)
        canvas.setStrokeColor(RULE)
        canvas.setLineWidth(0.5)
        canvas.lines(rules)
        canvas.setFillColor(MUTED)
        canvas.setFont(font, 9)
        canvas.drawString(width - margin - 95, margin + 19.8, closing)
        canvas.setStrokeColor(MUTED)
        canvas.line(width - margin - 95, margin - 1, width - margin, margin - 1)
        canvas.setFillColor(GUIDE)
        canvas.setFont(font, 5.5)
        canvas.drawString(margin, margin * 0.4, mark)
        canvas.showPage()
    canvas.save()


def draw_envelopes_baseline(mailings: list[Mailing], path: Path, font: str) -> None:
    """The same address lines and mark at fixed sizes and places: no ordering, cleaning or fitting."""
    sender = [text for text, _bold in address_blocks(SENDER, "KR", honorific=False)]
    pages = [
        ([text for text, _bold in address_blocks(m.to, "KR")], mark_text(m.gesture_id, m.writer)) for m in mailings
    ]
    width, height = ENVELOPES["c6"]
    margin = 10 * mm
    canvas = Canvas(str(path), pagesize=(width, height), invariant=1, pageCompression=1, initialFontName=font)
    for recipient, mark in pages:
        canvas.setFillColor(MUTED)
        canvas.setFont(font, 8.5)
        for index, line in enumerate(sender):
            canvas.drawString(margin, height - margin - 8.5 - 11 * index, line)
        canvas.setFillColor(INK)
        canvas.setFont(font, 13)
        for index, line in enumerate(recipient):
            canvas.drawString(width * 0.4, height * 0.5 - 17.5 * index, line)
        canvas.setFillColor(GUIDE)
        canvas.setFont(font, 6)
        canvas.drawString(margin, margin * 0.6, mark)
        canvas.showPage()
    canvas.save()


def timed(runs: dict[str, Callable[[], None]], repeat: int) -> dict[str, list[float]]:
    """Wall-clock seconds of each run, ``repeat`` times, taking turns so noise hits both alike."""
    seconds: dict[str, list[float]] = {name: [] for name in runs}
    for _ in range(repeat):
        for name, run in runs.items():
            start = time.perf_counter()
            run()
            seconds[name].append(time.perf_counter() - start)
    return seconds


def report(title: str, results: dict[str, list[float]], sizes: dict[str, int]) -> None:
    """One table: best and median seconds, bytes, and both against the baseline (the first run)."""
    baseline = next(iter(results))
    best_base, median_base = min(results[baseline]), statistics.median(results[baseline])
    print(title)
    print(f"{'':18} {'best s':>7} {'median s':>9} {'bytes':>9} {'ratio best':>11} {'ratio median':>13}")
    for name, seconds in results.items():
        best, median = min(seconds), statistics.median(seconds)
        print(
            f"{name:18} {best:7.3f} {median:9.3f} {sizes[name]:9,} "
            f"{best / best_base:11.2f} {median / median_base:13.2f}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cards", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=5)
    options = parser.parse_args()
    cards = make_cards(options.cards)
    mailings = make_mailings(cards)
    font = load_fonts().main.regular  # registered once, outside the timings
    with tempfile.TemporaryDirectory() as folder:
        paths = {name: Path(folder, f"{number}.pdf") for number, name in enumerate(RUNS)}
        card_results = timed(
            {
                "canvas baseline": lambda: draw_baseline(cards, paths["canvas baseline"], font),
                "render_cards": lambda: render_cards(cards, paths["render_cards"], guide=True, shop_name=SHOP),
            },
            options.repeat,
        )
        envelope_results = timed(
            {
                "envelope baseline": lambda: draw_envelopes_baseline(mailings, paths["envelope baseline"], font),
                "render_envelopes": lambda: render_envelopes(
                    mailings, paths["render_envelopes"], home_country="KR", return_address=SENDER
                ),
            },
            options.repeat,
        )
        sizes = {name: path.stat().st_size for name, path in paths.items()}
    report(f"{options.cards} A6 cards, {options.repeat} runs each (taking turns)", card_results, sizes)
    print()
    report(f"{options.cards} C6 envelopes, {options.repeat} runs each (taking turns)", envelope_results, sizes)


RUNS = ("canvas baseline", "render_cards", "envelope baseline", "render_envelopes")


if __name__ == "__main__":
    main()
