"""Scoring cost: Ghostwriter's metric wrappers vs calling sacrebleu / rouge-score directly.

Scores N (prediction, reference) pairs of real commit-message text (the vendored slice:
each test example's context vs its target) both ways, checks they agree, and times the
bootstrap CI and paired test on top. Prints one JSON object.

    .venv/bin/python benchmarks/evaluate_metrics.py [N]
"""
from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path


def main(n: int = 400) -> dict:
    import sacrebleu
    from rouge_score import rouge_scorer

    from ghostwriter.data.build import build_dataset, load_dataset
    from ghostwriter.demo import demo_source
    from ghostwriter.evaluate.metrics import bleu, rouge
    from ghostwriter.evaluate.stats import bootstrap_ci, paired_test

    with tempfile.TemporaryDirectory() as tmp:
        build_dataset(demo_source(), Path(tmp) / "ds")
        dataset = load_dataset(Path(tmp) / "ds")
        examples = (dataset.split("train") + dataset.split("test"))
    examples = (examples * (n // len(examples) + 1))[:n]
    predictions, references = [e.context for e in examples], [e.target for e in examples]

    started = time.perf_counter()
    ours_bleu = bleu(predictions, references)
    ours_rouge = rouge(predictions, references)
    ours_s = time.perf_counter() - started

    started = time.perf_counter()
    corpus = sacrebleu.corpus_bleu(predictions, [references]).score
    sentence = [sacrebleu.sentence_bleu(p, [r]).score for p, r in zip(predictions, references)]
    scorer = rouge_scorer.RougeScorer(["rouge1", "rouge2", "rougeL"], use_stemmer=True)
    direct_rouge = [scorer.score(r, p)["rouge1"].fmeasure * 100 for p, r in zip(predictions, references)]
    direct_s = time.perf_counter() - started

    agree = (abs(corpus - ours_bleu.aggregates["corpus"]) < 1e-9
             and max(abs(a - b) for a, b in zip(sentence, ours_bleu.per_example)) < 1e-9
             and max(abs(a - b) for a, b in zip(direct_rouge, ours_rouge["rouge1"].per_example)) < 1e-9)

    started = time.perf_counter()
    bootstrap_ci(ours_rouge["rouge1"].per_example, samples=1000, seed=0)
    mean_ci_s = time.perf_counter() - started
    started = time.perf_counter()
    bootstrap_ci(ours_bleu.per_example, samples=1000, seed=0, stats=ours_bleu.stats)
    corpus_ci_s = time.perf_counter() - started
    started = time.perf_counter()
    paired_test(ours_rouge["rouge1"].per_example, ours_rouge["rouge2"].per_example, samples=1000, seed=0)
    paired_s = time.perf_counter() - started
    return {"pairs": n, "ghostwriter_bleu_rouge_s": round(ours_s, 3), "direct_sacrebleu_rouge_score_s": round(direct_s, 3),
            "values_agree": agree, "bootstrap_mean_ci_1000_s": round(mean_ci_s, 4),
            "bootstrap_corpus_bleu_ci_1000_s": round(corpus_ci_s, 3), "paired_test_1000_s": round(paired_s, 4),
            "corpus_bleu": round(corpus, 3), "rouge1_mean": round(ours_rouge["rouge1"].aggregates["mean"], 3)}


if __name__ == "__main__":
    print(json.dumps(main(int(sys.argv[1]) if len(sys.argv) > 1 else 400)))
