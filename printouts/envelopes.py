"""Envelopes to write on: the return address at the top left, the recipient's address below and
to the right (Korean addresses big to small, the name last), and the gesture's mark, small, at the
bottom left. One envelope per page, at the envelope's own size.
"""

from __future__ import annotations

from collections.abc import Iterable
from io import BytesIO
from pathlib import Path

from printouts.addresses import address_blocks, draw_address, with_address
from printouts.data import Address, Mailing, PrintResult
from printouts.fonts import load_fonts
from printouts.layouts import ENVELOPES, Rect, choose
from printouts.marks import mark_text
from printouts.pdf_files import new_canvas, write_pdf
from printouts.styles import ENVELOPE_STYLE, GUIDE, INK, MUTED
from printouts.text import draw


def render_envelopes(
    mailings: Iterable[Mailing],
    path: Path,
    *,
    size: str = "c6",
    home_country: str = "",
    return_address: Address | None = None,
    font_path: Path | None = None,
) -> PrintResult:
    """Write one envelope per mailing with an address to a PDF at ``path``, in the order given.

    ``size`` is "c6" or "dl" (A4 countries) or "a2" or "no10" (#10; US Letter countries).
    Mailings without an address are left out and named in the result's ``skipped``; the
    country line is left off for ``home_country``. Raises :class:`PrintoutError` for an unknown
    size, a bad font, an unwritable path, or nothing with an address.
    """
    printable, skipped = with_address(mailings, "envelopes")
    width, height = page_size = choose(ENVELOPES, size, "envelope size")
    fonts = load_fonts(font_path)
    style = ENVELOPE_STYLE
    margin = style.margin
    # Long envelopes (DL, #10) put the recipient further right; both keep the top left for the sender.
    recipient_left = width * (0.45 if width / height > 1.7 else 0.40)
    sender_box = Rect(margin, height * 0.62, width * 0.5 - margin, height * 0.38 - margin)
    recipient_box = Rect(recipient_left, margin * 1.6, width - recipient_left - margin, height * 0.52 - margin * 1.6)
    sender = address_blocks(return_address, home_country, honorific=False) if return_address else []
    buffer = BytesIO()
    canvas = new_canvas(buffer, page_size, "Envelopes", fonts.main.regular)
    for mailing in printable:
        if sender:
            canvas.setFillColor(MUTED)
            draw_address(canvas, sender_box, sender, fonts, style.sender, centre=False)
        canvas.setFillColor(INK)
        draw_address(canvas, recipient_box, address_blocks(mailing.to, home_country), fonts, style.recipient)
        mark = mark_text(mailing.gesture_id, mailing.writer)
        if mark:
            canvas.setFillColor(GUIDE)
            draw(canvas, margin, margin * 0.6, mark, fonts, style.mark_size)
        canvas.showPage()
    canvas.save()
    write_pdf(path, buffer.getvalue())
    return PrintResult(Path(path), pages=len(printable), printed=len(printable), skipped=skipped)
