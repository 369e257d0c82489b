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
    """One budget-cut Ranking per example from flat per-candidate scores (see ``Units.offsets``).

    The same result as ordering each example's candidates with :func:`order_segment` and
    cutting with :func:`cut_to_budget` (a property test holds the two together), computed for
    all examples at once: only candidates that can reach the prompt are sorted
    (:func:`_contenders`), then one sort, one vectorised cut and one pass building records.
    """
    n = len(examples)
    scores = np.asarray(scores, dtype=np.float64)
    if not n:
        return []
    if not len(scores) or not np.isfinite(scores).all():
        return [Ranking(e.example_id, ranker, entries) for e, entries in zip(examples, _rank_one_by_one(
            units, scores, budget))]
    pair, example, unit = _contenders(units, scores, budget)
    order = np.lexsort((-units.recency[unit], -scores[pair], example))  # score desc, then newest first
    pair, example, unit = pair[order], example[order], unit[order]
    # The cut, all examples at once: `used` = characters through each entry, separators included.
    length = units.end[unit] - units.start[unit]
    used = np.cumsum(length + len(SEPARATOR))
    first = np.flatnonzero(np.concatenate([[True], example[1:] != example[:-1]]))
    before = np.concatenate([[0], used[:-1]])[first]
    used -= np.repeat(before, np.diff(np.append(first, len(example)))) + len(SEPARATOR)
    whole = used <= budget
    room = budget - used + length  # what is left for this entry if it is the one that does not fit
    reached = np.concatenate([[True], whole[:-1]])  # the previous entry of the same example fitted whole
    reached[first] = True
    cut = ~whole & reached & (room > 0)
    take = np.flatnonzero(whole | cut)
    table = _UnitTable(units)
    doc_id, start, end, text = table.doc_id, table.start, table.end, table.text
    entries = [RankedEntry(doc_id[u], s, start[u], end[u], text[u])
               for u, s in zip(unit[take].tolist(), scores[pair[take]].tolist())]
    for at, keep in zip(np.flatnonzero(cut[take]).tolist(), room[cut].tolist()):
        e = entries[at]
        entries[at] = RankedEntry(e.doc_id, e.score, e.start, e.start + keep, e.text[:keep])
    ends = np.cumsum(np.bincount(example[take], minlength=n)).tolist()
    return [Ranking(e.example_id, ranker, tuple(entries[a:b])) for e, a, b in zip(examples, [0, *ends], ends)]


CONTENDER_LEVELS = 16  # score levels per example when choosing what to sort (any number gives the same result)


def _contenders(units: Units, scores: np.ndarray, budget: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Flat positions, examples and unit slots of every candidate that can make the budget cut.

    Entries are taken best first, so once the candidates scoring at least some ``t`` fill the
    budget, nothing below ``t`` is reached. Each example's scores are binned into
    ``CONTENDER_LEVELS`` levels between its min and max (a monotone map, so each "level >= k" is
    "score >= some t"); the highest level whose candidates fill the budget is the example's cut-off.
    Empty texts never become entries and are dropped here, as :func:`cut_to_budget` skips them.
    """
    n, levels = len(units.lo), CONTENDER_LEVELS
    sizes = units.hi - units.lo
    offsets = units.offsets
    filled = np.flatnonzero(sizes)
    top, bottom = np.zeros(n), np.zeros(n)
    top[filled] = np.maximum.reduceat(scores, offsets[filled])
    bottom[filled] = np.minimum.reduceat(scores, offsets[filled])
    spread = top - bottom
    scale = np.divide(levels, spread, out=np.zeros(n), where=spread > 0)
    with np.errstate(over="ignore", invalid="ignore"):
        level = (scores - np.repeat(bottom, sizes)) * np.repeat(scale, sizes)
    np.clip(level, 0, levels, out=level)  # rounding can land just above `levels`
    # a spread that overflows to inf makes scale 0 and (score - bottom) may be inf: inf * 0 is nan, level 0
    level = np.nan_to_num(level, copy=False).astype(np.int64)
    unit = units.pair_units()
    length = units.end - units.start
    cost = (length + np.where(length > 0, len(SEPARATOR), 0))[unit]  # an entry's characters and separator
    bins = np.repeat(np.arange(n) * (levels + 1), sizes) + level
    per_level = np.bincount(bins, weights=cost, minlength=n * (levels + 1)).reshape(n, levels + 1)
    fills = np.cumsum(per_level[:, ::-1], axis=1)[:, ::-1] - len(SEPARATOR) >= budget  # levels >= k fill it
    cutoff = np.where(fills.any(axis=1), levels - np.argmax(fills[:, ::-1], axis=1), 0)
    pair = np.flatnonzero((level >= np.repeat(cutoff, sizes)) & (cost > 0))
    return pair, np.searchsorted(offsets, pair, side="right") - 1, unit[pair]


def _rank_one_by_one(units: Units, scores: np.ndarray, budget: int) -> list[tuple[RankedEntry, ...]]:
    """The per-example rule itself, for scores the batched path cannot bin (nan or infinite) or none at all."""
    table = _UnitTable(units)
    out = []
    for lo, hi, a in zip(units.lo.tolist(), units.hi.tolist(), units.offsets.tolist()):
        segment = scores[a:a + hi - lo]
        order = order_segment(segment, units.recency[lo:hi]).tolist()
        out.append(cut_to_budget(((table.doc_id[lo + j], float(segment[j]), table.start[lo + j], table.end[lo + j],
                                   table.text[lo + j]) for j in order), budget))
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
    doc_pair = (docs.offsets[example_of_pair] + snippets.doc_slot[snippets.pair_units()]
                - layout.doc_lo[example_of_pair])
    starts = np.flatnonzero(np.concatenate([[True], doc_pair[1:] != doc_pair[:-1]]))
    out[doc_pair[starts]] = np.maximum.reduceat(scores, starts)
    return out
