"""Where the chart's labels go: each beside its point, clear of other labels, the frontier line and the dots."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

FONT = 11  # px, labels
CHAR_W = 0.6 * FONT  # generous width of one character: an estimate errs towards more room
LINE_H = FONT + 4
RINGS = 12  # how far (in label lines) a label may move from its point, with a leader line past the first
DOT_WEIGHT = 12.0  # a faint dot under a label costs as much as this many px² of label overlap
RING_WEIGHT = 4.0  # each ring farther out costs this much: near and slightly crowded beats far and clear
CELL = 4.0  # px, the grain of the dot-density grid


@dataclass(frozen=True)
class Box:
    x0: float
    y0: float
    x1: float
    y1: float

    def overlap(self, other: Box) -> float:
        w = min(self.x1, other.x1) - max(self.x0, other.x0)
        h = min(self.y1, other.y1) - max(self.y0, other.y0)
        return w * h if w > 0 and h > 0 else 0.0

    def inside(self, outer: Box, margin: float = 2.0) -> bool:
        return (
            self.x0 >= outer.x0 + margin
            and self.x1 <= outer.x1 - margin
            and self.y0 >= outer.y0 + margin
            and self.y1 <= outer.y1 - margin
        )


@dataclass(frozen=True)
class Label:
    x: float  # the text's anchor point (its start or end, per ``anchor``) on the baseline
    y: float
    anchor: str  # SVG text-anchor: start | end
    box: Box
    leader: bool  # moved away from its point: a thin line should join them


class Density:
    """How many dots fall in a box, in constant time: 2-D prefix sums over a grid of CELL-px cells."""

    def __init__(self, dots: Sequence[tuple[float, float]], area: Box) -> None:
        self.area = area
        self.cols = max(1, math.ceil((area.x1 - area.x0) / CELL))
        self.rows = max(1, math.ceil((area.y1 - area.y0) / CELL))
        grid = [[0] * (self.cols + 1) for _ in range(self.rows + 1)]
        for x, y in dots:
            c, r = self._cell(x, self.cols, area.x0), self._cell(y, self.rows, area.y0)
            grid[r + 1][c + 1] += 1
        for r in range(1, self.rows + 1):
            row, above = grid[r], grid[r - 1]
            for c in range(1, self.cols + 1):
                row[c] += row[c - 1] + above[c] - above[c - 1]
        self.sums = grid

    @staticmethod
    def _cell(value: float, count: int, origin: float) -> int:
        return min(count - 1, max(0, int((value - origin) // CELL)))

    def count(self, box: Box) -> int:
        c0, c1 = self._cell(box.x0, self.cols, self.area.x0), self._cell(box.x1, self.cols, self.area.x0) + 1
        r0, r1 = self._cell(box.y0, self.rows, self.area.y0), self._cell(box.y1, self.rows, self.area.y0) + 1
        s = self.sums
        return s[r1][c1] - s[r0][c1] - s[r1][c0] + s[r0][c0]


def _candidates(px: float, py: float) -> list[tuple[float, float, str, int]]:
    """Spots round a point, nearest first: above right, above left, then ring by ring up and down."""
    out: list[tuple[float, float, str, int]] = []
    for ring in range(RINGS):
        for sign in (-1, 1) if ring else (-1,):
            y = py - 6 - ring * LINE_H if sign < 0 else py + FONT + 2 + (ring - 1) * LINE_H
            out += [(px + 8, y, "start", ring), (px - 8, y, "end", ring)]
    return out


def place_labels(
    points: Sequence[tuple[float, float]],
    texts: Sequence[str],
    plot: Box,
    obstacles: Sequence[Box],
    density: Density | None = None,
) -> list[Label]:
    """Greedy, in the order given: each label takes the cheapest spot round its point, inside the plot.

    A spot costs its overlap with labels already placed and with ``obstacles`` (dots, lines), the faint dots
    it covers, and its distance from the point; a spot that costs nothing but its distance is taken at once.
    """
    placed: list[Box] = list(obstacles)
    out: list[Label] = []
    for (px, py), text in zip(points, texts, strict=True):
        w = len(text) * CHAR_W
        best: Label | None = None
        best_cost = math.inf
        for x, y, anchor, ring in _candidates(px, py):
            x0 = x if anchor == "start" else x - w
            box = Box(x0, y - FONT, x0 + w, y + 3)
            if not box.inside(plot):
                continue
            clutter = sum(box.overlap(other) for other in placed)
            clutter += DOT_WEIGHT * density.count(box) if density is not None else 0.0
            cost = clutter + RING_WEIGHT * ring
            if cost < best_cost:
                best, best_cost = Label(x, y, anchor, box, ring > 1), cost
            if clutter == 0:
                break
        if best is None:  # wider than the plot: pinned to its left edge
            box = Box(plot.x0 + 2, py - 6 - FONT, plot.x0 + 2 + w, py - 3)
            best = Label(plot.x0 + 2, py - 6, "start", box, True)
        placed.append(best.box)
        out.append(best)
    return out


def place_beside_line(x: float, text: str, plot: Box, taken: Sequence[Box], density: Density | None = None) -> Label:
    """A note for a vertical line (the budget): beside it, as high as it goes clear of ``taken`` and the dots."""
    w = len(text) * CHAR_W
    best: Label | None = None
    best_cost = math.inf
    for step in range(int((plot.y1 - plot.y0) // LINE_H)):
        y = plot.y0 + 14 + step * LINE_H
        for anchor, x0 in (("start", x + 4), ("end", x - 4 - w)):
            box = Box(x0, y - FONT, x0 + w, y + 3)
            if not box.inside(plot):
                continue
            clutter = sum(box.overlap(other) for other in taken)
            clutter += DOT_WEIGHT * density.count(box) if density is not None else 0.0
            cost = clutter + step
            if cost < best_cost:
                best, best_cost = Label(x + 4 if anchor == "start" else x - 4, y, anchor, box, False), cost
            if clutter == 0:
                return best if best is not None else Label(x + 4, y, anchor, box, False)
    if best is None:  # wider than the plot
        best = Label(
            plot.x0 + 2, plot.y0 + 14, "start", Box(plot.x0 + 2, plot.y0 + 3, plot.x0 + 2 + w, plot.y0 + 17), False
        )
    return best
