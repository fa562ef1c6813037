"""Making and writing PDF files: deterministic bytes, and errors a user can act on."""

from __future__ import annotations

from io import BytesIO
from pathlib import Path

from reportlab.pdfgen.canvas import Canvas

from planner.core.errors import PrintoutError
from planner.files.output_files import write_output_file

# invariant=1 fixes the creation date and document id, so the same data gives the same bytes.
INVARIANT = 1


def new_canvas(buffer: BytesIO, page_size: tuple[float, float], title: str, font_name: str) -> Canvas:
    """A canvas writing into ``buffer`` that produces the same bytes for the same drawing.

    ``font_name`` replaces ReportLab's initial Helvetica, which would otherwise be listed,
    unembedded, in every page's resources.
    """
    canvas = Canvas(buffer, pagesize=page_size, invariant=INVARIANT, pageCompression=1, initialFontName=font_name)
    canvas.setTitle(title)
    return canvas


def write_pdf(path: Path, data: bytes) -> None:
    """Write finished PDF bytes to ``path`` (whole, after rendering succeeded; never over a file that
    is not a PDF)."""
    write_output_file(Path(path), "pdf", data)


def require(items: list, what: str) -> None:
    """Refuse to make an empty printout (a PDF needs at least one page)."""
    if not items:
        raise PrintoutError(f"nothing to print: no {what}")
