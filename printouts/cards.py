"""Note cards: the shop's name (or a small ornament), a greeting, ruled lines to write on and a
signature line; at the bottom left, small and light, the mark that ties the card to its envelope
and to the log ("#12 · MK").

Cards are drawn with the canvas API (Platypus costs about twice as much for this).
Nothing on a card says how it was chosen.
"""

from __future__ import annotations

from collections.abc import Iterable
from io import BytesIO
from pathlib import Path

from reportlab.pdfgen.canvas import Canvas

from printouts.data import NoteCard, PrintResult, stack_order
from printouts.fonts import Fonts, load_fonts
from printouts.layouts import CARD_SHEETS, Line, Rect, choose
from printouts.marks import mark_text
from printouts.pdf_files import new_canvas, require, write_pdf
from printouts.styles import ACCENT, CROP_MARK, GUIDE, INK, MUTED, RULE, CardStyle, card_style
from printouts.text import clip, draw, fit_size, wrap
from printouts.words import CLOSING, GREETING, Language, language_of, without_address


def _fit_line(text: str, fonts: Fonts, width: float, size: float, min_size: float) -> tuple[str, float]:
    """Shrink ``text`` to fit one line down to ``min_size``; below that, cut it with an ellipsis."""
    fitted = fit_size(text, fonts, width, size, min_size)
    if fitted is not None:
        return text, fitted
    return clip(wrap(text, fonts, min_size, width), 1, fonts, min_size, width)[0], min_size


class _CardPainter:
    """Draws cards of one size and look; what is the same on every card is worked out once."""

    def __init__(
        self, canvas: Canvas, fonts: Fonts, style: CardStyle, card_width: float, shop_name: str, guide: bool
    ) -> None:
        self.canvas = canvas
        self.fonts = fonts
        self.style = style
        self.guide = guide
        self.width = card_width - 2 * style.margin
        brand = fonts.printable(shop_name)[0]
        self.brand_size = style.brand_size
        self.brand_char_space = style.brand_char_space
        if brand and fonts.width(brand, style.brand_size) + style.brand_char_space * len(brand) > self.width:
            self.brand_char_space = 0.0
            brand, self.brand_size = _fit_line(brand, fonts, self.width, style.brand_size, style.brand_size * 0.7)
        self.brand = brand
        # Left edge of the centred brand line, from the card's left margin.
        self.brand_offset = (
            self.width - fonts.width(brand, self.brand_size) - self.brand_char_space * max(len(brand) - 1, 0)
        ) / 2

    def draw(self, card: NoteCard, rect: Rect) -> None:
        """Draw one card inside ``rect``."""
        style = self.style
        left = rect.x + style.margin
        y = self._brand(left, rect.top - style.margin)
        y = self._greeting(card, left, self.width, y)
        if self.guide and card.opener.strip():
            opener = without_address(card.opener, (card.first_name, card.display_name))
            y = self._guide(opener, left, self.width, y)
        signature_top = rect.y + style.margin + 4.2 * style.closing_size
        self._lines(left, self.width, y, signature_top)
        self._signature(language_of(card.language), left + self.width, rect.y + style.margin)
        mark = mark_text(card.gesture_id, card.writer)
        if mark:
            self.canvas.setFillColor(GUIDE)
            draw(self.canvas, left, rect.y + style.margin * 0.4, mark, self.fonts, style.mark_size)

    def _brand(self, left: float, y: float) -> float:
        """The shop's name over a short rule; without a name, the rule alone, so every card opens alike."""
        canvas, size = self.canvas, self.brand_size
        y -= size
        if self.brand:
            canvas.setFillColor(ACCENT)
            draw(canvas, left + self.brand_offset, y, self.brand, self.fonts, size, char_space=self.brand_char_space)
        y -= size
        centre = left + self.width / 2
        canvas.setStrokeColor(ACCENT)
        canvas.setLineWidth(0.6)
        canvas.line(centre - 1.6 * size, y, centre + 1.6 * size, y)
        return y - size

    def _greeting(self, card: NoteCard, left: float, width: float, y: float) -> float:
        style, canvas, fonts = self.style, self.canvas, self.fonts
        prefix, suffix = GREETING[language_of(card.language)]
        name, complete = fonts.printable(card.first_name)
        if not name:
            name, complete = fonts.printable(card.display_name)
        canvas.setFillColor(INK)
        if not (name and complete):
            # A name the fonts cannot print is left blank for the writer to fill in by hand.
            size = style.greeting_size
            y -= size * 1.3
            draw(canvas, left, y, prefix, fonts, size)
            blank_left = left + fonts.width(prefix, size)
            blank_right = blank_left + style.name_blank_width
            canvas.setStrokeColor(MUTED)
            canvas.setLineWidth(0.6)
            canvas.line(blank_left, y - 2, blank_right, y - 2)
            draw(canvas, blank_right + 1, y, suffix, fonts, size)
            return y
        text = f"{prefix}{name}{suffix}"
        size = fit_size(text, fonts, width, style.greeting_size, style.greeting_min_size)
        if size is None:
            size = style.greeting_min_size
            lines = clip(wrap(text, fonts, size, width), 2, fonts, size, width)
        else:
            lines = [text]
        y -= style.greeting_size * 0.3
        for line in lines:
            y -= size * 1.25
            draw(canvas, left, y, line, fonts, size)
        return y

    def _guide(self, opener: str, left: float, width: float, y: float) -> float:
        style, fonts = self.style, self.fonts
        size = style.guide_size
        text = fonts.printable(opener)[0]
        lines = clip(wrap(text, fonts, size, width), style.guide_max_lines, fonts, size, width)
        self.canvas.setFillColor(GUIDE)
        y -= size * 0.6
        for line in lines:
            y -= size * 1.4
            draw(self.canvas, left, y, line, fonts, size)
        return y

    def _lines(self, left: float, width: float, top: float, bottom: float) -> None:
        pitch = self.style.line_pitch
        rules: list[Line] = []
        y = top - pitch
        while y >= bottom:
            rules.append((left, y, left + width, y))
            y -= pitch
        self.canvas.setStrokeColor(RULE)
        self.canvas.setLineWidth(0.5)
        self.canvas.lines(rules)

    def _signature(self, language: Language, right: float, baseline: float) -> None:
        style, canvas, fonts = self.style, self.canvas, self.fonts
        size = style.closing_size
        closing = CLOSING[language]
        line_left = right - style.signature_width
        line_right = right
        canvas.setFillColor(MUTED)
        if language == "ko":
            draw(canvas, right, baseline, closing, fonts, size, align="right")
            line_right = right - fonts.width(closing, size) - size * 0.5
        else:
            draw(canvas, line_left, baseline + 2.2 * size, closing, fonts, size)
        canvas.setStrokeColor(MUTED)
        canvas.setLineWidth(0.5)
        canvas.line(line_left, baseline - 1, line_right, baseline - 1)


def render_cards(
    cards: Iterable[NoteCard],
    path: Path,
    *,
    layout: str = "a6",
    guide: bool = False,
    shop_name: str = "",
    font_path: Path | None = None,
) -> PrintResult:
    """Write note cards to a PDF at ``path``, one writer's stack after another.

    ``layout`` is "a6" (one A6 card per page), "a4x4" (four A6 cards per A4 page, with crop
    marks) or "letter4x6" (two 6x4-inch cards per US Letter page, with crop marks).
    ``guide`` prints each card's suggested opener small and light for the writer to copy.
    ``font_path`` is a shop's own TrueType font; characters it lacks use the bundled font.
    Raises :class:`PrintoutError` for an unknown layout, a bad font or an unwritable path.
    """
    ordered = sorted(cards, key=stack_order)
    require(ordered, "cards")
    sheet = choose(CARD_SHEETS, layout, "card layout")
    fonts = load_fonts(font_path)
    slot = sheet.slots[0]
    buffer = BytesIO()
    canvas = new_canvas(buffer, sheet.page_size, shop_name or "Cards", fonts.main.regular)
    painter = _CardPainter(canvas, fonts, card_style(slot.width, slot.height), slot.width, shop_name, guide)
    per_page = len(sheet.slots)
    for start in range(0, len(ordered), per_page):
        if sheet.crop_marks:
            canvas.setStrokeColor(CROP_MARK)
            canvas.setLineWidth(0.3)
            canvas.lines(sheet.crop_marks)
        for rect, card in zip(sheet.slots, ordered[start : start + per_page], strict=False):
            painter.draw(card, rect)
        canvas.showPage()
    canvas.save()
    write_pdf(path, buffer.getvalue())
    return PrintResult(Path(path), pages=-(-len(ordered) // per_page), printed=len(ordered))
