"""Per-user indexes that grow with the profile: BM25 statistics and cached embeddings.

A user's index is built once from the store the first time they are completed for, then
updated in place on every add or delete (O(length of the changed documents)), so a
request never rebuilds anything. Scores are exactly those of :mod:`ghostwriter.retrieve.bm25`
(Lucene >= 8, bm25s ``method="lucene"``), so the live index ranks as the batch ranker does:

    idf(t)   = ln(1 + (N - df(t) + 0.5) / (df(t) + 0.5))
    score(d) = sum_t qtf(t) * idf(t) * tf(t,d) / (tf(t,d) + k1 * (1 - b + b * |d| / avgdl))
"""
from __future__ import annotations

import math
import threading
from collections import Counter, OrderedDict
from collections.abc import Callable, Iterable, Sequence

from ghostwriter.records import Document, Ranking
from ghostwriter.text import Tokenizer


def bm25_idf(n_docs: int, df: int) -> float:
    """Lucene's always-positive IDF."""
    return math.log(1.0 + (n_docs - df + 0.5) / (df + 0.5))


def bm25_term_score(tf: int, idf: float, doc_len: int, avg_len: float, k1: float, b: float) -> float:
    """One term's contribution to a document's BM25 score (scalar form of retrieve.bm25's)."""
    return idf * tf / (tf + k1 * (1.0 - b + b * doc_len / avg_len))


class UserIndex:
    """One user's documents with BM25 statistics kept current, and embeddings encoded once each."""

    def __init__(self, tokenizer: Tokenizer, k1: float = 1.2, b: float = 0.75):
        self.tokenizer, self.k1, self.b = tokenizer, k1, b
        self.documents: dict[str, Document] = {}
        self.term_counts: dict[str, Counter] = {}
        self.doc_freq: Counter = Counter()
        self.total_len = 0
        self.embeddings: dict[str, object] = {}  # doc_id -> vector, filled on first dense use
        self.lock = threading.RLock()

    def __len__(self) -> int:
        return len(self.documents)

    def add(self, documents: Iterable[Document]) -> None:
        """Add or replace documents, updating the statistics by their terms only."""
        with self.lock:
            for doc in documents:
                if doc.doc_id in self.documents:
                    self.remove(doc.doc_id)
                counts = Counter(self.tokenizer.terms(doc.full_text))
                self.documents[doc.doc_id] = doc
                self.term_counts[doc.doc_id] = counts
                self.doc_freq.update(counts.keys())
                self.total_len += sum(counts.values())

    def remove(self, doc_id: str) -> bool:
        with self.lock:
            if doc_id not in self.documents:
                return False
            counts = self.term_counts.pop(doc_id)
            del self.documents[doc_id]
            self.embeddings.pop(doc_id, None)
            self.doc_freq.subtract(counts.keys())
            for term in counts:
                if self.doc_freq[term] <= 0:
                    del self.doc_freq[term]
            self.total_len -= sum(counts.values())
            return True

    def profile(self) -> tuple[Document, ...]:
        """The documents oldest first, the order an Example's profile has."""
        with self.lock:
            return tuple(sorted(self.documents.values(), key=lambda d: (d.timestamp, d.doc_id)))

    def bm25_scores(self, query: str) -> dict[str, float]:
        """Every document's BM25 score for ``query`` (0 for documents sharing no term)."""
        with self.lock:
            n = len(self.documents)
            if not n:
                return {}
            avg = max(self.total_len / n, 1e-9)
            query_terms = Counter(self.tokenizer.terms(query))
            idf = {t: bm25_idf(n, self.doc_freq[t]) for t in query_terms if self.doc_freq.get(t)}
            scores = {}
            for doc_id, counts in self.term_counts.items():
                length = sum(counts.values())
                scores[doc_id] = sum(q * bm25_term_score(counts[t], w, length, avg, self.k1, self.b)
                                     for t, w in idf.items() for q in (query_terms[t],) if counts.get(t))
            return scores

    def dense_scores(self, query: str, encode: Callable[[Sequence[str]], list]) -> dict[str, float]:
        """Cosine similarity to ``query``; only documents never encoded before are encoded now."""
        import numpy as np

        with self.lock:
            missing = [d for d in self.documents.values() if d.doc_id not in self.embeddings]
            if missing:
                for doc, vector in zip(missing, encode([d.full_text for d in missing])):
                    self.embeddings[doc.doc_id] = np.asarray(vector, dtype=np.float32)
            if not self.documents:
                return {}
            ids = list(self.documents)
            matrix = np.stack([self.embeddings[i] for i in ids])
        q = np.asarray(encode([query])[0], dtype=np.float32)
        sims = matrix @ q / (np.linalg.norm(matrix, axis=1) * np.linalg.norm(q) + 1e-12)
        return dict(zip(ids, sims.tolist()))


def rank_user(index: UserIndex, example_id: str, query: str, ranker: str, budget_chars: int,
              encode: Callable[[Sequence[str]], list] | None = None) -> Ranking:
    """Rank a user's documents for ``query`` with ``recent``, ``bm25`` or ``dense``; ties go to the newer."""
    docs = index.profile()
    if ranker == "recent":
        scores = {d.doc_id: float(i) for i, d in enumerate(docs)}
    elif ranker == "bm25":
        scores = index.bm25_scores(query)
    elif ranker == "dense":
        if encode is None:
            raise ValueError("the dense ranker needs an encoder")
        scores = index.dense_scores(query, encode)
    else:
        raise ValueError(f"the service index ranks with recent, bm25 or dense, not {ranker!r}")
    from ghostwriter.rank.base import cut_to_budget  # the same budget rule as the batch rankers

    order = sorted(enumerate(docs), key=lambda item: (-scores.get(item[1].doc_id, 0.0), -item[0]))
    pieces = ((d.doc_id, scores.get(d.doc_id, 0.0), 0, len(d.full_text), d.full_text) for _, d in order)
    return Ranking(example_id=example_id, ranker=ranker, entries=cut_to_budget(pieces, budget_chars))


class IndexRegistry:
    """The per-user indexes in memory, least recently used dropped past ``capacity``.

    ``load(key)`` fetches a user's documents from the store when their index is not held.
    """

    def __init__(self, load: Callable[[tuple], list[Document]], tokenizer: Tokenizer, capacity: int,
                 k1: float = 1.2, b: float = 0.75):
        self._load, self.tokenizer, self.capacity, self.k1, self.b = load, tokenizer, capacity, k1, b
        self._indexes: OrderedDict[tuple, UserIndex] = OrderedDict()
        self._lock = threading.Lock()
        self.builds = 0  # how many indexes were built from the store (tests check it stays put)

    def get(self, key: tuple, expected_size: int | None = None) -> UserIndex:
        """The user's index; reloaded when ``expected_size`` (the store's count) disagrees with it,
        which only happens when another process sharing the store wrote to this user."""
        # Loading under the lock means a write committed meanwhile is either in the load or
        # reaches the index through added(); builds happen once per user, so the wait is rare.
        with self._lock:
            index = self._indexes.get(key)
            if index is not None and (expected_size is None or len(index) == expected_size):
                self._indexes.move_to_end(key)
                return index
            index = UserIndex(self.tokenizer, self.k1, self.b)
            index.add(self._load(key))
            self.builds += 1
            self._indexes[key] = index
            while len(self._indexes) > self.capacity:
                self._indexes.popitem(last=False)
        return index

    def added(self, key: tuple, documents: Sequence[Document]) -> None:
        """Documents were committed: update the held index, if any (an absent one loads fresh later)."""
        with self._lock:
            index = self._indexes.get(key)
        if index is not None:
            index.add(documents)

    def removed(self, key: tuple, doc_id: str | None = None) -> None:
        """A document (or, with ``doc_id=None``, the whole user) was deleted."""
        with self._lock:
            if doc_id is None:
                self._indexes.pop(key, None)
                return
            index = self._indexes.get(key)
        if index is not None:
            index.remove(doc_id)
