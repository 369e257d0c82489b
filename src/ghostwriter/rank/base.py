"""What every ranker shares: order candidates by score (newest first on ties) and cut to budget.

A ranker scores each example's candidate units (documents or snippets, laid out by
:func:`ghostwriter.retrieve.layout.layout_profiles`) into one flat array, and
:func:`rankings_from_scores` turns that into :class:`~ghostwriter.records.Ranking` records.
Ties, including "no query word matched anything" (all scores 0), fall back to recency.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np

from ghostwriter.records import Example, RankedEntry, Ranking
from ghostwriter.retrieve.layout import ProfileLayout, Units, layout_profiles

SEPARATOR = "\n"  # between entries, as in Ranking.text; counted against the budget


def cut_to_budget(pieces: Iterable[tuple[str, float, int, int, str]], budget: int) -> tuple[RankedEntry, ...]:
    """Keep ``(doc_id, score, start, end, text)`` pieces in order until ``budget`` characters.

    The separators between entries count, so ``len(Ranking.text) <= budget`` always; the
    last entry that does not fit whole is cut short (its ``end`` moves with it).
    """
    entries: list[RankedEntry] = []
    used = 0
    for doc_id, score, start, end, text in pieces:
        if not text:
            continue
        room = budget - used - (len(SEPARATOR) if entries else 0)
        if room <= 0:
            break
        if len(text) > room:
            entries.append(RankedEntry(doc_id, float(score), start, start + room, text[:room]))
            break
        entries.append(RankedEntry(doc_id, float(score), start, end, text))
        used += len(text) + (len(SEPARATOR) if len(entries) > 1 else 0)
    return tuple(entries)


def rankings_from_scores(examples: Sequence[Example], units: Units, scores: np.ndarray, ranker: str,
                         budget: int) -> list[Ranking]:
    """One budget-cut Ranking per example from flat per-candidate scores (see ``Units.offsets``)."""
    offsets = units.offsets.tolist()
    los, his = units.lo.tolist(), units.hi.tolist()
    neg_scores, neg_recency = -scores, -units.recency
    table = _UnitTable(units)
    out = []
    for i, example in enumerate(examples):
        lo, hi = los[i], his[i]
        entries: tuple[RankedEntry, ...] = ()
        if hi > lo:
            a, b = offsets[i], offsets[i + 1]
            order = np.lexsort((neg_recency[lo:hi], neg_scores[a:b]))  # score desc, then newest first
            entries = cut_to_budget(table.pieces(lo, order, scores[a:b]), budget)
        out.append(Ranking(example.example_id, ranker, entries))
    return out


def order_segment(scores: np.ndarray, recency: np.ndarray) -> np.ndarray:
    """Positions ordered by score, highest first; ties go to the newer unit."""
    return np.lexsort((-recency, -scores))


class _UnitTable:
    """Per-unit doc ids, spans and texts as Python lists, so building entries touches no numpy scalars."""

    def __init__(self, units: Units):
        doc_ids = [d.doc_id for d in units.docs]
        self.doc_id = [doc_ids[s] for s in units.doc_slot.tolist()]
        self.start, self.end, self.text = units.start.tolist(), units.end.tolist(), units.texts

    def pieces(self, lo: int, order: np.ndarray, segment: np.ndarray, first: int = 16):
        """Candidates in order, converted lazily: the budget is usually spent within the first few."""
        for at in range(0, len(order), first):
            chunk = order[at:at + first]
            for j, score in zip(chunk.tolist(), segment[chunk].tolist()):
                u = lo + j
                yield self.doc_id[u], score, self.start[u], self.end[u], self.text[u]
            first = len(order)


class ScoringRanker:
    """A ranker that scores candidate units; subclasses define ``units`` and ``score``."""

    name = "base"

    def __init__(self, config):
        self.config = config

    def units(self, layout: ProfileLayout) -> Units:
        return layout.documents()

    def score(self, examples: Sequence[Example], layout: ProfileLayout, units: Units) -> np.ndarray:
        raise NotImplementedError

    def rank(self, examples: Sequence[Example]) -> list[Ranking]:
        examples = list(examples)
        layout = layout_profiles(examples)
        units = self.units(layout)
        scores = self.score(examples, layout, units)
        return rankings_from_scores(examples, units, scores, self.name, self.config.rank.budget_chars)


def snippet_scores_to_documents(layout: ProfileLayout, snippets: Units, docs: Units,
                                scores: np.ndarray) -> np.ndarray:
    """Each document's score is its best snippet's (RankDocBySnpt), as a flat per-document array."""
    out = np.zeros(int(docs.offsets[-1]), dtype=np.float64)
    if not len(scores):
        return out
    n = len(snippets.lo)
    sizes = snippets.hi - snippets.lo
    example_of_pair = np.repeat(np.arange(n), sizes)
    unit_of_pair = np.arange(len(scores)) - np.repeat(snippets.offsets[:-1], sizes) + np.repeat(snippets.lo, sizes)
    doc_pair = docs.offsets[example_of_pair] + snippets.doc_slot[unit_of_pair] - layout.doc_lo[example_of_pair]
    starts = np.flatnonzero(np.concatenate([[True], doc_pair[1:] != doc_pair[:-1]]))
    out[doc_pair[starts]] = np.maximum.reduceat(scores, starts)
    return out
