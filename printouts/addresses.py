"""Addresses on paper: the lines in the order the country's post expects, fitted into a box.

Korean addresses run big to small (postal code, region and city, street) and end with the
name (and 님 for the person the post is for); other addresses start with the name and end with
city, region, postal code and country. Text shrinks, then wraps, so nothing runs off its box.
"""

from __future__ import annotations

from collections.abc import Iterable

from reportlab.pdfgen.canvas import Canvas

from printouts.data import Address, Mailing
from printouts.fonts import Fonts
from printouts.layouts import Rect
from printouts.pdf_files import require
from printouts.styles import AddressStyle
from printouts.text import clip, draw, wrap
from printouts.words import HONORIFIC

# (text, bold) pairs, top to bottom
Block = tuple[str, bool]


def address_blocks(address: Address, home_country: str = "", *, honorific: bool = True) -> list[Block]:
    """The lines of an address before wrapping, in the order the country's post expects.

    ``honorific`` adds 님 after a Korean recipient's name (not after the shop's, on a return address).
    The country line is left off for ``home_country``.
    """
    street = [line.strip() for line in address.street.splitlines() if line.strip()]
    if address.country.strip().upper() == "KR":
        blocks = [address.postal_code, f"{address.region} {address.city}", *street]
        name = f"{address.name} {HONORIFIC}" if honorific else address.name
        return [(text.strip(), False) for text in blocks if text.strip()] + [(name, True)]
    town = ", ".join(part for part in (address.city.strip(), f"{address.region} {address.postal_code}".strip()) if part)
    country = "" if address.country.strip().upper() == home_country.strip().upper() else address.country
    return [(address.name, True)] + [(text, False) for text in (*street, town, country) if text.strip()]


def fit_blocks(
    blocks: list[Block], fonts: Fonts, width: float, height: float, style: AddressStyle
) -> tuple[float, list[Block]]:
    """The largest size at which the wrapped blocks fit; at the smallest, blocks keep one line each
    and trailing address lines go before the name does."""
    blocks = [(fonts.printable(text)[0], bold) for text, bold in blocks]
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


def draw_address(
    canvas: Canvas, box: Rect, blocks: list[Block], fonts: Fonts, style: AddressStyle, *, centre: bool = True
) -> None:
    """Draw the blocks as large as fits inside ``box``: centred vertically, or from its top."""
    size, lines = fit_blocks(blocks, fonts, box.width, box.height, style)
    leading = size * style.leading
    spare = box.height - len(lines) * leading
    y = box.top - (spare / 2 if centre else 0) - size
    for text, bold in lines:
        draw(canvas, box.x, y, text, fonts, size, bold=bold)
        y -= leading


def one_line(address: Address, home_country: str = "") -> str:
    """A return address on one line: "마루 잡화점 · 04782 서울특별시 성동구 성수이로 7길 12"."""
    blocks = address_blocks(address, home_country, honorific=False)
    if address.country.strip().upper() == "KR":
        blocks = blocks[-1:] + blocks[:-1]
    return " · ".join([blocks[0][0], " ".join(text for text, _bold in blocks[1:])]).strip(" ·")


def with_address(mailings: Iterable[Mailing], what: str) -> tuple[list[Mailing], tuple[str, ...]]:
    """The mailings there is an address for, and the names of those left out; refuses none at all."""
    mailings = list(mailings)
    printable = [mailing for mailing in mailings if mailing.has_address]
    skipped = tuple(mailing.to.name for mailing in mailings if not mailing.has_address)
    require(printable, f"{what} with an address" + (f" (skipped: {', '.join(skipped)})" if skipped else ""))
    return printable, skipped
