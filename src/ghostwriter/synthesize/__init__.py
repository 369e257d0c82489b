"""Synthesizers: important words per example, from its context and profile only.

``get_synthesizer(config, dataset).synthesize(examples, rankings)`` returns one tuple of
:class:`~ghostwriter.records.SynthesizedWord` per example. ``synthesize.method`` names one
synthesizer or several joined with ``+`` (``syn_ind+centroid_glove``): their words are merged
in that order without duplicates, so the old synthesis's words come first.
"""
from __future__ import annotations

from collections.abc import Sequence

from ghostwriter.config import SYNTHESIZE_BASE_METHODS
from ghostwriter.errors import GhostwriterError
from ghostwriter.records import Example, Ranking, SynthesizedWord


def _keywords(name, config, dataset):
    from ghostwriter.synthesize.keywords import KeywordSynthesizer

    return KeywordSynthesizer.from_config(config, dataset)


def _context_keywords(name, config, dataset):
    from ghostwriter.synthesize.weak_labels import ContextKeywordSynthesizer

    return ContextKeywordSynthesizer.from_config(config, dataset)


def _centroid(name, config, dataset):
    from ghostwriter.synthesize.centroid import CentroidSynthesizer

    return CentroidSynthesizer.from_config(name, config, dataset)


SYNTHESIZERS = {
    "syn_ind": _keywords,  # SynInd: the profile's frequent, rare-in-corpus words (Li et al. 2023)
    "syn_ctx": _context_keywords,  # SynCtx: profile words similar to what the user will write
    "centroid_w2v": _centroid,  # profile words nearest the context's Word2Vec centroid (follow-up study)
    "centroid_glove": _centroid,  # the same with GloVe vectors
}
assert set(SYNTHESIZERS) == set(SYNTHESIZE_BASE_METHODS) - {"none"}


class NoSynthesizer:
    """``none``: no important words."""

    name = "none"

    def synthesize(self, examples: Sequence[Example], rankings) -> list[tuple[SynthesizedWord, ...]]:
        return [() for _ in examples]


def merge_words(*lists: Sequence[SynthesizedWord]) -> tuple[SynthesizedWord, ...]:
    """Words of several synthesizers, in the order given, each surface word once (first one wins)."""
    seen: set[str] = set()
    out = []
    for words in lists:
        for word in words:
            if word.word not in seen:
                seen.add(word.word)
                out.append(word)
    return tuple(out)


class MergedSynthesizer:
    """Several synthesizers' words, merged in order without duplicates (``syn_ind+centroid_glove``)."""

    def __init__(self, parts: Sequence):
        self.parts = list(parts)
        self.name = "+".join(p.name for p in self.parts)

    def synthesize(self, examples: Sequence[Example],
                   rankings: Sequence[Ranking | None]) -> list[tuple[SynthesizedWord, ...]]:
        results = [part.synthesize(examples, rankings) for part in self.parts]
        return [merge_words(*per_example) for per_example in zip(*results, strict=True)]


def get_synthesizer(config, dataset=None):
    """The synthesizer ``config.synthesize.method`` names; ``dataset`` supplies training statistics."""
    method = config.synthesize.method
    if method == "none":
        return NoSynthesizer()
    parts = []
    for name in method.split("+"):
        if name not in SYNTHESIZERS:
            raise GhostwriterError(f"unknown synthesizer {name!r}; choose from: none, {', '.join(SYNTHESIZERS)}")
        part = SYNTHESIZERS[name](name, config, dataset)
        parts.append(part)
    return parts[0] if len(parts) == 1 else MergedSynthesizer(parts)
