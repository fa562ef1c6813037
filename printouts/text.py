"""Measuring, wrapping and drawing printable text on a ReportLab canvas.

All text here has already been through :meth:`Fonts.printable`: one line, no characters
the fonts lack. Widths come from ``pdfmetrics.stringWidth`` so nothing is drawn past the
width it was given.
"""

from __future__ import annotations

from typing import Literal

from reportlab.pdfgen.canvas import Canvas

from printouts.fonts import Fonts

ELLIPSIS = "…"
Align = Literal["left", "right"]


def fit_size(text: str, fonts: Fonts, width: float, max_size: float, min_size: float) -> float | None:
    """The largest size from ``max_size`` down to ``min_size`` at which ``text`` fits on one line."""
    unit_width = fonts.width(text, 1)
    if unit_width * max_size <= width:
        return max_size
    size = width / unit_width
    return size if size >= min_size else None


def _fitting_prefix(text: str, fonts: Fonts, size: float, width: float, bold: bool) -> int:
    """How many leading characters of ``text`` fit in ``width`` (at least one, to make progress)."""
    total = 0.0
    for index, char in enumerate(text):
        total += fonts.width(char, size, bold)
        if total > width:
            return max(index, 1)
    return len(text)


def wrap(text: str, fonts: Fonts, size: float, width: float, bold: bool = False) -> list[str]:
    """Break ``text`` into lines no wider than ``width``: at spaces, inside a word only if it must."""
    if fonts.width(text, size, bold) <= width:
        return [text] if text else []
    space = fonts.width(" ", size, bold)
    lines: list[str] = []
    current, current_width = "", 0.0
    for word in text.split(" "):
        # Widths add up because ReportLab does not kern, so each word is measured once.
        word_width = fonts.width(word, size, bold)
        if current and current_width + space + word_width <= width:
            current, current_width = f"{current} {word}", current_width + space + word_width
            continue
        if current:
            lines.append(current)
        while word_width > width:
            cut = _fitting_prefix(word, fonts, size, width, bold)
            lines.append(word[:cut])
            word = word[cut:]
            word_width = fonts.width(word, size, bold)
        current, current_width = word, word_width
    if current:
        lines.append(current)
    return lines


def clip(lines: list[str], max_lines: int, fonts: Fonts, size: float, width: float, bold: bool = False) -> list[str]:
    """Keep at most ``max_lines`` lines, ending the last kept one with an ellipsis if any were cut."""
    if len(lines) <= max_lines:
        return lines
    last = lines[max_lines - 1]
    while last and fonts.width(last + ELLIPSIS, size, bold) > width:
        last = last[:-1]
    return [*lines[: max_lines - 1], last.rstrip() + ELLIPSIS]


def draw(
    canvas: Canvas,
    x: float,
    y: float,
    text: str,
    fonts: Fonts,
    size: float,
    *,
    bold: bool = False,
    align: Align = "left",
    char_space: float = 0.0,
) -> None:
    """Draw one line of printable text with its baseline at ``y``, aligned on ``x``."""
    runs = fonts.runs(text, bold)
    if align != "left":
        width = fonts.width(text, size, bold) + char_space * max(len(text) - 1, 0)
        x -= width
    for font, part in runs:
        canvas.setFont(font, size)
        canvas.drawString(x, y, part, charSpace=char_space)
        if len(runs) > 1:
            x += fonts.width(part, size, bold) + char_space * len(part)
