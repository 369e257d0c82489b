"""``recent`` (RecentDoc): the newest profile documents first; the score is the timestamp."""
from __future__ import annotations

import numpy as np

from ghostwriter.rank.base import ScoringRanker


class RecentRanker(ScoringRanker):
    name = "recent"

    def score(self, examples, layout, units) -> np.ndarray:
        timestamps = np.fromiter((d.timestamp for d in units.docs), dtype=np.float64, count=len(units.docs))
        return _gather(timestamps[units.doc_slot], units)


def _gather(per_unit: np.ndarray, units) -> np.ndarray:
    """Flatten a per-unit value into each example's candidate range."""
    sizes = units.hi - units.lo
    index = np.arange(int(sizes.sum())) - np.repeat(units.offsets[:-1], sizes) + np.repeat(units.lo, sizes)
    return per_unit[index]
