"""Address labels on standard label sheets, and the packing list for the gifts among them.

Each label carries the recipient's address (see :mod:`printouts.addresses`) and, in a thin strip
at the top, the shop's return address and the mark that ties it to the log ("#12 · MK").
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from io import BytesIO
from pathlib import Path

from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Flowable, Paragraph, Spacer, Table

from printouts.addresses import address_blocks, draw_address, one_line, with_address
from printouts.data import Address, Mailing, PrintResult, ShelfLine
from printouts.documents import build_document, paragraph
from printouts.fonts import Fonts, load_fonts
from printouts.layouts import LABEL_SHEETS, PAPERS, Rect, choose
from printouts.marks import mark_text
from printouts.pdf_files import new_canvas, require, write_pdf
from printouts.styles import BRIEF_MARGIN, INK, LABEL_STYLE, MUTED, RULE, TINT, brief_styles, table_style
from printouts.text import clip, draw, wrap
from printouts.words import PACKING, language_of


def _draw_label(canvas: Canvas, rect: Rect, mailing: Mailing, sender: str, fonts: Fonts, home: str) -> None:
    style = LABEL_STYLE
    left, width = rect.x + style.padding_x, rect.width - 2 * style.padding_x
    top = rect.top - style.padding_y
    mark = mark_text(mailing.gesture_id, mailing.writer)
    if mark or sender:
        size = style.strip_size
        top -= size
        canvas.setFillColor(MUTED)
        mark_width = fonts.width(mark, size) + size if mark else 0.0
        if sender:
            fitted = clip(wrap(sender, fonts, size, width - mark_width), 1, fonts, size, width - mark_width)
            draw(canvas, left, top, fitted[0], fonts, size)
        if mark:
            draw(canvas, left + width, top, mark, fonts, size, align="right")
        top -= size * 0.6
    canvas.setFillColor(INK)
    box = Rect(left, rect.y + style.padding_y, width, top - rect.y - style.padding_y)
    draw_address(canvas, box, address_blocks(mailing.to, home), fonts, style.address)


def render_labels(
    mailings: Iterable[Mailing],
    path: Path,
    *,
    sheet: str = "letter30",
    home_country: str = "",
    return_address: Address | None = None,
    font_path: Path | None = None,
) -> PrintResult:
    """Write address labels to a PDF at ``path``, in the order given.

    ``sheet`` is "letter30" (Avery 5160: 30 per US Letter page) or "a4x21" (21 per A4 page).
    Each label has the recipient's address, and above it, small, the ``return_address`` and the
    gesture's mark. Labels without an address are not printed; their names are in the result's
    ``skipped``. The country line is left off for ``home_country`` (an ISO code such as "US").
    Raises :class:`PrintoutError` for an unknown sheet, a bad font, an unwritable path, or no
    label with an address.
    """
    printable, skipped = with_address(mailings, "labels")
    layout = choose(LABEL_SHEETS, sheet, "label sheet")
    fonts = load_fonts(font_path)
    sender = fonts.printable(one_line(return_address, home_country))[0] if return_address else ""
    buffer = BytesIO()
    canvas = new_canvas(buffer, layout.page_size, "Labels", fonts.main.regular)
    per_page = len(layout.slots)
    for start in range(0, len(printable), per_page):
        for rect, mailing in zip(layout.slots, printable[start : start + per_page], strict=False):
            _draw_label(canvas, rect, mailing, sender, fonts, home_country)
        canvas.showPage()
    canvas.save()
    write_pdf(path, buffer.getvalue())
    return PrintResult(Path(path), pages=-(-len(printable) // per_page), printed=len(printable), skipped=skipped)


def render_packing_list(
    mailings: Iterable[Mailing],
    path: Path,
    *,
    shelf: Sequence[ShelfLine] = (),
    paper: str = "a4",
    language: str = "en",
    title: str = "",
    font_path: Path | None = None,
) -> PrintResult:
    """Write the packing list to a PDF at ``path``: what to take off the shelf, then every parcel —
    its label's mark, who it is for, which gift, whose card goes with it, and a box to tick.

    ``shelf`` counts each gift: how many to pack, how many should be on hand and how many will be
    left. Every parcel is listed, including those without an address (flagged: they get no label).
    ``title`` is added to the heading (a shop name or week). ``language`` is "en" or "ko".
    Raises :class:`PrintoutError` for an unknown paper size, a bad font or an unwritable path.
    """
    mailings = list(mailings)
    require(mailings, "gifts")
    page_size = choose(PAPERS, paper, "paper size")
    fonts = load_fonts(font_path)
    words = PACKING[language_of(language)]
    styles = brief_styles(fonts)

    def cell(text: str, style: str = "cell") -> Paragraph:
        return paragraph(text, styles[style], fonts)

    usable = page_size[0] - 2 * BRIEF_MARGIN
    ruled = table_style(fonts, ("BACKGROUND", (0, 0), (-1, 0), TINT), ("LINEBELOW", (0, 0), (-1, -1), 0.4, RULE))
    heading = f"{words['title']} · {title}" if title.strip() else words["title"]
    story: list[Flowable] = [cell(heading, "writer"), Spacer(0, 8)]
    if shelf:
        rows: list[list[Flowable | str]] = [
            [cell(words[key], "head") for key in ("gift", "to_pack", "on_hand", "left_after")]
        ]
        for line in shelf:
            if line.on_hand is None:
                on_hand, left = cell(words["not_counted"], "meta"), cell("")
            else:
                counted = words["counted"].format(day=line.counted_on.isoformat() if line.counted_on else "?")
                sent = words["sent_since"].format(count=line.sent_since_count)
                on_hand = [cell(str(line.on_hand)), cell(f"{counted}, {sent}", "meta")]
                after = line.on_hand - line.to_pack
                left = cell(str(after), "flag" if after < 0 else "cell")
            rows.append([cell(line.gift, "name"), cell(str(line.to_pack)), on_hand, left])
        table = Table(rows, colWidths=[usable * 0.4, usable * 0.15, usable * 0.3, usable * 0.15], repeatRows=1)
        table.setStyle(ruled)
        story += [cell(words["shelf"], "label"), Spacer(0, 4), table, Spacer(0, 8), cell(words["stock_rule"], "meta")]
        story += [Spacer(0, 14), cell(words["parcels"], "label"), Spacer(0, 4)]
    rows = [[cell(words[key], "head") for key in ("mark", "customer", "gift", "card_head", "packed")]]
    for mailing in mailings:
        customer: list[Flowable] = [cell(mailing.to.name, "name")]
        if not mailing.has_address:
            customer.append(cell(words["no_address"], "flag"))
        card = words["card_by"].format(writer=mailing.writer) if mailing.writer else words["card"]
        gift = cell(mailing.gift) if mailing.gift else cell(words["no_gift"], "flag")
        rows.append([cell(mark_text(mailing.gesture_id, mailing.writer)), customer, gift, cell(card), cell("□")])
    table = Table(
        rows,
        colWidths=[usable * 0.14, usable * 0.3, usable * 0.3, usable * 0.18, usable * 0.08],
        repeatRows=1,
    )
    table.setStyle(ruled)
    story.append(table)
    pages = build_document(story, path, page_size=page_size, title=words["title"], footer=heading, fonts=fonts)
    return PrintResult(Path(path), pages=pages, printed=len(mailings))
