"""Evaluation: metrics with signatures, bootstrap CIs and paired tests, style score, experiments.

>>> from ghostwriter.evaluate import compare
>>> table = compare({"copy": copied_texts, "echo": contexts}, examples, ["bleu", "rouge"])  # doctest: +SKIP
"""
from ghostwriter.evaluate.compare import Comparison, MetricSettings, compare
from ghostwriter.evaluate.metrics import MetricResult, bleu, rouge, rouge_f1

__all__ = ["Comparison", "MetricResult", "MetricSettings", "bleu", "compare", "rouge", "rouge_f1"]
