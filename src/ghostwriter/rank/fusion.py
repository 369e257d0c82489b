"""``fusion``: reciprocal rank fusion of document rankings (Cormack et al. 2009), beyond the paper.

``score(d) = sum over rankers r of 1 / (rrf_k + rank_r(d))`` with 1-based ranks, each ranker's
full order (ties to the newer document) over the example's profile; by default bm25 and dense.
"""
from __future__ import annotations

import numpy as np

from ghostwriter.rank.base import ScoringRanker, order_segment


def reciprocal_rank_fusion(orders: list[np.ndarray], n: int, k: int) -> np.ndarray:
    """Fused scores for ``n`` candidates from several orders (each a permutation of range(n))."""
    fused = np.zeros(n, dtype=np.float64)
    for order in orders:
        fused[order] += 1.0 / (k + np.arange(1, n + 1))
    return fused


class FusionRanker(ScoringRanker):
    name = "fusion"

    def __init__(self, config, encoder=None):
        super().__init__(config)
        from ghostwriter.rank.registry import ranker_class

        self.parts = []
        for name in config.rank.fusion_rankers:
            cls = ranker_class(name)
            self.parts.append(cls(config, encoder) if name in ("dense", "doc_by_snippet") else cls(config))

    def score(self, examples, layout, units) -> np.ndarray:
        part_scores = [part.score(examples, layout, units) for part in self.parts]
        offsets = units.offsets
        fused = np.zeros(int(offsets[-1]), dtype=np.float64)
        for i in range(len(examples)):
            a, b = int(offsets[i]), int(offsets[i + 1])
            if b == a:
                continue
            recency = units.recency[units.lo[i]:units.hi[i]]
            orders = [order_segment(s[a:b], recency) for s in part_scores]
            fused[a:b] = reciprocal_rank_fusion(orders, b - a, self.config.rank.rrf_k)
        return fused
