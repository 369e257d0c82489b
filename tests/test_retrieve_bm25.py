"""BM25: golden values on a hand-checked toy corpus, parity with bm25s and rank_bm25, negative IDF."""
from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from ghostwriter.retrieve.bm25 import (Postings, Vocabulary, bm25_term_score, idf_lucene, idf_robertson,
                                       score_ranges)
from ghostwriter.text import Tokenizer

TOY = ["cat sat", "cat cat dog", "bird"]  # N = 3, lengths 2, 3, 1, avgdl = 2


def score_corpus(corpus, queries, ranges=None, **kw):
    vocab = Vocabulary(Tokenizer(stemmer="", stopwords=""))
    postings = Postings.build([vocab.term_ids(t) for t in corpus])
    q = [vocab.term_ids(t, add=False) for t in queries]
    lo, hi = zip(*(ranges or [(0, len(corpus))] * len(queries)))
    flat = score_ranges(postings, q, np.array(lo), np.array(hi), **kw)
    offsets = np.concatenate([[0], np.cumsum(np.array(hi) - np.array(lo))])
    return [flat[offsets[i]:offsets[i + 1]] for i in range(len(queries))]


# Hand-checked (k1 = 1.2, b = 0.75):
#   idf(cat) = ln(1 + (3 - 2 + .5)/(2 + .5)) = ln 1.6;  idf(dog) = ln(1 + 2.5/1.5) = ln(8/3)
#   "cat" in d0: tf 1, |d| 2: ln1.6 * 1/(1 + 1.2*1)                       = 0.21363801329351617
#   "cat" in d1: tf 2, |d| 3: ln1.6 * 2/(2 + 1.2*(.25 + .75*1.5))         = 0.25753623520314284
#   "dog" in d1: tf 1, |d| 3: ln(8/3) * 1/(1 + 1.65)                      = 0.37012424641951935
@pytest.mark.parametrize("query, expected", [
    ("cat", [0.21363801329351617, 0.25753623520314284, 0.0]),
    ("dog", [0.0, 0.37012424641951935, 0.0]),
    ("cat dog", [0.21363801329351617, 0.6276604816226622, 0.0]),
    ("cat cat", [2 * 0.21363801329351617, 2 * 0.25753623520314284, 0.0]),  # query term frequency counts
    ("fish", [0.0, 0.0, 0.0]),
    ("", [0.0, 0.0, 0.0]),
])
def test_golden_scores(query, expected):
    (scores,) = score_corpus(TOY, [query])
    np.testing.assert_allclose(scores, expected, rtol=1e-12, atol=0)


def test_pure_functions_golden():
    assert idf_lucene(2, 3) == pytest.approx(math.log(1.6))
    assert idf_robertson(2, 3) == pytest.approx(math.log(1.5 / 2.5))  # negative: df > N/2
    assert bm25_term_score(2, 2, 3, 3, 2.0) == pytest.approx(0.25753623520314284)
    assert np.all(idf_lucene(np.arange(0, 51), 50) > 0)


def test_ranges_use_each_profiles_own_statistics():
    """Scoring docs 0-1 as their own corpus (N=2) equals scoring that corpus alone."""
    (sub,) = score_corpus(TOY, ["cat dog"], ranges=[(0, 2)])
    (alone,) = score_corpus(TOY[:2], ["cat dog"])
    np.testing.assert_allclose(sub, alone, rtol=1e-12)
    assert len(sub) == 2


def test_empty_range_and_empty_corpus():
    (empty,) = score_corpus(TOY, ["cat"], ranges=[(1, 1)])
    assert empty.shape == (0,)
    assert score_corpus([], ["cat"], ranges=[(0, 0)])[0].shape == (0,)


corpora = st.lists(st.lists(st.sampled_from("abcdefghij"), min_size=1, max_size=12).map(" ".join),
                   min_size=1, max_size=12)


@settings(max_examples=40, deadline=None)
@given(corpora, st.lists(st.sampled_from("abcdefghijk"), min_size=1, max_size=5).map(" ".join))
def test_parity_with_bm25s_lucene(corpus, query):
    import bm25s

    tokens = [doc.split() for doc in corpus]
    index = bm25s.BM25(method="lucene", k1=1.2, b=0.75)
    index.index(tokens, show_progress=False)
    q = [t for t in query.split() if t in index.vocab_dict]
    reference = index.get_scores(q) if q else np.zeros(len(corpus))
    (ours,) = score_corpus(corpus, [query])
    np.testing.assert_allclose(ours, reference, rtol=2e-5, atol=1e-6)


@settings(max_examples=40, deadline=None)
@given(corpora, st.lists(st.sampled_from("abcdefghij"), min_size=1, max_size=5))
def test_parity_with_rank_bm25_where_idf_agrees(corpus, query_terms):
    """rank_bm25's BM25Okapi = (k1 + 1) x ours with Robertson IDF, for query words in < half the docs."""
    from rank_bm25 import BM25Okapi

    tokens = [doc.split() for doc in corpus]
    n = len(corpus)
    query = [t for t in query_terms if sum(t in d for d in tokens) < n / 2]  # Robertson IDF > 0: no floor
    reference = BM25Okapi(tokens, k1=1.2, b=0.75).get_scores(query)
    (ours,) = score_corpus(corpus, [" ".join(query)], idf="robertson")
    np.testing.assert_allclose(ours * 2.2, reference, rtol=1e-9, atol=1e-12)


def test_rank_bm25_negative_idf_ranks_the_best_match_last():
    """In a two-document profile every shared word gets a negative BM25Okapi IDF (its epsilon floor
    is negative too, as the average IDF is), so the document using the query word most ranks last."""
    from rank_bm25 import BM25Okapi

    corpus = [["zfs", "arc", "arc", "evict"], ["zfs", "arc", "note", "misc"]]
    okapi = BM25Okapi(corpus, k1=1.2, b=0.75).get_scores(["arc"])
    assert okapi[0] < okapi[1] < 0
    (ours,) = score_corpus([" ".join(d) for d in corpus], ["arc"])
    assert ours[0] > ours[1] > 0
