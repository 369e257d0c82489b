"""BM25 over each example's own profile, for all examples at once.

The formula (Lucene >= 8, the same as ``bm25s`` with ``method="lucene"``)::

    score(q, d) = sum over query terms t of  qtf(t) * idf(t) * tf(t, d) / (tf(t, d) + k1 * (1 - b + b * |d| / avgdl))
    idf(t)      = log(1 + (N - df(t) + 0.5) / (df(t) + 0.5))

with N, df and avgdl computed over the example's profile only. Lucene's IDF is never
negative; Robertson's ``log((N - df + 0.5) / (df + 0.5))`` (rank_bm25's ``BM25Okapi``) is
negative for any word in more than half of a profile, which in 2-50 document profiles
often ranks the best match last.

Batching: the profiles are laid out so each example's candidates are one contiguous range of
slots (:mod:`ghostwriter.retrieve.layout`); postings are sorted by (term, slot), so each query
term's document frequency within a profile is two ``searchsorted`` calls, and every matching
(query term, document) pair is scored in one vectorised pass. No Python loop over documents.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np


def idf_lucene(df, n_docs):
    """Lucene's non-negative IDF: ``log(1 + (N - df + 0.5) / (df + 0.5))``."""
    df = np.asarray(df, dtype=np.float64)
    return np.log1p((np.asarray(n_docs, dtype=np.float64) - df + 0.5) / (df + 0.5))


def idf_robertson(df, n_docs):
    """Robertson/Sparck Jones IDF as in rank_bm25's BM25Okapi (before its epsilon floor); can be < 0."""
    df = np.asarray(df, dtype=np.float64)
    return np.log((np.asarray(n_docs, dtype=np.float64) - df + 0.5) / (df + 0.5))


IDF_FUNCTIONS = {"lucene": idf_lucene, "robertson": idf_robertson}


def tf_saturation(tf, doc_len, avg_doc_len, k1: float, b: float):
    """BM25's saturated, length-normalised term frequency: ``tf / (tf + k1 * (1 - b + b * |d| / avgdl))``."""
    tf = np.asarray(tf, dtype=np.float64)
    norm = 1.0 - b + b * np.asarray(doc_len, dtype=np.float64) / np.maximum(avg_doc_len, 1e-12)
    return tf / (tf + k1 * norm)


def bm25_term_score(tf, df, n_docs, doc_len, avg_doc_len, k1: float = 1.2, b: float = 0.75, idf: str = "lucene"):
    """One term's contribution to one document's score (the summand of the formula above)."""
    return IDF_FUNCTIONS[idf](df, n_docs) * tf_saturation(tf, doc_len, avg_doc_len, k1, b)


class Vocabulary:
    """Term -> id, growing as texts are added; each text is tokenized once (memoised by text)."""

    def __init__(self, tokenizer):
        self.tokenizer = tokenizer
        self.ids: dict[str, int] = {}
        self._ids_memo: dict[str, np.ndarray] = {}
        self._terms_memo: dict[str, list[str]] = {}
        self._known_memo: dict[str, tuple[int, np.ndarray]] = {}  # add=False results, with the vocabulary size

    def term_ids(self, text: str, add: bool = True) -> np.ndarray:
        """The ids of ``text``'s index terms, in order (with repeats); unknown terms skipped unless ``add``."""
        if add:
            out = self._ids_memo.get(text)
            if out is None:
                ids = self.ids
                out = self._ids_memo[text] = np.array(
                    [ids.setdefault(t, len(ids)) for t in self.tokenizer.terms(text)], dtype=np.int64)
            return out
        known = self._known_memo.get(text)
        if known is not None and known[0] == len(self.ids):  # no term was added since: still exact
            return known[1]
        terms = self._terms_memo.get(text)
        if terms is None:
            terms = self._terms_memo[text] = self.tokenizer.terms(text)
        ids = self.ids
        out = np.array([ids[t] for t in terms if t in ids], dtype=np.int64)
        self._known_memo[text] = (len(ids), out)
        return out


@dataclass(frozen=True)
class Postings:
    """Term-major postings over slots: ``key = term * n_slots + slot``, sorted, with tf per entry."""

    keys: np.ndarray  # int64, sorted
    slots: np.ndarray  # int64
    tf: np.ndarray  # float64
    doc_len: np.ndarray  # float64, index terms per slot
    n_slots: int

    @classmethod
    def build(cls, slot_term_ids: Sequence[np.ndarray]) -> "Postings":
        n_slots = len(slot_term_ids)
        lengths = np.fromiter((len(t) for t in slot_term_ids), dtype=np.int64, count=n_slots)
        terms = np.concatenate(slot_term_ids) if n_slots else np.zeros(0, dtype=np.int64)
        slots = np.repeat(np.arange(n_slots, dtype=np.int64), lengths)
        keys, tf = np.unique(terms * max(n_slots, 1) + slots, return_counts=True)
        return cls(keys=keys, slots=keys % max(n_slots, 1), tf=tf.astype(np.float64),
                   doc_len=lengths.astype(np.float64), n_slots=n_slots)


def score_ranges(postings: Postings, query_term_ids: Sequence[np.ndarray], lo: np.ndarray, hi: np.ndarray,
                 k1: float = 1.2, b: float = 0.75, idf: str = "lucene") -> np.ndarray:
    """BM25 scores of every slot in ``[lo[i], hi[i])`` for query ``i``, all queries at once.

    Returns one flat array: query ``i``'s scores are ``out[off[i]:off[i+1]]`` with
    ``off = concatenate([[0], cumsum(hi - lo)])``, slot ``lo[i] + j`` at position ``off[i] + j``.
    Slots sharing no term with the query score 0.

    Everything that depends only on the (query, term) entry -- qtf * idf, and the length
    normalisation's ``k1 * b / avgdl`` -- is computed once per entry and repeated over its hits,
    so each hit costs a few sequential passes rather than gathers through entry indices.
    """
    lo = np.asarray(lo, dtype=np.int64)
    hi = np.asarray(hi, dtype=np.int64)
    sizes = hi - lo
    offsets = np.concatenate([[0], np.cumsum(sizes)])
    n_pairs = int(offsets[-1])
    n_slots = max(postings.n_slots, 1)
    n_queries = len(query_term_ids)
    # Query entries (query, term, qtf): a term repeated in the query counts that many times.
    q_lengths = np.fromiter((len(q) for q in query_term_ids), dtype=np.int64, count=n_queries)
    if not q_lengths.sum() or not len(postings.keys):
        return np.zeros(n_pairs, dtype=np.float64)
    q_index = np.repeat(np.arange(n_queries, dtype=np.int64), q_lengths)
    q_terms = np.concatenate(query_term_ids)
    # Term-major order: the searchsorted needles below then arrive nearly sorted, which is much faster.
    q_keys, qtf = np.unique(q_terms * n_queries + q_index, return_counts=True)
    q_term, q_query = np.divmod(q_keys, n_queries)
    # Each term's postings inside the query's profile range: df is the width of that window.
    start = np.searchsorted(postings.keys, q_term * n_slots + lo[q_query])
    df = np.searchsorted(postings.keys, q_term * n_slots + hi[q_query]) - start
    hit = df > 0
    start, df, q_query, qtf = start[hit], df[hit], q_query[hit], qtf[hit]
    total = int(df.sum())
    if not total:
        return np.zeros(n_pairs, dtype=np.float64)
    entry_weight = qtf * IDF_FUNCTIONS[idf](df, sizes[q_query])
    cum_len = np.concatenate([[0.0], np.cumsum(postings.doc_len)])
    avg_len = (cum_len[hi] - cum_len[lo]) / np.maximum(sizes, 1)
    entry_norm = (k1 * b) / np.maximum(avg_len, 1e-12)[q_query]
    # Expand every window into its (query term, slot) hits.
    hit_pos = np.repeat(start - (np.cumsum(df) - df), df)
    hit_pos += np.arange(total, dtype=np.int64)
    hit_slot = postings.slots[hit_pos]
    tf = postings.tf[hit_pos]
    # tf / (tf + k1 * (1 - b + b * |d| / avgdl)), as tf_saturation, then times qtf * idf
    denom = np.repeat(entry_norm, df)
    denom *= postings.doc_len[hit_slot]
    denom += k1 * (1.0 - b)
    denom += tf
    weight = np.divide(tf, denom, out=tf)
    weight *= np.repeat(entry_weight, df)
    pair = np.repeat(offsets[q_query] - lo[q_query], df)
    pair += hit_slot
    return np.bincount(pair, weights=weight, minlength=n_pairs)
