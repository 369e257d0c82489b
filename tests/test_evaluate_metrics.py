"""Metrics: golden values, parity with sacrebleu / rouge-score, the argument order, signatures."""
import math

import pytest
import sacrebleu
from hypothesis import given, settings
from hypothesis import strategies as st
from rouge_score import rouge_scorer

from ghostwriter.errors import GhostwriterError
from ghostwriter.evaluate.metrics import bleu, corpus_bleu_from_stats, rouge, rouge_f1, rouge_prf

PRED, REF = "the cat sat on the mat", "the cat sat on a mat"


@pytest.mark.parametrize("prediction, reference, expected", [
    # 13a tokens; matches 5/6, 3/5, 2/4, 1/3; BP = 1 -> (5/6*3/5*1/2*1/3) ** (1/4)
    (PRED, REF, 100 * (5 / 6 * 3 / 5 * 1 / 2 * 1 / 3) ** 0.25),
    (PRED, PRED, 100.0),
    ("dog", "the cat sat on a mat", 0.0),
])
def test_corpus_bleu_golden(prediction, reference, expected):
    assert bleu([prediction], [reference]).aggregates["corpus"] == pytest.approx(expected, abs=1e-6)


@pytest.mark.parametrize("prediction, reference, stemmer, expected", [
    # rouge1: 5 shared unigrams ("the" counted once) of 6 and 6; rouge2: 3 of 5 bigrams; LCS 5
    (PRED, REF, True, {"rouge1": 500 / 6, "rouge2": 60.0, "rougeL": 500 / 6}),
    ("running dogs", "run dog", True, {"rouge1": 100.0, "rouge2": 100.0, "rougeL": 100.0}),
    ("running dogs", "run dog", False, {"rouge1": 0.0, "rouge2": 0.0, "rougeL": 0.0}),
    ("", "anything at all", True, {"rouge1": 0.0, "rouge2": 0.0, "rougeL": 0.0}),
])
def test_rouge_golden(prediction, reference, stemmer, expected):
    got = rouge_f1(prediction, reference, stemmer)
    assert got == pytest.approx(expected, abs=1e-6)


def test_argument_order_is_prediction_then_reference():
    # precision is over the prediction: a 2-word prediction inside a 6-word reference
    precision, recall, f1 = rouge_prf("the cat", "the cat sat on a mat")["rouge1"]
    assert precision == pytest.approx(100.0) and recall == pytest.approx(100 * 2 / 6)
    # BLEU is asymmetric (brevity penalty): our order matches sacrebleu's (hypotheses, [references])
    ours = bleu(["the cat sat"], ["the cat sat on the mat"]).aggregates["corpus"]
    assert ours == pytest.approx(sacrebleu.corpus_bleu(["the cat sat"], [["the cat sat on the mat"]]).score)
    assert ours != pytest.approx(bleu(["the cat sat on the mat"], ["the cat sat"]).aggregates["corpus"])


texts = st.lists(st.sampled_from("the a cat cats dog sat sits on mat mats runs running ran , .".split()),
                 min_size=0, max_size=12).map(" ".join)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(texts, texts), min_size=1, max_size=6), st.booleans())
def test_parity_with_rouge_score_and_sacrebleu(pairs, stemmer):
    predictions, references = [p for p, _ in pairs], [r for _, r in pairs]
    scorer = rouge_scorer.RougeScorer(["rouge1", "rouge2", "rougeL"], use_stemmer=stemmer)
    results = rouge(predictions, references, stemmer=stemmer)
    for i, (prediction, reference) in enumerate(pairs):
        direct = scorer.score(reference, prediction)
        for name in ("rouge1", "rouge2", "rougeL"):
            assert results[name].per_example[i] == pytest.approx(100 * direct[name].fmeasure)
    b = bleu(predictions, references)
    assert b.aggregates["corpus"] == pytest.approx(sacrebleu.corpus_bleu(predictions, [references]).score)
    for i, (prediction, reference) in enumerate(pairs):
        assert b.per_example[i] == pytest.approx(sacrebleu.sentence_bleu(prediction, [reference]).score)
    # the corpus score rebuilt from per-example statistics is sacrebleu's, exactly
    assert corpus_bleu_from_stats(b.stats) == pytest.approx(b.aggregates["corpus"])
    assert b.aggregates["max"] == pytest.approx(max(b.per_example))
    assert b.aggregates["mean"] == pytest.approx(sum(b.per_example) / len(b.per_example))


def test_signatures_name_libraries_settings_and_seed():
    b = bleu([PRED], [REF], seed=7)
    assert b.signature.startswith("metric:bleu|") and f"sacrebleu-{sacrebleu.__version__}" in b.signature
    assert "tok:13a" in b.signature and "smooth:exp" in b.signature and b.signature.endswith("seed:7")
    stemmed, plain = rouge([PRED], [REF], stemmer=True)["rouge1"], rouge([PRED], [REF], stemmer=False)["rouge1"]
    assert "stem:yes" in stemmed.signature and "stem:no" in plain.signature and "rouge-score-" in plain.signature
    scores = b.scores()
    assert {s.metric for s in scores} == {"bleu.mean", "bleu.max", "bleu.corpus"}
    assert all(s.signature == b.signature and not math.isnan(s.value) for s in scores)


def test_mismatched_lengths_and_bare_strings_are_clear_errors():
    with pytest.raises(GhostwriterError, match="2 predictions but 1 references"):
        bleu(["a", "b"], ["a"])
    with pytest.raises(GhostwriterError, match="lists of texts"):
        rouge("a b", "a b")
