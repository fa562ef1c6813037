"""Colours, type sizes and paragraph styles: how printouts look, apart from what they say."""

from __future__ import annotations

from dataclasses import dataclass

from reportlab.lib.colors import HexColor
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A6
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import TableStyle

from printouts.fonts import Fonts

INK = HexColor("#2F2A26")
ACCENT = HexColor("#A8664B")
RULE = HexColor("#DCD2C6")
GUIDE = HexColor("#ADA7A1")
MUTED = HexColor("#7C736B")
WARNING = HexColor("#A8281E")
TINT = HexColor("#F6F0E8")
CROP_MARK = HexColor("#555555")


@dataclass(frozen=True)
class CardStyle:
    """Type sizes and spacing for one card size (in points)."""

    margin: float
    brand_size: float
    brand_char_space: float
    greeting_size: float
    greeting_min_size: float
    guide_size: float
    guide_max_lines: int
    line_pitch: float
    closing_size: float
    signature_width: float
    name_blank_width: float
    mark_size: float


def card_style(width: float, height: float) -> CardStyle:
    """The card style scaled to a card's size; an A6 card is the reference."""
    scale = min(width, height) / A6[0]
    return CardStyle(
        margin=12 * mm * scale,
        brand_size=7.5 * scale,
        brand_char_space=1.6 * scale,
        greeting_size=17 * scale,
        greeting_min_size=10 * scale,
        guide_size=7.5 * scale,
        guide_max_lines=3,
        line_pitch=22 * scale,
        closing_size=9 * scale,
        signature_width=95 * scale,
        name_blank_width=80 * scale,
        mark_size=5.5 * scale,
    )


@dataclass(frozen=True)
class AddressStyle:
    """Type sizes for an address block (in points)."""

    max_size: float = 10.0
    min_size: float = 6.0
    leading: float = 1.2


@dataclass(frozen=True)
class LabelStyle:
    """Address labels: padding, the strip with the return address and mark, and the address."""

    padding_x: float = 9.0
    padding_y: float = 5.0
    strip_size: float = 5.5
    address: AddressStyle = AddressStyle()


LABEL_STYLE = LabelStyle()


@dataclass(frozen=True)
class EnvelopeStyle:
    """Envelopes: margins, the return address, the recipient's block and the mark (in points)."""

    margin: float = 10 * mm
    sender: AddressStyle = AddressStyle(max_size=8.5, min_size=6.0, leading=1.3)
    recipient: AddressStyle = AddressStyle(max_size=13.0, min_size=8.0, leading=1.35)
    mark_size: float = 6.0


ENVELOPE_STYLE = EnvelopeStyle()
BRIEF_MARGIN = 18 * mm


def brief_styles(fonts: Fonts) -> dict[str, ParagraphStyle]:
    """Paragraph styles for briefs and packing lists, set in the printout's fonts."""
    regular, bold = fonts.main.regular, fonts.main.bold
    body = ParagraphStyle("body", fontName=regular, fontSize=9.5, leading=13.5, textColor=INK)
    return {
        "body": body,
        "title": ParagraphStyle("title", body, fontName=bold, fontSize=24, leading=30, spaceAfter=4),
        "subtitle": ParagraphStyle("subtitle", body, fontSize=13, leading=18, textColor=MUTED, spaceAfter=18),
        "writer": ParagraphStyle(
            "writer", body, fontName=bold, fontSize=16, leading=21, textColor=ACCENT, spaceAfter=4
        ),
        "kind": ParagraphStyle("kind", body, fontName=bold, fontSize=12, leading=16, spaceBefore=8, spaceAfter=6),
        "name": ParagraphStyle("name", body, fontName=bold, fontSize=11.5, leading=15),
        "meta": ParagraphStyle("meta", body, fontSize=8.5, leading=12, textColor=MUTED, spaceAfter=4),
        "label": ParagraphStyle(
            "label", body, fontName=bold, fontSize=7.5, leading=10, textColor=ACCENT, spaceBefore=4
        ),
        "quote": ParagraphStyle("quote", body, leftIndent=8, borderPadding=(0, 0, 0, 6)),
        "flag": ParagraphStyle("flag", body, fontName=bold, fontSize=8.5, leading=12, textColor=WARNING),
        "opener": ParagraphStyle("opener", body, fontSize=10.5, leading=15, backColor=TINT, borderPadding=5),
        "cell": ParagraphStyle("cell", body, fontSize=9, leading=12.5),
        "mark": ParagraphStyle("mark", body, fontSize=7.5, leading=10, textColor=MUTED, alignment=TA_RIGHT),
        "phone": ParagraphStyle("phone", body, fontName=bold, fontSize=16, leading=21, spaceAfter=2),
        "head": ParagraphStyle("head", body, fontName=bold, fontSize=8.5, leading=11, textColor=MUTED),
    }


def table_style(fonts: Fonts, *commands: tuple) -> TableStyle:
    """A table style in the printout's font (tables default to an unembedded Helvetica)."""
    return TableStyle(
        [
            ("FONTNAME", (0, 0), (-1, -1), fonts.main.regular),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("TOPPADDING", (0, 0), (-1, -1), 5),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 5),
            *commands,
        ]
    )
