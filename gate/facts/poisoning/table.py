"""The table the poisoning and drift analysis read: rows of one or more files, in file order.

It is built from the one reader's parts (gate.facts.collect.table_of), never read separately.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class Table:
    """Rows of one or more files, in file order; ``files[i]`` holds ``counts[i]`` consecutive rows."""

    frame: "object"  # pandas.DataFrame
    files: list[str]
    counts: list[int]

    @property
    def rows(self) -> int:
        return int(sum(self.counts))

    def locate(self, index: int) -> tuple[str, int]:
        """(file, 0-based record index in that file) of a global row index."""
        ends = np.cumsum(self.counts)
        position = int(np.searchsorted(ends, index, side="right"))
        start = int(ends[position - 1]) if position else 0
        return self.files[position], index - start
