"""Side-by-side comparison: ``compare({name: system}, examples, metrics)`` -> one table.

A *system* is anything that yields one text per example: a ready list of
:class:`~ghostwriter.records.Generation` or strings, a ``(pipeline, generator)`` pair, or an
object with ``run(examples) -> list[Generation]``. Every system is scored on the same examples,
so paired tests between any two rows are valid.

>>> table = compare({"repeat": ["a b c"], "copy": ["a b d"]}, examples, ["rouge"])  # doctest: +SKIP
>>> print(table.markdown(compare_to=["repeat"]))  # doctest: +SKIP
"""
from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from ghostwriter.errors import GhostwriterError
from ghostwriter.evaluate.metrics import ROUGE_TYPES, MetricResult, bleu, rouge
from ghostwriter.evaluate.stats import (Interval, PairedTest, bootstrap_ci, breakdown, paired_test,
                                        profile_size_bin, significance_mark)
from ghostwriter.records import Document, Example, Generation

METRIC_NAMES = ("bleu", "rouge", "style")  # "rouge" gives rouge1, rouge2 and rougeL
LABELS = {"bleu": "BLEU", "rouge1": "ROUGE-1", "rouge2": "ROUGE-2", "rougeL": "ROUGE-L", "style": "Style"}


@dataclass(frozen=True)
class MetricSettings:
    """What the metrics need beyond texts: stemming, seeds, and documents for the style classifier."""

    rouge_stemmer: bool = True
    bootstrap_samples: int = 1000
    seed: int = 0
    style_documents: tuple[Document, ...] = ()  # extra training documents (the training split's)


def check_metric_names(names: Sequence[str], where: str = "metrics") -> None:
    unknown = [n for n in names if n not in METRIC_NAMES]
    if unknown:
        raise GhostwriterError(f"{where}: unknown metric(s) {', '.join(map(repr, unknown))}; "
                               f"choose from {', '.join(METRIC_NAMES)}")


def score_texts(predictions: Mapping[str, Sequence[str]], examples: Sequence[Example], metrics: Sequence[str],
                settings: MetricSettings) -> dict[str, dict[str, MetricResult]]:
    """``{system: {metric: MetricResult}}``; the style classifier is fitted once and shared."""
    check_metric_names(metrics)
    references = [e.target for e in examples]
    classifier = None
    if "style" in metrics:
        from ghostwriter.evaluate.style import StyleClassifier, style_training_documents

        classifier = StyleClassifier.fit(style_training_documents(examples, settings.style_documents), settings.seed)
    results: dict[str, dict[str, MetricResult]] = {}
    for name, texts in predictions.items():
        if len(texts) != len(examples):
            raise GhostwriterError(f"system {name!r} gave {len(texts)} texts for {len(examples)} examples")
        row: dict[str, MetricResult] = {}
        if "bleu" in metrics:
            row["bleu"] = bleu(texts, references, seed=settings.seed)
        if "rouge" in metrics:
            row.update(rouge(texts, references, stemmer=settings.rouge_stemmer, seed=settings.seed))
        if classifier is not None:
            row["style"] = classifier.attribution(texts, [e.user_id for e in examples])
        results[name] = row
    return results


def _texts_of(system, examples: Sequence[Example]) -> list[str]:
    if isinstance(system, tuple) and len(system) == 2 and hasattr(system[0], "run"):
        pipeline, generator = system
        system = pipeline.run(examples, generator)
    elif hasattr(system, "run"):
        system = system.run(examples)
    if isinstance(system, (list, tuple)):
        return [g.text if isinstance(g, Generation) else str(g) for g in system]
    raise GhostwriterError(f"cannot compare a {type(system).__name__}: give texts, generations, "
                           "a (pipeline, generator) pair or an object with run(examples)")


@dataclass
class Comparison:
    """Scores of several systems on the same examples, with CIs and paired tests on demand."""

    examples: tuple[Example, ...]
    results: dict[str, dict[str, MetricResult]]
    settings: MetricSettings
    _cis: dict = field(default_factory=dict, repr=False)

    @property
    def systems(self) -> list[str]:
        return list(self.results)

    @property
    def metric_names(self) -> list[str]:
        first = next(iter(self.results.values()), {})
        return list(first)

    def interval(self, system: str, metric: str, aggregate: str = "mean") -> Interval:
        key = (system, metric, aggregate)
        if key not in self._cis:
            result = self.results[system][metric]
            stats = result.stats if aggregate == "corpus" else None
            self._cis[key] = bootstrap_ci(result.per_example, self.settings.bootstrap_samples, self.settings.seed,
                                          stats=stats)
        return self._cis[key]

    def paired(self, system: str, other: str, metric: str, aggregate: str = "mean") -> PairedTest:
        a, b = self.results[system][metric], self.results[other][metric]
        corpus = aggregate == "corpus"
        return paired_test(a.per_example, b.per_example, self.settings.bootstrap_samples, self.settings.seed,
                           stats_a=a.stats if corpus else None, stats_b=b.stats if corpus else None)

    def by_user(self, system: str, metric: str) -> dict:
        return breakdown(self.results[system][metric].per_example, [e.user_id for e in self.examples])

    def by_profile_size(self, system: str, metric: str) -> dict:
        return breakdown(self.results[system][metric].per_example,
                         [profile_size_bin(len(e.profile)) for e in self.examples])

    def to_json(self, compare_to: Sequence[str] = ()) -> dict:
        """Everything a report needs: aggregates, CIs, signatures, paired tests, breakdowns."""
        rows = []
        for system, metrics in self.results.items():
            row = {"name": system, "n": len(self.examples), "metrics": {}, "tests": {}}
            for metric, result in metrics.items():
                entry = dict(result.aggregates, signature=result.signature)
                for aggregate in ("mean", "corpus") if "corpus" in result.aggregates else ("mean",):
                    ci = self.interval(system, metric, aggregate)
                    entry[f"ci_{aggregate}"] = [ci.low, ci.high]
                entry["by_user"] = self.by_user(system, metric)
                entry["by_profile_size"] = self.by_profile_size(system, metric)
                row["metrics"][metric] = entry
            for other in compare_to:
                if other in self.results and other != system:
                    row["tests"][other] = {m: vars(self.paired(system, other, m)) for m in metrics}
            rows.append(row)
        return {"n_examples": len(self.examples), "bootstrap_samples": self.settings.bootstrap_samples,
                "seed": self.settings.seed, "compare_to": [c for c in compare_to if c in self.results],
                "rows": rows}

    def markdown(self, compare_to: Sequence[str] = ()) -> str:
        return results_markdown(self.to_json(compare_to))


def compare(systems: Mapping[str, object], examples: Sequence[Example], metrics: Sequence[str] = ("bleu", "rouge"),
            settings: MetricSettings | None = None) -> Comparison:
    """Score every system on the same examples; see the module docstring for what a system may be.

    >>> compare({"echo": [e.context for e in examples]}, examples, ["rouge"]).markdown()  # doctest: +SKIP
    """
    settings = settings or MetricSettings()
    examples = tuple(examples)
    texts = {name: _texts_of(system, examples) for name, system in systems.items()}
    return Comparison(examples, score_texts(texts, examples, metrics, settings), settings)


# ----------------------------------------------------------------------------- tables

def _marks(row: dict, metric: str, compare_to: Sequence[str], alpha: float = 0.05) -> str:
    marks = []
    for other in compare_to:
        test = row["tests"].get(other, {}).get(metric)
        mark = significance_mark(PairedTest(**test), alpha) if test else ""
        if mark:
            marks.append(f"{mark}{_symbol(other, compare_to)}")
    return " ".join(marks)


def _symbol(name: str, compare_to: Sequence[str]) -> str:
    return "abcdefgh"[list(compare_to).index(name)]


def table_columns(results: dict) -> list[str]:
    first = results["rows"][0]["metrics"] if results["rows"] else {}
    return [m for m in ("bleu", *ROUGE_TYPES, "style") if m in first]


def results_markdown(results: dict) -> str:
    """The results table: avg [95% CI] with significance marks, then max, then corpus BLEU."""
    compare_to = results.get("compare_to", [])
    alpha = results.get("alpha", 0.05)  # evaluate.alpha, recorded with the results
    metrics = table_columns(results)
    header = ["system"] + [f"{LABELS[m]} (avg)" for m in metrics]
    header += [f"{LABELS[m]} (max)" for m in metrics if m != "style"]
    header += ["BLEU (corpus)"] if "bleu" in metrics else []
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for row in results["rows"]:
        cells = [row["name"]]
        for m in metrics:
            entry = row["metrics"][m]
            low, high = entry["ci_mean"]
            marks = _marks(row, m, compare_to, alpha)
            cells.append(f"{entry['mean']:.2f} [{low:.1f}, {high:.1f}]" + (f" {marks}" if marks else ""))
        cells += [f"{row['metrics'][m]['max']:.2f}" for m in metrics if m != "style"]
        if "bleu" in metrics:
            entry = row["metrics"]["bleu"]
            cells.append(f"{entry['corpus']:.2f} [{entry['ci_corpus'][0]:.1f}, {entry['ci_corpus'][1]:.1f}]")
        lines.append("| " + " | ".join(cells) + " |")
    legend = [f"n = {results['n_examples']} examples; [95% bootstrap CI, {results['bootstrap_samples']} resamples, "
              f"seed {results['seed']}]; scores in percent."]
    if "style" in metrics:
        legend.append("Style = % of outputs attributed to their own user by an authorship classifier trained on the "
                      "candidates' earlier documents (chance = 100 / users); a row that copies the user's own past "
                      "text scores high by construction.")
    if results.get("unfinished"):
        legend.append(f"Not finished within the time budget (re-run to resume): {', '.join(results['unfinished'])}.")
    if compare_to:
        legend.append("Marks: " + ", ".join(f"+{_symbol(c, compare_to)} / -{_symbol(c, compare_to)} = better / worse "
                                             f"than {c} (paired bootstrap and paired t-test both p < {alpha:g})"
                                             for c in compare_to) + ".")
    return "\n".join(lines + [""] + legend) + "\n"


def results_csv_rows(results: dict) -> list[dict]:
    out = []
    for row in results["rows"]:
        for metric, entry in row["metrics"].items():
            record = {"system": row["name"], "metric": metric, "n": row["n"], "mean": entry["mean"],
                      "ci_low": entry["ci_mean"][0], "ci_high": entry["ci_mean"][1], "max": entry["max"],
                      "corpus": entry.get("corpus", math.nan), "signature": entry["signature"]}
            for other, tests in row["tests"].items():
                record[f"p_bootstrap_vs_{other}"] = tests[metric]["p_bootstrap"]
                record[f"p_ttest_vs_{other}"] = tests[metric]["p_ttest"]
            out.append(record)
    return out
