"""Pairs in the order the search examines them: a family's pairs by ranking group, then by bound, sorted a wave
at a time; and grouping pairs by a small integer key (shape, serving configuration) without a sort."""

from __future__ import annotations

import numpy as np

from placer.catalog.columns import Bools, Bytes, Floats, Ints

FIRST_WAVE = 64  # pairs sorted in the first wave; each later wave doubles


class BoundStream:
    """One family's pairs in order of their bound: (over-budget, assumed) group first, then the bound.
    Sorted a wave at a time, so a profile decided by its first few pairs never sorts the rest."""

    def __init__(self, members: Ints, group: Bytes, primary: Floats, secondary: Floats, dead: Bools) -> None:
        self.dead = dead  # pairs rejected in bulk (their whole shape or key): skipped, never examined
        self.primary = primary
        self.secondary = secondary
        self.group = group
        of = group[members]
        sizes = np.bincount(of, minlength=4).tolist()
        # mostly one group holds them all (nothing over budget, no assumed price): no mask then
        self.rest = [
            members if size == members.size else members[of == g] if size else members[:0]
            for g, size in enumerate(sizes)
        ]
        self.g = 0
        self.wave = FIRST_WAVE
        self.buffer: list[int] = []

    def _fill(self) -> None:
        while not self.buffer and self.g < 4:
            rest = self.rest[self.g]
            rest = rest[~self.dead[rest]]
            if rest.size == 0:
                self.g += 1
                continue
            k = min(self.wave, rest.size)
            self.wave *= 2
            if k < rest.size:  # the k smallest, and every pair tied with the largest of them
                values = self.primary[rest]
                edge = np.partition(values, k - 1)[k - 1]
                inside = values <= edge
                take, self.rest[self.g] = rest[inside], rest[~inside]
            else:
                take, self.rest[self.g] = rest, rest[:0]
            ordered = take[np.lexsort((self.secondary[take], self.primary[take]))]
            self.buffer = ordered[::-1].tolist()

    def peek(self) -> tuple[int, float, float] | None:
        while True:
            self._fill()
            if not self.buffer or not self.dead[self.buffer[-1]]:
                break
            self.buffer.pop()
        if not self.buffer:
            return None
        j = self.buffer[-1]
        return int(self.group[j]), float(self.primary[j]), float(self.secondary[j])

    def pop(self) -> int:
        return self.buffer.pop()


def group_index(values: Ints) -> tuple[Ints, Ints, Ints]:
    """np.unique(values, return_index=True, return_inverse=True) for small non-negative ints, without a sort."""
    size = int(values.max(initial=-1)) + 1
    first = np.full(size, -1, dtype=np.int64)
    first[values[::-1]] = np.arange(values.size - 1, -1, -1)  # the last write wins: each value's first index
    present = np.flatnonzero(first >= 0)
    position = np.full(size, -1, dtype=np.int64)
    position[present] = np.arange(present.size)
    return present, first[present], position[values]
