"""Document assembly for flowing printouts (briefs, packing lists): page templates and build."""

from __future__ import annotations

from io import BytesIO
from pathlib import Path

from reportlab.lib.styles import ParagraphStyle
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import BaseDocTemplate, Flowable, Frame, PageTemplate, Paragraph

from printouts.fonts import Fonts
from printouts.pdf_files import INVARIANT, write_pdf
from printouts.styles import BRIEF_MARGIN, MUTED
from printouts.text import draw

COVER = "cover"
BODY = "body"


def paragraph(text: str, style: ParagraphStyle, fonts: Fonts) -> Paragraph:
    """A paragraph of any text (names, reviews): made printable and escaped, never read as markup."""
    bold = style.fontName == fonts.main.bold
    return Paragraph(fonts.markup(fonts.printable(text)[0], bold), style)


def build_document(
    story: list[Flowable],
    path: Path,
    *,
    page_size: tuple[float, float],
    title: str,
    footer: str,
    fonts: Fonts,
    cover: bool = False,
) -> int:
    """Lay out ``story`` on pages with a footer ending in the page number; return the page count.

    With ``cover``, the first page has no footer; the story switches to the ``BODY`` template.
    """
    width, height = page_size
    frame = Frame(BRIEF_MARGIN, BRIEF_MARGIN, width - 2 * BRIEF_MARGIN, height - 2 * BRIEF_MARGIN, id="text")
    footer_text = fonts.printable(footer)[0]

    def draw_footer(canvas: Canvas, document: BaseDocTemplate) -> None:
        canvas.setFillColor(MUTED)
        text = f"{footer_text}  ·  {document.page}"
        draw(canvas, width - BRIEF_MARGIN, BRIEF_MARGIN / 2, text, fonts, 7.5, align="right")

    templates = [PageTemplate(BODY, [frame], onPage=draw_footer)]
    if cover:
        templates.insert(0, PageTemplate(COVER, [frame]))
    buffer = BytesIO()
    document = BaseDocTemplate(
        buffer,
        pagesize=page_size,
        pageTemplates=templates,
        title=title,
        invariant=INVARIANT,
        initialFontName=fonts.main.regular,
    )
    document.build(story)
    write_pdf(path, buffer.getvalue())
    return document.page
