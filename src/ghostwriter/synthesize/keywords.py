"""Context-independent keywords (``syn_ind``, Li et al. 2023 sec. 4.4).

Unigrams of the user's profile; stopwords, words that occur once and words with
IDF < 1.5 are dropped; the rest are sorted by frequency in the profile, then IDF, and the
top 20 kept. IDF is ``ln(N / df)`` over the training documents (a word no training document
has gets ``ln(N)``, as if it occurred once).

>>> idf = IdfTable.from_texts(["zfs arc", "zfs pool", "zfs vdev"])
>>> [w.word for w in select_keywords(["arc arc pool", "arc pool zfs zfs"], idf, min_idf=0.5)]
['arc', 'pool']
"""
from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from ghostwriter.records import Example, Ranking, SynthesizedWord
from ghostwriter.text import Tokenizer

_HAS_LETTER = re.compile(r"[^\W\d_]")
WORDS = Tokenizer(stemmer="", stopwords="en")  # surface words, lower-cased, NLTK stopwords removed


def is_keyword_token(word: str) -> bool:
    """A word worth showing: it has a letter (``0x1f`` yes, ``2023`` and ``42_1`` no)."""
    return bool(_HAS_LETTER.search(word)) and not word.isdigit()


@dataclass(frozen=True)
class IdfTable:
    """Inverse document frequencies ``ln(N / df)`` of surface words over a document set."""

    n_documents: int
    document_frequency: dict[str, int]

    @classmethod
    def from_texts(cls, texts: Iterable[str], tokenizer: Tokenizer = WORDS) -> "IdfTable":
        df: Counter = Counter()
        n = 0
        for text in texts:
            n += 1
            df.update(set(tokenizer.words(text)))
        return cls(n_documents=n, document_frequency=dict(df))

    def idf(self, word: str) -> float:
        if self.n_documents == 0:
            return 0.0
        return math.log(self.n_documents / max(self.document_frequency.get(word, 0), 1))


def select_keywords(texts: Sequence[str], idf: IdfTable, top_k: int = 20, min_count: int = 2,
                    min_idf: float = 1.5, tokenizer: Tokenizer = WORDS,
                    source: str = "syn_ind") -> tuple[SynthesizedWord, ...]:
    """The top keywords of ``texts``: frequency (score) descending, then IDF, then the word itself."""
    counts: Counter = Counter()
    for text in texts:
        counts.update(tokenizer.words(text))
    return top_keywords(counts, idf, top_k, min_count, min_idf, source)


def top_keywords(counts: Counter, idf: IdfTable, top_k: int = 20, min_count: int = 2, min_idf: float = 1.5,
                 source: str = "syn_ind") -> tuple[SynthesizedWord, ...]:
    """:func:`select_keywords` from word counts already made."""
    kept = []
    for word, count in counts.items():
        if count < min_count or not is_keyword_token(word):
            continue
        weight = idf.idf(word)
        if weight >= min_idf:
            kept.append((-count, -weight, word))
    kept.sort()
    return tuple(SynthesizedWord(word=w, source=source, score=float(-c)) for c, _, w in kept[:top_k])


_IDF_CACHE: dict[str, IdfTable] = {}


def training_idf(dataset) -> IdfTable:
    """IDF over the dataset's training documents, computed once per dataset folder and content."""
    from ghostwriter.synthesize.vectors import training_documents

    key = f"{dataset.path}|{dataset.manifest.get('content_sha256', '')}"
    if key not in _IDF_CACHE:
        _IDF_CACHE[key] = IdfTable.from_texts(d.full_text for d in training_documents(dataset))
    return _IDF_CACHE[key]


class KeywordSynthesizer:
    """``syn_ind``: the profile's top keywords; reads only the profile, never the context or target."""

    name = "syn_ind"

    def __init__(self, idf: IdfTable | None, top_k: int = 20, min_count: int = 2, min_idf: float = 1.5):
        self.idf, self.top_k, self.min_count, self.min_idf = idf, top_k, min_count, min_idf
        self._counts: dict[tuple[str, str], Counter] = {}  # word counts per document, reused across examples

    @classmethod
    def from_config(cls, config, dataset) -> "KeywordSynthesizer":
        s = config.synthesize
        idf = training_idf(dataset) if dataset is not None else None
        return cls(idf, top_k=s.top_k, min_count=s.min_count, min_idf=s.min_idf)

    def synthesize(self, examples: Sequence[Example],
                   rankings: Sequence[Ranking | None]) -> list[tuple[SynthesizedWord, ...]]:
        out = []
        for example in examples:
            counts: Counter = Counter()
            for doc in example.profile:  # a user's documents recur in each of their examples: count each once
                counts.update(self._doc_counts(doc))
            # without a training corpus, IDF falls back to the user's own profile documents
            idf = self.idf if self.idf is not None else IdfTable.from_texts(d.full_text for d in example.profile)
            out.append(top_keywords(counts, idf, self.top_k, self.min_count, self.min_idf))
        return out

    def _doc_counts(self, doc) -> Counter:
        key = (doc.doc_id, doc.full_text)
        counts = self._counts.get(key)
        if counts is None:
            if len(self._counts) >= 50_000:
                self._counts.clear()
            counts = self._counts[key] = Counter(WORDS.words(doc.full_text))
        return counts
