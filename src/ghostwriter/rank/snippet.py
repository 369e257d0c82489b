"""``snippet`` (RankSnippet): the profile's snippets themselves, best first (dense by default, or BM25)."""
from __future__ import annotations

import numpy as np

from ghostwriter.rank.base import ScoringRanker


def snippet_scorer(config, encoder=None):
    """The retriever named by ``rank.snippet_retriever``, applied to snippets."""
    if config.rank.snippet_retriever == "bm25":
        from ghostwriter.rank.bm25 import BM25Scorer

        return BM25Scorer(config)
    from ghostwriter.rank.dense import DenseScorer

    return DenseScorer(config, encoder)


class SnippetRanker(ScoringRanker):
    name = "snippet"

    def __init__(self, config, encoder=None):
        super().__init__(config)
        self.scorer = snippet_scorer(config, encoder)

    def units(self, layout):
        return layout.snippets(self.config.retrieve.snippet_chars)

    def score(self, examples, layout, units) -> np.ndarray:
        return self.scorer.score([e.context for e in examples], units)
