"""The shared word tokenizer: lower-case, split into words, drop stopwords, stem.

BM25, the keyword synthesizers and anything else that counts words use this one
tokenizer, so "the words of a text" means the same thing in every stage.

>>> tok = Tokenizer(stemmer="english", stopwords="en")
>>> tok.words("Fixed the ARC's eviction of dirty buffers")
['fixed', "arc's", 'eviction', 'dirty', 'buffers']
>>> tok.terms("Fixed the ARC's eviction of dirty buffers")
['fix', 'arc', 'evict', 'dirti', 'buffer']
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

# A word is a run of letters/digits, joined by underscores or apostrophes into one word
# (identifiers like ``arc_read`` stay whole; "don't", "arc's"); edge underscores are not part of it.
WORD_RE = re.compile(r"[^\W_]+(?:(?:_+|')[^\W_]+)*")
_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'"})

# NLTK's English stopword list (179 words), inlined so no corpus download is ever needed.
_ENGLISH = """
i me my myself we our ours ourselves you you're you've you'll you'd your yours yourself yourselves
he him his himself she she's her hers herself it it's its itself they them their theirs themselves
what which who whom this that that'll these those am is are was were be been being have has had
having do does did doing a an the and but if or because as until while of at by for with about
against between into through during before after above below to from up down in out on off over
under again further then once here there when where why how all any both each few more most other
some such no nor not only own same so than too very s t can will just don don't should should've
now d ll m o re ve y ain aren aren't couldn couldn't didn didn't doesn doesn't hadn hadn't hasn
hasn't haven haven't isn isn't ma mightn mightn't mustn mustn't needn needn't shan shan't shouldn
shouldn't wasn wasn't weren weren't won won't wouldn wouldn't
"""

# Lucene's classic English analyzer stopwords (33 words): a lighter list that keeps pronouns.
_LUCENE = """
a an and are as at be but by for if in into is it no not of on or such that the their then there
these they this to was will with
"""

STOPWORDS: dict[str, frozenset[str]] = {
    "en": frozenset(_ENGLISH.split()),
    "lucene": frozenset(_LUCENE.split()),
    "": frozenset(),
}


class TextConfigError(ValueError):
    """An unknown stemmer or stopword list name (a ConfigError is raised by config validation)."""


def stemmer_names() -> list[str]:
    """PyStemmer's languages (``english``, ``porter``, ``german`` ...), plus "" for no stemming."""
    import Stemmer

    return ["", *Stemmer.algorithms()]


def check_text_options(stemmer: str, stopwords: str) -> None:
    """Raise :class:`TextConfigError` naming the valid choices when a name is unknown."""
    if stopwords not in STOPWORDS:
        raise TextConfigError(f"unknown stopword list {stopwords!r}; choose from: "
                              + ", ".join(repr(k) for k in STOPWORDS))
    if stemmer and stemmer not in stemmer_names():
        raise TextConfigError(f"unknown stemmer {stemmer!r}; choose from: "
                              + ", ".join(repr(k) for k in stemmer_names()))


class Tokenizer:
    """Words and stemmed index terms of a text.

    ``words`` keeps the surface form (lower-cased, stopwords removed), for showing keywords
    to people; ``terms`` stems those words, for matching (BM25, keyword counts).

    >>> Tokenizer(stemmer="", stopwords="").words("A b_c  d'e __")
    ['a', 'b_c', "d'e"]
    """

    def __init__(self, stemmer: str = "english", stopwords: str = "en"):
        check_text_options(stemmer, stopwords)
        self.stemmer_name = stemmer
        self.stopwords_name = stopwords
        self.stopwords = STOPWORDS[stopwords]
        if stemmer:
            import Stemmer

            self._stemmer = Stemmer.Stemmer(stemmer)
            self._stemmer.maxCacheSize = 200_000
        else:
            self._stemmer = None

    @classmethod
    def from_config(cls, retrieve_config) -> "Tokenizer":
        """The tokenizer named by ``config.retrieve`` (its ``stemmer`` and ``stopwords`` fields)."""
        return cls(stemmer=retrieve_config.stemmer, stopwords=retrieve_config.stopwords)

    def words(self, text: str) -> list[str]:
        """Lower-cased words in order, stopwords removed, not stemmed."""
        stop = self.stopwords
        return [w for w in WORD_RE.findall(text.lower().translate(_APOSTROPHES)) if w not in stop]

    def stem(self, words: Sequence[str]) -> list[str]:
        """Stem already-split words (identity when stemming is off)."""
        if self._stemmer is None:
            return list(words)
        return self._stemmer.stemWords(words)

    def terms(self, text: str) -> list[str]:
        """Stemmed index terms of ``text``: :meth:`words`, then the stemmer."""
        return self.stem(self.words(text))

    def terms_many(self, texts: Iterable[str]) -> list[list[str]]:
        """:meth:`terms` for many texts."""
        return [self.terms(text) for text in texts]

    @property
    def signature(self) -> str:
        """What this tokenizer does, for result signatures and cache keys."""
        return f"words=WORD_RE|lower|stop={self.stopwords_name or 'none'}|stem={self.stemmer_name or 'none'}"

    def __repr__(self) -> str:
        return f"Tokenizer(stemmer={self.stemmer_name!r}, stopwords={self.stopwords_name!r})"
