"""Flowables of our own for flowing printouts."""

from __future__ import annotations

from reportlab.lib.colors import Color
from reportlab.platypus import Flowable


class WritingLines(Flowable):
    """Ruled lines to write on by hand, the full width of the frame."""

    def __init__(self, count: int, pitch: float, color: Color) -> None:
        super().__init__()
        self.count, self.pitch, self.color = count, pitch, color
        self.width = 0.0

    def wrap(self, available_width: float, _available_height: float) -> tuple[float, float]:
        self.width = available_width
        return available_width, self.count * self.pitch

    def draw(self) -> None:
        canvas = self.canv
        canvas.setStrokeColor(self.color)
        canvas.setLineWidth(0.5)
        canvas.lines([(0, y * self.pitch, self.width, y * self.pitch) for y in range(self.count)])
