"""Page geometry: where cards and labels sit on a sheet, and where the crop marks go.

All figures are PDF points (1/72 inch) with the origin at the bottom left of the page.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TypeVar

from reportlab.lib.pagesizes import A4, A6, LETTER
from reportlab.lib.units import inch, mm

from planner.core.errors import PrintoutError

PAPERS: dict[str, tuple[float, float]] = {"a4": A4, "letter": LETTER}

CROP_MARK_GAP = 4.0
CROP_MARK_LENGTH = 10 * mm

Line = tuple[float, float, float, float]
T = TypeVar("T")


@dataclass(frozen=True)
class Rect:
    """A rectangle on the page: bottom-left corner and size."""

    x: float
    y: float
    width: float
    height: float

    @property
    def top(self) -> float:
        """The y of the top edge."""
        return self.y + self.height


@dataclass(frozen=True)
class Sheet:
    """A page of cards or labels: its size, the slots in filling order, and its crop marks."""

    page_size: tuple[float, float]
    slots: tuple[Rect, ...]
    crop_marks: tuple[Line, ...] = ()


def _grid(
    page_size: tuple[float, float],
    size: tuple[float, float],
    columns: int,
    rows: int,
    *,
    left: float,
    top: float,
    pitch: tuple[float, float],
) -> tuple[Rect, ...]:
    """Slots in reading order (top row first, left to right)."""
    page_height = page_size[1]
    return tuple(
        Rect(left + column * pitch[0], page_height - top - row * pitch[1] - size[1], *size)
        for row in range(rows)
        for column in range(columns)
    )


def _crop_marks(page_size: tuple[float, float], slots: tuple[Rect, ...]) -> tuple[Line, ...]:
    """Marks for every cut line: outside the block of cards where the margin has room,
    otherwise (cards filling the paper) inward from the paper edge on the inner cuts."""
    page_width, page_height = page_size
    left, right = min(r.x for r in slots), max(r.x + r.width for r in slots)
    bottom, top = min(r.y for r in slots), max(r.top for r in slots)
    cuts_x = sorted({r.x for r in slots} | {r.x + r.width for r in slots})
    cuts_y = sorted({r.y for r in slots} | {r.top for r in slots})
    reach = CROP_MARK_GAP + CROP_MARK_LENGTH
    marks: list[Line] = []
    for x in cuts_x:
        for edge, paper_edge, out in ((bottom, 0.0, -1), (top, page_height, 1)):
            if abs(paper_edge - edge) >= reach:
                marks.append((x, edge + out * CROP_MARK_GAP, x, edge + out * reach))
            elif left < x < right:
                marks.append((x, paper_edge, x, paper_edge - out * CROP_MARK_LENGTH))
    for y in cuts_y:
        for edge, paper_edge, out in ((left, 0.0, -1), (right, page_width, 1)):
            if abs(paper_edge - edge) >= reach:
                marks.append((edge + out * CROP_MARK_GAP, y, edge + out * reach, y))
            elif bottom < y < top:
                marks.append((paper_edge, y, paper_edge - out * CROP_MARK_LENGTH, y))
    return tuple(marks)


def _centred_cards(page_size: tuple[float, float], card: tuple[float, float], columns: int, rows: int) -> Sheet:
    left = (page_size[0] - columns * card[0]) / 2
    top = (page_size[1] - rows * card[1]) / 2
    slots = _grid(page_size, card, columns, rows, left=left, top=top, pitch=card)
    return Sheet(page_size, slots, _crop_marks(page_size, slots) if len(slots) > 1 else ())


CARD_SHEETS: dict[str, Sheet] = {
    # One A6 card per page, for printing straight onto A6 card stock.
    "a6": _centred_cards(A6, A6, 1, 1),
    # Four A6 cards filling an A4 page, cut on the two centre lines.
    "a4x4": _centred_cards(A4, A6, 2, 2),
    # Two 6x4-inch (landscape) cards on US Letter, with room for crop marks all round.
    "letter4x6": _centred_cards(LETTER, (6 * inch, 4 * inch), 1, 2),
}

LABEL_SHEETS: dict[str, Sheet] = {
    # Avery 5160 and compatibles: 30 labels of 2.625 x 1 inch.
    "letter30": Sheet(
        LETTER,
        _grid(
            LETTER,
            (2.625 * inch, 1 * inch),
            3,
            10,
            left=0.1875 * inch,
            top=0.5 * inch,
            pitch=(2.75 * inch, inch),
        ),
    ),
    # 21 labels of 63.5 x 38.1 mm (Avery L7160 and compatibles).
    "a4x21": Sheet(
        A4,
        _grid(A4, (63.5 * mm, 38.1 * mm), 3, 7, left=7.2 * mm, top=15.15 * mm, pitch=(66.04 * mm, 38.1 * mm)),
    ),
}


# Envelopes, landscape, one per page (printers feed them one at a time). C6 takes an A6 card and DL
# a 4x6-inch card or an A4 sheet folded in three; A2 takes a 4.25x5.5-inch card and #10 a 4x6-inch
# card or a US Letter sheet folded in three.
ENVELOPES: dict[str, tuple[float, float]] = {
    "c6": (162 * mm, 114 * mm),
    "dl": (220 * mm, 110 * mm),
    "a2": (5.75 * inch, 4.375 * inch),
    "no10": (9.5 * inch, 4.125 * inch),
}
DEFAULT_ENVELOPE = {"a4": "c6", "letter": "a2"}


def choose(options: Mapping[str, T], name: str, what: str) -> T:
    """Look up a sheet or paper by name, or raise a one-line :class:`PrintoutError`."""
    try:
        return options[name]
    except KeyError:
        raise PrintoutError(f'unknown {what} "{name}" (choose {", ".join(options)})') from None
