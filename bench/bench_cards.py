"""How much does render_cards cost over drawing the same text with bare ReportLab canvas calls?

Run from the repository root:  python bench/bench_cards.py [--cards 1000] [--repeat 5]

Both sides draw 1,000 A6 pages in the bundled font with the same strings (shop name,
greeting, two guide lines, ruled lines, closing, signature line) into a file. The baseline
gets its strings ready-made; render_cards also sorts, cleans, measures and fits them.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import textwrap
import time
from collections.abc import Callable
from pathlib import Path

from reportlab.lib.pagesizes import A6
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from printouts import NoteCard, render_cards
from printouts.fonts import load_fonts
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
        cards.append(NoteCard(name, language, KINDS[number % 2], opener, first_name=given, writer=writer))
    return cards


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
    for greeting, guide_lines, closing in pages:
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cards", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=5)
    options = parser.parse_args()
    cards = make_cards(options.cards)
    font = load_fonts().main.regular  # registered once, outside the timings
    with tempfile.TemporaryDirectory() as folder:
        ours, bare = Path(folder, "cards.pdf"), Path(folder, "baseline.pdf")
        results = timed(
            {
                "canvas baseline": lambda: draw_baseline(cards, bare, font),
                "render_cards": lambda: render_cards(cards, ours, guide=True, shop_name=SHOP),
            },
            options.repeat,
        )
        sizes = {"canvas baseline": bare.stat().st_size, "render_cards": ours.stat().st_size}
    best_base = min(results["canvas baseline"])
    median_base = statistics.median(results["canvas baseline"])
    print(f"{options.cards} A6 cards, {options.repeat} runs each (taking turns)")
    print(f"{'':16} {'best s':>7} {'median s':>9} {'bytes':>9} {'ratio best':>11} {'ratio median':>13}")
    for name, seconds in results.items():
        best, median = min(seconds), statistics.median(seconds)
        print(
            f"{name:16} {best:7.3f} {median:9.3f} {sizes[name]:9,} "
            f"{best / best_base:11.2f} {median / median_base:13.2f}"
        )


if __name__ == "__main__":
    main()
