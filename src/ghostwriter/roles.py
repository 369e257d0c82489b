"""The role contracts between stages: small, batch-first protocols.

A stage is anything with the right method; the pipeline and the experiment runner only
ever talk to these. Heavy stages load their models in ``load()``, once, never at import.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

from ghostwriter.records import Example, Ranking, SynthesizedWord


@runtime_checkable
class Ranker(Protocol):
    """Orders each example's profile using only its immediate context."""

    name: str

    def rank(self, examples: Sequence[Example]) -> list[Ranking]: ...


@runtime_checkable
class Summarizer(Protocol):
    """One summary per example from its ranked entries (and, for sum_ctx, its context)."""

    def summarize(self, examples: Sequence[Example], rankings: Sequence[Ranking]) -> list[str]: ...


@runtime_checkable
class Synthesizer(Protocol):
    """Important words per example, from its context and profile only."""

    def synthesize(self, examples: Sequence[Example],
                   rankings: Sequence[Ranking]) -> list[tuple[SynthesizedWord, ...]]: ...


@runtime_checkable
class Generator(Protocol):
    """Continuations for prompts."""

    def generate(self, prompts: Sequence[str]) -> list[str]: ...
