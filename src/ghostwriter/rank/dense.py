"""``dense`` (RankDocDense): profile documents by cosine of their embedding and the context's."""
from __future__ import annotations

import numpy as np

from ghostwriter.rank.base import ScoringRanker


class DenseScorer:
    """Cosine of each example's context with its candidate units, one matrix product per block."""

    def __init__(self, config, encoder=None):
        self.config = config
        self._encoder = encoder

    @property
    def encoder(self):
        if self._encoder is None:
            from ghostwriter.retrieve.dense import DenseEncoder

            self._encoder = DenseEncoder.from_config(self.config)
        return self._encoder

    def score(self, contexts, units) -> np.ndarray:
        offsets = units.offsets
        scores = np.zeros(int(offsets[-1]), dtype=np.float64)
        if not len(scores):
            return scores
        unit_vectors = self.encoder.encode(units.texts)
        query_vectors = self.encoder.encode(list(contexts))
        blocks: dict[tuple[int, int], list[int]] = {}
        for i, (lo, hi) in enumerate(zip(units.block_lo.tolist(), units.block_hi.tolist())):
            if units.hi[i] > units.lo[i]:
                blocks.setdefault((lo, hi), []).append(i)
        for (block_lo, block_hi), members in blocks.items():
            similarity = query_vectors[members] @ unit_vectors[block_lo:block_hi].T
            for row, i in enumerate(members):
                lo, hi = int(units.lo[i]) - block_lo, int(units.hi[i]) - block_lo
                scores[offsets[i]:offsets[i + 1]] = similarity[row, lo:hi]
        return scores


class DenseRanker(ScoringRanker):
    name = "dense"

    def __init__(self, config, encoder=None):
        super().__init__(config)
        self.scorer = DenseScorer(config, encoder)

    def score(self, examples, layout, units) -> np.ndarray:
        return self.scorer.score([e.context for e in examples], units)
