"""Fonts: the bundled Delight Gothic (a Nanum Gothic subset) and an optional brand font.

Every printout draws through a :class:`Fonts`, which knows which characters it can print.
Text goes through :meth:`Fonts.printable` first, so a character no font has never reaches
ReportLab (which would silently draw an empty box): emoji and other pictographs are dropped
(they are decoration), and letters of scripts no font covers (Arabic, Hebrew, ...) become
``□`` so a reader sees that something is missing.
"""

from __future__ import annotations

import hashlib
import unicodedata
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from xml.sax.saxutils import escape

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFError, TTFont

from planner.core.errors import PrintoutError

FONT_DIR = Path(__file__).parent / "fonts"
BUNDLED_REGULAR = FONT_DIR / "DelightGothic-Regular.ttf"
BUNDLED_BOLD = FONT_DIR / "DelightGothic-Bold.ttf"

MISSING = "□"
# Categories dropped rather than replaced: controls, format characters (zero-width
# joiners, direction marks), combining marks, and symbols (emoji, skin-tone modifiers).
_DROPPED_CATEGORIES = frozenset({"Cc", "Cf", "Co", "Cn", "Cs", "Mn", "Mc", "Me", "So", "Sk"})


@dataclass(frozen=True)
class Face:
    """One registered typeface: its regular and bold ReportLab names and the characters it has."""

    regular: str
    bold: str
    codepoints: frozenset[int]

    def name(self, bold: bool) -> str:
        """The registered font name for the weight."""
        return self.bold if bold else self.regular


class Fonts:
    """The faces for one printout: a main face, and the bundled face for what the main one lacks."""

    def __init__(self, main: Face, fallback: Face | None = None) -> None:
        self.main = main
        self.fallback = fallback
        self._printable = main.codepoints | (fallback.codepoints if fallback else frozenset())

    def printable(self, text: str) -> tuple[str, bool]:
        """Return ``text`` on one line as it can be printed, and whether nothing was replaced.

        Whitespace runs (newlines too) become one space; emoji and other symbols the fonts
        lack are dropped; any other missing character becomes ``□`` and makes the flag false.
        """
        complete = True
        if not self._printable.issuperset(map(ord, text)):
            kept = []
            for char in text:
                if char.isspace() or ord(char) in self._printable:
                    kept.append(char)
                elif unicodedata.category(char) not in _DROPPED_CATEGORIES:
                    kept.append(MISSING)
                    complete = False
            text = "".join(kept)
        return " ".join(text.split()), complete

    def runs(self, text: str, bold: bool = False) -> list[tuple[str, str]]:
        """Split printable text into ``(font name, text)`` runs, using the fallback where needed."""
        main = self.main.name(bold)
        if self.fallback is None or self.main.codepoints.issuperset(map(ord, text)):
            return [(main, text)]
        fallback = self.fallback.name(bold)
        runs: list[tuple[str, str]] = []
        for char in text:
            font = main if char == " " or ord(char) in self.main.codepoints else fallback
            if runs and runs[-1][0] == font:
                runs[-1] = (font, runs[-1][1] + char)
            else:
                runs.append((font, char))
        return runs

    def width(self, text: str, size: float, bold: bool = False) -> float:
        """Width in points of printable ``text`` at ``size``."""
        if self.fallback is None:
            return pdfmetrics.stringWidth(text, self.main.name(bold), size)
        return sum(pdfmetrics.stringWidth(part, font, size) for font, part in self.runs(text, bold))

    def markup(self, text: str, bold: bool = False) -> str:
        """Printable text as Platypus paragraph markup: escaped, fallback runs in ``<font>`` tags."""
        main = self.main.name(bold)
        return "".join(
            escape(part) if font == main else f'<font face="{font}">{escape(part)}</font>'
            for font, part in self.runs(text, bold)
        )


def _register(name: str, path: Path) -> frozenset[int]:
    """Register ``path`` with ReportLab as ``name``; return the characters it has."""
    if not path.is_file():
        raise PrintoutError(f"font file not found: {path} (give the path of a TrueType .ttf file)")
    try:
        font = TTFont(name, str(path))
    except TTFError as error:
        reason = str(error).replace(f'TTF file "{path}": ', "")
        raise PrintoutError(
            f"font {path}: {reason}; use a TrueType (.ttf) font, OpenType/CFF (.otf) cannot be embedded"
        ) from None
    except Exception:  # ReportLab's parser trips over a damaged file in many ways (KeyError, ...)
        raise PrintoutError(f"font {path} is damaged or not a font: use a TrueType (.ttf) font file") from None
    pdfmetrics.registerFont(font)
    return frozenset(font.face.charToGlyph)


@cache
def _bundled_face() -> Face:
    codepoints = _register("DelightGothic", BUNDLED_REGULAR)
    _register("DelightGothic-Bold", BUNDLED_BOLD)
    pdfmetrics.registerFontFamily(
        "DelightGothic",
        normal="DelightGothic",
        bold="DelightGothic-Bold",
        italic="DelightGothic",
        boldItalic="DelightGothic-Bold",
    )
    return Face("DelightGothic", "DelightGothic-Bold", codepoints)


@cache
def _brand_face(path: Path) -> Face:
    # A stable name per file keeps output deterministic and lets two brand fonts coexist.
    name = "Brand-" + hashlib.sha1(str(path).encode()).hexdigest()[:10]
    codepoints = _register(name, path)
    pdfmetrics.registerFontFamily(name, normal=name, bold=name, italic=name, boldItalic=name)
    return Face(name, name, codepoints)


def load_fonts(font_path: Path | None = None) -> Fonts:
    """The fonts for a printout: the bundled face, or a shop's TrueType font backed by it.

    Raises :class:`PrintoutError` if ``font_path`` is missing or not an embeddable TrueType font.
    """
    bundled = _bundled_face()
    if font_path is None:
        return Fonts(bundled)
    return Fonts(_brand_face(Path(font_path).resolve()), fallback=bundled)
