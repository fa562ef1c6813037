"""Gift sheets: address labels on standard label sheets, and a packing list to go with them.

Korean addresses run big to small (postal code, region and city, street) and end with the
name and 님; other addresses start with the name and end with city, region, postal code and
country. Text shrinks, then wraps, so nothing runs off a label.
"""

from __future__ import annotations

from collections.abc import Iterable
from io import BytesIO
from pathlib import Path

from reportlab.platypus import Flowable, Paragraph, Spacer, Table

from printouts.data import GiftLabel, PrintResult
from printouts.documents import build_document, paragraph
from printouts.fonts import Fonts, load_fonts
from printouts.layouts import LABEL_SHEETS, PAPERS, Rect, choose
from printouts.output import new_canvas, require, write_pdf
from printouts.styles import BRIEF_MARGIN, INK, LABEL_STYLE, RULE, TINT, brief_styles, table_style
from printouts.text import clip, draw, wrap
from printouts.words import HONORIFIC, PACKING, language_of

# (text, bold) pairs, top to bottom
Block = tuple[str, bool]


def address_blocks(label: GiftLabel, home_country: str = "") -> list[Block]:
    """The lines of a label before wrapping, in the order the country's post expects."""
    street = [line.strip() for line in label.street.splitlines() if line.strip()]
    if label.country.strip().upper() == "KR":
        blocks = [label.postal_code, f"{label.region} {label.city}", *street]
        return [(text, False) for text in blocks if text.strip()] + [(f"{label.name} {HONORIFIC}", True)]
    town = ", ".join(part for part in (label.city.strip(), f"{label.region} {label.postal_code}".strip()) if part)
    country = "" if label.country.strip().upper() == home_country.strip().upper() else label.country
    return [(label.name, True)] + [(text, False) for text in (*street, town, country) if text.strip()]


def _fit_label(blocks: list[Block], fonts: Fonts, width: float, height: float) -> tuple[float, list[Block]]:
    """The largest size at which the wrapped blocks fit; at the smallest, blocks keep one line each
    and trailing address lines go before the name does."""
    style = LABEL_STYLE
    size = style.max_size
    while size >= style.min_size:
        lines = [(line, bold) for text, bold in blocks for line in wrap(text, fonts, size, width, bold)]
        if len(lines) * size * style.leading <= height:
            return size, lines
        size -= 0.5
    size = style.min_size
    capacity = int(height // (size * style.leading))
    lines = [
        (clip(wrap(text, fonts, size, width, bold), 1, fonts, size, width, bold)[0], bold) for text, bold in blocks
    ]
    while len(lines) > capacity:
        last_address = max(index for index, (_, bold) in enumerate(lines) if not bold)
        del lines[last_address]
    return size, lines


def _draw_label(canvas, rect: Rect, blocks: list[Block], fonts: Fonts) -> None:
    style = LABEL_STYLE
    width = rect.width - 2 * style.padding_x
    height = rect.height - 2 * style.padding_y
    size, lines = _fit_label(blocks, fonts, width, height)
    leading = size * style.leading
    # Centre the block vertically: labels read better with even space above and below.
    y = rect.top - style.padding_y - (height - len(lines) * leading) / 2 - size
    for text, bold in lines:
        draw(canvas, rect.x + style.padding_x, y, text, fonts, size, bold=bold)
        y -= leading


def render_labels(
    labels: Iterable[GiftLabel],
    path: Path,
    *,
    sheet: str = "letter30",
    home_country: str = "",
    font_path: Path | None = None,
) -> PrintResult:
    """Write address labels to a PDF at ``path``, in the order given.

    ``sheet`` is "letter30" (Avery 5160: 30 per US Letter page) or "a4x21" (21 per A4 page).
    Labels without an address are not printed; their names are in the result's ``skipped``.
    The country line is left off for ``home_country`` (an ISO code such as "US").
    Raises :class:`PrintoutError` for an unknown sheet, a bad font, an unwritable path, or no
    label with an address.
    """
    labels = list(labels)
    printable = [label for label in labels if label.has_address]
    skipped = tuple(label.name for label in labels if not label.has_address)
    require(printable, "labels with an address" + (f" (skipped: {', '.join(skipped)})" if skipped else ""))
    layout = choose(LABEL_SHEETS, sheet, "label sheet")
    fonts = load_fonts(font_path)
    buffer = BytesIO()
    canvas = new_canvas(buffer, layout.page_size, "Labels", fonts.main.regular)
    per_page = len(layout.slots)
    for start in range(0, len(printable), per_page):
        canvas.setFillColor(INK)
        for rect, label in zip(layout.slots, printable[start : start + per_page], strict=False):
            blocks = [(fonts.printable(text)[0], bold) for text, bold in address_blocks(label, home_country)]
            _draw_label(canvas, rect, blocks, fonts)
        canvas.showPage()
    canvas.save()
    write_pdf(path, buffer.getvalue())
    return PrintResult(Path(path), pages=-(-len(printable) // per_page), printed=len(printable), skipped=skipped)


def render_packing_list(
    labels: Iterable[GiftLabel],
    path: Path,
    *,
    paper: str = "a4",
    language: str = "en",
    title: str = "",
    font_path: Path | None = None,
) -> PrintResult:
    """Write the packing list for gifts to a PDF at ``path``: customer, gift and note to enclose.

    Every gift is listed, including those without an address (marked, since they get no label).
    ``title`` is added to the heading (a shop name or week). ``language`` is "en" or "ko".
    Raises :class:`PrintoutError` for an unknown paper size, a bad font or an unwritable path.
    """
    labels = list(labels)
    require(labels, "gifts")
    page_size = choose(PAPERS, paper, "paper size")
    fonts = load_fonts(font_path)
    words = PACKING[language_of(language)]
    styles = brief_styles(fonts)

    def cell(text: str, style: str = "cell") -> Paragraph:
        return paragraph(text, styles[style], fonts)

    rows: list[list[Flowable | str]] = [
        [
            cell("", "head"),
            cell(words["customer"], "head"),
            cell(words["gift"], "head"),
            cell(words["note"], "head"),
        ]
    ]
    for number, label in enumerate(labels, start=1):
        customer: list[Flowable] = [cell(label.name, "name")]
        if not label.has_address:
            customer.append(cell(words["no_address"], "flag"))
        rows.append([cell(str(number)), customer, cell(label.gift), cell(label.note)])
    usable = page_size[0] - 2 * BRIEF_MARGIN
    table = Table(rows, colWidths=[24, usable * 0.3, usable * 0.25, usable * 0.45 - 24], repeatRows=1)
    table.setStyle(
        table_style(
            fonts,
            ("BACKGROUND", (0, 0), (-1, 0), TINT),
            ("LINEBELOW", (0, 0), (-1, -1), 0.4, RULE),
        )
    )
    heading = f"{words['title']} · {title}" if title.strip() else words["title"]
    story: list[Flowable] = [cell(heading, "writer"), Spacer(0, 8), table]
    pages = build_document(story, path, page_size=page_size, title=words["title"], footer=heading, fonts=fonts)
    return PrintResult(Path(path), pages=pages, printed=len(labels))
