"""The rankers by name. Modules load lazily, so naming a ranker costs nothing until it runs.

>>> ranker = get_ranker("bm25", Config())  # doctest: +SKIP
>>> rankings = ranker.rank(examples)
"""
from __future__ import annotations

import importlib

from ghostwriter.errors import GhostwriterError

# name -> "module:Class" under ghostwriter.rank; the paper's names in the comments (Li et al. 2023, sec. 4.1)
RANKERS: dict[str, str] = {
    "recent": "recent:RecentRanker",  # RecentDoc: newest documents first
    "bm25": "bm25:BM25Ranker",  # RankDocBM25
    "dense": "dense:DenseRanker",  # RankDocDense: cosine of document and context embeddings
    "snippet": "snippet:SnippetRanker",  # RankSnippet: snippets themselves, best first
    "doc_by_snippet": "doc_by_snippet:DocBySnippetRanker",  # RankDocBySnpt: documents by their best snippet
    "fusion": "fusion:FusionRanker",  # beyond the paper: reciprocal rank fusion of bm25 and dense
    "none": "none:NoRanker",  # no personalization: every ranking is empty
}
RANKER_NAMES = tuple(RANKERS)


class UnknownRankerError(GhostwriterError):
    """A ranker name that is not in the registry; the message lists the valid ones."""


def ranker_class(name: str):
    if name not in RANKERS:
        raise UnknownRankerError(f"unknown ranker {name!r}; choose from: {', '.join(RANKER_NAMES)}")
    module, _, cls = RANKERS[name].partition(":")
    return getattr(importlib.import_module(f"ghostwriter.rank.{module}"), cls)


def get_ranker(name: str, config):
    """The ranker called ``name``, configured by ``config`` (its ``retrieve`` and ``rank`` sections)."""
    return ranker_class(name)(config)
