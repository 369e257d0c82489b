"""Centroid words (``centroid_w2v``, ``centroid_glove``): the follow-up study's new synthesis.

Embed the words of the immediate context and take their mean, the centroid; then choose,
from the words of the top-ranked profile entries, those nearest to it (Euclidean distance),
after removing stopwords, non-words and near-duplicates (the same stem as, or a cosine
similarity of at least ``duplicate_cosine`` to, a word already chosen). Words without a
vector are skipped and counted. Only the context and the profile are read, never the target.

The pieces are public so a report can plot them (PCA / t-SNE of centroid, candidates,
chosen and rejected words):

>>> result = centroid_words(context, entry_texts, load_glove())  # doctest: +SKIP
>>> result.centroid, result.candidates, result.chosen, result.rejected  # doctest: +SKIP
"""
from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from ghostwriter.records import Example, Ranking, SynthesizedWord
from ghostwriter.synthesize.vectors import WordVectors, dataset_word2vec, load_glove
from ghostwriter.text import Tokenizer

_ALPHA = re.compile(r"^[a-z]+$")
WORDS = Tokenizer(stemmer="", stopwords="en")
STEMS = Tokenizer(stemmer="english", stopwords="")


def is_centroid_word(word: str, min_chars: int = 3) -> bool:
    """A real word: letters only (no digits, identifiers or contractions), at least ``min_chars`` long."""
    return len(word) >= min_chars and bool(_ALPHA.match(word))


def text_words(text: str, min_chars: int = 3) -> list[str]:
    """The distinct words of ``text`` in first-seen order, stopwords and non-words removed."""
    seen: dict[str, None] = {}
    for word in WORDS.words(text):
        if word not in seen and is_centroid_word(word, min_chars):
            seen[word] = None
    return list(seen)


@dataclass(frozen=True)
class CentroidWords:
    """Everything the centroid synthesis computed for one example (for inspection and plots)."""

    centroid: np.ndarray | None  # mean vector of the context words; None when none had a vector
    context_words: tuple[str, ...]  # context words with vectors (the centroid's inputs)
    context_vectors: np.ndarray
    context_oov: tuple[str, ...]  # context words without a vector (skipped)
    candidates: tuple[str, ...]  # profile words with vectors, nearest to the centroid first
    candidate_vectors: np.ndarray
    distances: np.ndarray  # Euclidean distance of each candidate to the centroid
    candidate_oov: tuple[str, ...]  # profile words without a vector (skipped)
    chosen: tuple[tuple[str, float], ...]  # (word, distance), nearest first
    rejected: tuple[tuple[str, str], ...] = field(default=())  # (word, why): near-duplicates passed over

    @property
    def skipped_oov(self) -> int:
        return len(self.context_oov) + len(self.candidate_oov)


def context_centroid(context: str, vectors: WordVectors, min_chars: int = 3):
    """``(centroid, words, vectors, oov)`` of the context; the centroid is the mean word vector."""
    found, matrix, missing = vectors.lookup(text_words(context, min_chars))
    centroid = matrix.mean(axis=0) if found else None
    return centroid, found, matrix, missing


def candidate_words(texts: Sequence[str], vectors: WordVectors, min_chars: int = 3):
    """``(words, vectors, oov)``: the distinct real, non-stopword words of ``texts`` with their vectors."""
    seen: dict[str, None] = {}
    for text in texts:
        for word in text_words(text, min_chars):
            seen.setdefault(word, None)
    return vectors.lookup(list(seen))


def centroid_words(context: str, texts: Sequence[str], vectors: WordVectors, top_k: int = 20,
                   duplicate_cosine: float = 0.8, min_chars: int = 3) -> CentroidWords:
    """Choose up to ``top_k`` words of ``texts`` nearest to the centroid of ``context``."""
    centroid, ctx_words, ctx_vectors, ctx_oov = context_centroid(context, vectors, min_chars)
    words, matrix, oov = candidate_words(texts, vectors, min_chars)
    if centroid is None or not words:
        return CentroidWords(centroid, tuple(ctx_words), ctx_vectors, tuple(ctx_oov), tuple(words), matrix,
                             np.zeros(len(words), np.float32), tuple(oov), ())
    distances = np.linalg.norm(matrix - centroid, axis=1)
    order = sorted(range(len(words)), key=lambda i: (float(distances[i]), words[i]))
    words = [words[i] for i in order]
    matrix, distances = matrix[order], distances[order]
    norms = np.linalg.norm(matrix, axis=1)
    norms[norms == 0] = 1.0
    unit = matrix / norms[:, None]
    stems = STEMS.stem(words)
    chosen: list[int] = []
    chosen_stems: dict[str, str] = {}
    rejected = []
    for i, word in enumerate(words):
        if len(chosen) >= top_k:
            break
        if stems[i] in chosen_stems:
            rejected.append((word, f"same stem as {chosen_stems[stems[i]]!r}"))
            continue
        if chosen:
            similarity = unit[chosen] @ unit[i]
            j = int(np.argmax(similarity))
            if similarity[j] >= duplicate_cosine:
                rejected.append((word, f"cosine {similarity[j]:.2f} to {words[chosen[j]]!r}"))
                continue
        chosen.append(i)
        chosen_stems[stems[i]] = word
    return CentroidWords(centroid, tuple(ctx_words), ctx_vectors, tuple(ctx_oov), tuple(words), matrix,
                         distances, tuple(oov), tuple((words[i], float(distances[i])) for i in chosen),
                         tuple(rejected))


def candidate_texts(example: Example, ranking: Ranking | None, entries: int = 0) -> list[str]:
    """The texts candidates come from: the top ``entries`` ranked entries (0 = all), else the whole profile."""
    if ranking is not None and ranking.entries:
        chosen = ranking.entries[:entries] if entries else ranking.entries
        return [e.text for e in chosen]
    return [d.full_text for d in reversed(example.profile)]


class CentroidSynthesizer:
    """``centroid_glove`` / ``centroid_w2v``: words of the top-ranked entries nearest the context's centroid."""

    def __init__(self, name: str, vectors: WordVectors, top_k: int = 20, duplicate_cosine: float = 0.8,
                 min_chars: int = 3, entries: int = 0):
        self.name, self.vectors, self.top_k = name, vectors, top_k
        self.duplicate_cosine, self.min_chars, self.entries = duplicate_cosine, min_chars, entries
        self.skipped_oov = 0  # words without vectors skipped so far (context and candidates)

    @classmethod
    def from_config(cls, name: str, config, dataset) -> "CentroidSynthesizer":
        s = config.synthesize
        if name == "centroid_glove":
            vectors = load_glove(s.glove)
        else:
            if dataset is None:
                from ghostwriter.errors import GhostwriterError

                raise GhostwriterError("centroid_w2v needs a dataset folder: Word2Vec is trained on its training split")
            vectors = dataset_word2vec(dataset, config)
        return cls(name, vectors, s.top_k, s.duplicate_cosine, s.min_word_chars, s.centroid_entries)

    def explain(self, example: Example, ranking: Ranking | None) -> CentroidWords:
        """The full centroid computation for one example (centroid, candidates, chosen, rejected)."""
        return centroid_words(example.context, candidate_texts(example, ranking, self.entries), self.vectors,
                              self.top_k, self.duplicate_cosine, self.min_chars)

    def synthesize(self, examples: Sequence[Example],
                   rankings: Sequence[Ranking | None]) -> list[tuple[SynthesizedWord, ...]]:
        out = []
        for example, ranking in zip(examples, rankings, strict=True):
            result = self.explain(example, ranking)
            self.skipped_oov += result.skipped_oov
            out.append(tuple(SynthesizedWord(w, self.name, d) for w, d in result.chosen))
        return out
