"""``bm25`` (RankDocBM25): profile documents by BM25 against the context, Lucene IDF, all examples at once."""
from __future__ import annotations

import numpy as np

from ghostwriter.rank.base import ScoringRanker
from ghostwriter.retrieve.bm25 import Postings, Vocabulary, score_ranges
from ghostwriter.text import Tokenizer


class BM25Scorer:
    """BM25 of each example's context against its candidate units (documents or snippets).

    Keeps its vocabulary and per-text term memo between calls, so re-ranking the same
    profiles (another ranker, another batch) does not re-tokenize them.
    """

    def __init__(self, config, idf: str = "lucene"):
        self.k1, self.b, self.idf = config.retrieve.k1, config.retrieve.b, idf
        self.vocabulary = Vocabulary(Tokenizer.from_config(config.retrieve))

    def score(self, contexts, units) -> np.ndarray:
        vocab = self.vocabulary
        postings = Postings.build([vocab.term_ids(t) for t in units.texts])
        queries = [vocab.term_ids(c, add=False) for c in contexts]
        return score_ranges(postings, queries, units.lo, units.hi, k1=self.k1, b=self.b, idf=self.idf)


class BM25Ranker(ScoringRanker):
    name = "bm25"

    def __init__(self, config):
        super().__init__(config)
        self.scorer = BM25Scorer(config)

    def score(self, examples, layout, units) -> np.ndarray:
        return self.scorer.score([e.context for e in examples], units)
