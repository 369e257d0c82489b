"""``doc_by_snippet`` (RankDocBySnpt): whole documents, ordered by their best snippet's score."""
from __future__ import annotations

import numpy as np

from ghostwriter.rank.base import ScoringRanker, snippet_scores_to_documents
from ghostwriter.rank.snippet import snippet_scorer


class DocBySnippetRanker(ScoringRanker):
    name = "doc_by_snippet"

    def __init__(self, config, encoder=None):
        super().__init__(config)
        self.scorer = snippet_scorer(config, encoder)

    def score(self, examples, layout, units) -> np.ndarray:
        snippets = layout.snippets(self.config.retrieve.snippet_chars)
        snippet_scores = self.scorer.score([e.context for e in examples], snippets)
        return snippet_scores_to_documents(layout, snippets, units, snippet_scores)
