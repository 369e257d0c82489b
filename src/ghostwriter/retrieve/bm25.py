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

    def term_ids(self, text: str, add: bool = True) -> np.ndarray:
        """The ids of ``text``'s index terms, in order (with repeats); unknown terms skipped unless ``add``."""
        if add:
            out = self._ids_memo.get(text)
            if out is None:
                ids = self.ids
                out = self._ids_memo[text] = np.array(
                    [ids.setdefault(t, len(ids)) for t in self.tokenizer.terms(text)], dtype=np.int64)
            return out
        terms = self._terms_memo.get(text)
        if terms is None:
            terms = self._terms_memo[text] = self.tokenizer.terms(text)
        ids = self.ids
        return np.array([ids[t] for t in terms if t in ids], dtype=np.int64)


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
    """
    lo = np.asarray(lo, dtype=np.int64)
    hi = np.asarray(hi, dtype=np.int64)
    sizes = hi - lo
    offsets = np.concatenate([[0], np.cumsum(sizes)])
    scores = np.zeros(int(offsets[-1]), dtype=np.float64)
    n_slots = max(postings.n_slots, 1)
    # Query entries (query, term, qtf): a term repeated in the query counts that many times.
    q_lengths = np.fromiter((len(q) for q in query_term_ids), dtype=np.int64, count=len(query_term_ids))
    if not q_lengths.sum() or not len(postings.keys):
        return scores
    q_index = np.repeat(np.arange(len(query_term_ids), dtype=np.int64), q_lengths)
    q_terms = np.concatenate(query_term_ids)
    n_terms = int(max(postings.keys[-1] // n_slots, q_terms.max())) + 1
    q_keys, qtf = np.unique(q_index * n_terms + q_terms, return_counts=True)
    q_query, q_term = np.divmod(q_keys, n_terms)
    # Each term's postings inside the query's profile range: df is the width of that window.
    start = np.searchsorted(postings.keys, q_term * n_slots + lo[q_query])
    stop = np.searchsorted(postings.keys, q_term * n_slots + hi[q_query])
    df = stop - start
    n_docs = sizes[q_query]
    term_idf = IDF_FUNCTIONS[idf](df, n_docs)
    # Expand every window into its (query term, slot) hits.
    total = int(df.sum())
    if not total:
        return scores
    hit_entry = np.repeat(np.arange(len(df), dtype=np.int64), df)
    first = np.cumsum(df) - df
    hit_pos = np.arange(total, dtype=np.int64) - first[hit_entry] + start[hit_entry]
    hit_slot = postings.slots[hit_pos]
    hit_query = q_query[hit_entry]
    cum_len = np.concatenate([[0.0], np.cumsum(postings.doc_len)])
    avg_len = (cum_len[hi] - cum_len[lo]) / np.maximum(sizes, 1)
    weight = qtf[hit_entry] * term_idf[hit_entry] * tf_saturation(
        postings.tf[hit_pos], postings.doc_len[hit_slot], avg_len[hit_query], k1, b)
    pair = offsets[hit_query] + hit_slot - lo[hit_query]
    scores += np.bincount(pair, weights=weight, minlength=len(scores))
    return scores
