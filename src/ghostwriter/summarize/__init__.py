"""Summarizers: one summary per example from its ranked entries (Li et al. 2023, sec. 4.3).

``sum_ind`` summarizes the ranked entries alone with a general summarizer; ``sum_ctx`` gives
the summarizer the immediate context too (a model trained on weak labels, see
:mod:`ghostwriter.summarize.weak_labels`). :func:`summary_input` is the exact text a
summarizer reads: never the target.
"""
from __future__ import annotations

from collections.abc import Sequence

from ghostwriter.errors import GhostwriterError
from ghostwriter.records import Example, Ranking


def summary_input(method: str, example: Example, ranking: Ranking | None, max_chars: int = 2500) -> str:
    """What the summarizer reads: the ranked entries (cut to ``max_chars``), plus the context for sum_ctx."""
    entries = (ranking.text if ranking is not None else "")[:max_chars]
    if method == "sum_ctx":
        return f"passage start: {example.context}\npast passages: {entries}"
    return entries


class NoSummarizer:
    """``none``: no summary."""

    name = "none"

    def summarize(self, examples: Sequence[Example], rankings) -> list[str]:
        return ["" for _ in examples]


def get_summarizer(config):
    """The summarizer ``config.summarize.method`` names (its model loads on first use)."""
    method = config.summarize.method
    if method == "none":
        return NoSummarizer()
    if method in ("sum_ind", "sum_ctx"):
        from ghostwriter.summarize.independent import LMSummarizer

        return LMSummarizer.from_config(config)
    raise GhostwriterError(f"unknown summarizer {method!r}; choose from: none, sum_ind, sum_ctx")
