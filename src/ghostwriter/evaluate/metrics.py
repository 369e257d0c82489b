"""Overlap metrics with signatures: BLEU (sacrebleu) and ROUGE-1/2/L F1 (rouge-score), in percent.

One argument order everywhere: ``(predictions, references)``. rouge-score takes the target
first; :func:`rouge` wraps it so callers never see that. Every result carries a sacrebleu-style
signature (metric, tokenizer, case, stemmer, smoothing, library versions, seed) stored next to
the number, and keeps its per-example values so statistics can be computed later.

>>> result = bleu(["the cat sat on the mat"], ["the cat sat on a mat"])
>>> round(result.aggregates["corpus"], 2), result.signature.split("|")[0]
(53.73, 'metric:bleu')
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from ghostwriter.errors import GhostwriterError, require

ROUGE_TYPES = ("rouge1", "rouge2", "rougeL")


@dataclass(frozen=True)
class MetricResult:
    """One metric over a set of examples: per-example values (percent), aggregates and signature.

    ``aggregates`` holds ``mean`` and ``max`` of the per-example values, and for BLEU also
    ``corpus`` (sacrebleu's corpus BLEU). ``stats`` holds per-example sufficient statistics when
    the corpus value is not a mean (BLEU: n-gram counts), so bootstraps can resample it exactly.
    """

    metric: str
    per_example: tuple[float, ...]
    aggregates: dict[str, float]
    signature: str
    stats: tuple[tuple[int, ...], ...] = field(default=(), repr=False)

    def scores(self):
        """The aggregates as :class:`ghostwriter.records.Score` records (``bleu.mean``, ``bleu.corpus`` ...)."""
        from ghostwriter.records import Score

        return [Score(f"{self.metric}.{k}", v, self.signature) for k, v in self.aggregates.items()]


def _check_pairs(predictions: Sequence[str], references: Sequence[str]) -> None:
    if isinstance(predictions, str) or isinstance(references, str):
        raise GhostwriterError("metrics take lists of texts (predictions, references), not single strings")
    if len(predictions) != len(references):
        raise GhostwriterError(f"{len(predictions)} predictions but {len(references)} references")


@lru_cache(maxsize=None)
def library_version(name: str) -> str:
    import importlib.metadata

    return importlib.metadata.version(name)


def signature(**fields) -> str:
    """``key:value|key:value`` in the given order, like sacrebleu's signatures."""
    return "|".join(f"{k}:{v}" for k, v in fields.items())


def _summary(values: Sequence[float]) -> dict[str, float]:
    return {"mean": sum(values) / len(values) if values else 0.0, "max": max(values) if values else 0.0}


# ----------------------------------------------------------------------------- BLEU

def _bleu_objects():
    metrics = require("sacrebleu.metrics", "eval")
    # Sentence BLEU needs smoothing and effective order, or any missing 4-gram gives 0 (Chen & Cherry 2014).
    return metrics.BLEU(), metrics.BLEU(effective_order=True)


def bleu(predictions: Sequence[str], references: Sequence[str], seed: int = 0) -> MetricResult:
    """Corpus BLEU plus per-example sentence BLEU (mean, max), sacrebleu defaults (13a, exp smoothing).

    ``seed`` is only recorded in the signature (the bootstrap that uses these numbers is seeded).
    """
    _check_pairs(predictions, references)
    corpus_metric, sentence_metric = _bleu_objects()
    per_example, stats = [], []
    for prediction, reference in zip(predictions, references):
        per_example.append(sentence_metric.sentence_score(prediction, [reference]).score)
        single = corpus_metric.corpus_score([prediction], [[reference]])
        stats.append((*single.counts, *single.totals, single.sys_len, single.ref_len))
    corpus = corpus_metric.corpus_score(list(predictions), [list(references)]).score if predictions else 0.0
    sig = signature(metric="bleu", nrefs=1, case="mixed", tok="13a", smooth="exp", eff_sentence="yes",
                    version=f"sacrebleu-{library_version('sacrebleu')}", seed=seed)
    return MetricResult("bleu", tuple(per_example), {**_summary(per_example), "corpus": corpus}, sig, tuple(stats))


def corpus_bleu_from_stats(stats: Sequence[Sequence[int]]) -> float:
    """Corpus BLEU from summed per-example statistics (4 matches, 4 totals, sys_len, ref_len).

    Papineni et al. 2002: BP * exp(mean_n log p_n), computed by sacrebleu's own ``compute_bleu``
    so a bootstrap resample scores exactly as ``corpus_score`` would.
    """
    metrics = require("sacrebleu.metrics", "eval")
    totals = [sum(column) for column in zip(*stats)] if stats else [0] * 10
    return metrics.BLEU.compute_bleu(totals[0:4], totals[4:8], totals[8], totals[9], smooth_method="exp").score


# ----------------------------------------------------------------------------- ROUGE

@lru_cache(maxsize=4)
def _rouge_scorer(stemmer: bool):
    rouge_scorer = require("rouge_score.rouge_scorer", "eval")
    return rouge_scorer.RougeScorer(list(ROUGE_TYPES), use_stemmer=stemmer)


def rouge_prf(prediction: str, reference: str, stemmer: bool = True) -> dict[str, tuple[float, float, float]]:
    """ROUGE-1/2/L ``(precision, recall, F1)`` in percent for one pair.

    Wraps rouge-score, whose ``score(target, prediction)`` takes the reference first: here,
    as everywhere in Ghostwriter, the prediction comes first. Precision is over the prediction's
    n-grams, recall over the reference's.
    """
    scores = _rouge_scorer(stemmer).score(reference, prediction)  # rouge-score: score(target, prediction)
    return {name: (100.0 * scores[name].precision, 100.0 * scores[name].recall, 100.0 * scores[name].fmeasure)
            for name in ROUGE_TYPES}


def rouge_f1(prediction: str, reference: str, stemmer: bool = True) -> dict[str, float]:
    """ROUGE-1/2/L F1 in percent for one pair (see :func:`rouge_prf` for the argument order)."""
    return {name: prf[2] for name, prf in rouge_prf(prediction, reference, stemmer).items()}


def rouge(predictions: Sequence[str], references: Sequence[str], stemmer: bool = True,
          seed: int = 0) -> dict[str, MetricResult]:
    """ROUGE-1, ROUGE-2 and ROUGE-L F1 (percent) per example, with mean and max; one result per type."""
    _check_pairs(predictions, references)
    per_type: dict[str, list[float]] = {name: [] for name in ROUGE_TYPES}
    for prediction, reference in zip(predictions, references):
        for name, value in rouge_f1(prediction, reference, stemmer).items():
            per_type[name].append(value)
    results = {}
    for name, values in per_type.items():
        sig = signature(metric=f"{name}-f", tok="rouge_score-default", case="lc", stem="yes" if stemmer else "no",
                        version=f"rouge-score-{library_version('rouge-score')}", seed=seed)
        results[name] = MetricResult(name, tuple(values), _summary(values), sig)
    return results


def mean_or_nan(values: Sequence[float]) -> float:
    return sum(values) / len(values) if values else math.nan
