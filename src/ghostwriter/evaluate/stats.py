"""Statistics over per-example scores: seeded bootstrap CIs, paired tests, breakdowns.

All resampling uses ``numpy.random.default_rng(seed)``; the same seed gives the same interval.
A "statistic" is the mean of per-example values, except corpus BLEU, which is recomputed from
resampled n-gram statistics (Koehn 2004).

>>> ci = bootstrap_ci([10.0, 20.0, 30.0, 40.0], samples=200, seed=0)
>>> ci.low <= ci.value <= ci.high
True
"""
from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from ghostwriter.errors import GhostwriterError

PROFILE_SIZE_BINS = ((0, 4), (5, 9), (10, 19), (20, 49), (50, None))  # profile documents, inclusive


@dataclass(frozen=True)
class Interval:
    """A statistic with its 95% percentile-bootstrap confidence interval."""

    value: float
    low: float
    high: float
    samples: int
    seed: int


@dataclass(frozen=True)
class PairedTest:
    """System A minus system B on the same examples: the difference and two p-values (two-sided)."""

    difference: float
    p_bootstrap: float  # paired bootstrap, null-centred (Berg-Kirkpatrick et al. 2012; sacrebleu's paired-bs)
    p_ttest: float  # paired t-test on per-example values (scipy.stats.ttest_rel)
    n: int
    samples: int
    seed: int


def _statistic(stats: Sequence | None) -> Callable[[np.ndarray, np.ndarray], np.ndarray]:
    """Statistic of each resample (rows of ``indices``): the mean, or corpus BLEU from ``stats``."""
    if stats:
        from ghostwriter.evaluate.metrics import corpus_bleu_from_stats

        table = np.asarray(stats, dtype=np.int64)
        return lambda values, indices: np.array([corpus_bleu_from_stats(table[row].tolist()) for row in indices])
    return lambda values, indices: values[indices].mean(axis=1)


def _resample_indices(n: int, samples: int, seed: int) -> np.ndarray:
    if n == 0:
        raise GhostwriterError("cannot bootstrap zero examples")
    return np.random.default_rng(seed).integers(0, n, size=(samples, n))


def bootstrap_ci(values: Sequence[float], samples: int = 1000, seed: int = 0, stats: Sequence | None = None,
                 level: float = 0.95) -> Interval:
    """Percentile bootstrap interval of the mean (or of corpus BLEU when ``stats`` are given)."""
    values = np.asarray(values, dtype=float)
    statistic = _statistic(stats)
    full = float(statistic(values, np.arange(len(values))[None, :])[0])
    draws = statistic(values, _resample_indices(len(values), samples, seed))
    tail = (1.0 - level) / 2 * 100
    return Interval(full, float(np.percentile(draws, tail)), float(np.percentile(draws, 100 - tail)), samples, seed)


def paired_test(values_a: Sequence[float], values_b: Sequence[float], samples: int = 1000, seed: int = 0,
                stats_a: Sequence | None = None, stats_b: Sequence | None = None) -> PairedTest:
    """Is A different from B on the same examples? Paired bootstrap and paired t-test p-values.

    Bootstrap p = share of resampled differences at least as far from the observed difference
    as the observed difference is from 0 (the null-centred test), so identical systems give 1.
    """
    from scipy import stats as scipy_stats

    a, b = np.asarray(values_a, dtype=float), np.asarray(values_b, dtype=float)
    if a.shape != b.shape:
        raise GhostwriterError(f"paired test needs the same examples: {len(a)} vs {len(b)} scores")
    stat_a, stat_b = _statistic(stats_a), _statistic(stats_b)
    everything = np.arange(len(a))[None, :]
    observed = float(stat_a(a, everything)[0] - stat_b(b, everything)[0])
    indices = _resample_indices(len(a), samples, seed)
    diffs = stat_a(a, indices) - stat_b(b, indices)
    p_boot = float((np.sum(np.abs(diffs - observed) >= abs(observed) - 1e-12) + 1) / (samples + 1))
    per_example = a - b
    if len(per_example) == 0 or np.ptp(per_example) < 1e-12:
        # zero variance: the t statistic is undefined; no difference means no evidence (p=1),
        # a constant non-zero difference is as strong as it gets (p=0)
        p_t = 1.0 if not len(per_example) or abs(per_example[0]) < 1e-12 else 0.0
    else:
        p_t = float(scipy_stats.ttest_rel(a, b).pvalue)
    return PairedTest(float(observed), min(1.0, p_boot), p_t, len(a), samples, seed)


def significance_mark(test: PairedTest | None, alpha: float = 0.05) -> str:
    """``+`` better, ``-`` worse (both p-values below alpha), ``''`` otherwise."""
    if test is None or math.isnan(test.p_ttest) or max(test.p_bootstrap, test.p_ttest) >= alpha:
        return ""
    return "+" if test.difference > 0 else "-"


def profile_size_bin(size: int) -> str:
    for low, high in PROFILE_SIZE_BINS:
        if size >= low and (high is None or size <= high):
            return f"{low}+" if high is None else f"{low}-{high}"
    raise GhostwriterError(f"negative profile size {size}")


def breakdown(values: Sequence[float], keys: Sequence[str]) -> dict[str, dict[str, float]]:
    """Mean and count of per-example values grouped by key (a user id, a profile-size bin)."""
    groups: dict[str, list[float]] = defaultdict(list)
    for value, key in zip(values, keys, strict=True):
        groups[key].append(value)
    return {key: {"mean": float(np.mean(v)), "n": len(v)} for key, v in sorted(groups.items())}
