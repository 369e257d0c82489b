"""Bootstrap CIs, paired tests and breakdowns: sanity on systems whose answer is known."""
import numpy as np
import pytest

from ghostwriter.evaluate.metrics import bleu
from ghostwriter.evaluate.stats import (bootstrap_ci, breakdown, paired_test, profile_size_bin,
                                        significance_mark)


def test_ci_is_seeded_and_contains_the_mean():
    values = np.random.default_rng(1).normal(30, 10, size=80)
    a = bootstrap_ci(values, samples=500, seed=3)
    assert a == bootstrap_ci(values, samples=500, seed=3)
    assert a.low < values.mean() < a.high and a.value == pytest.approx(values.mean())
    assert bootstrap_ci(values, samples=500, seed=4) != a
    # about +-1.96 standard errors
    assert (a.high - a.low) / 2 == pytest.approx(1.96 * values.std() / np.sqrt(80), rel=0.25)


def test_identical_systems_give_p_one():
    values = np.random.default_rng(0).uniform(0, 60, size=50)
    test = paired_test(values, values.copy(), samples=300, seed=0)
    assert test.difference == 0 and test.p_bootstrap == 1.0 and test.p_ttest == 1.0
    assert significance_mark(test) == ""


def test_clearly_better_system_gives_small_p():
    rng = np.random.default_rng(0)
    base = rng.uniform(10, 40, size=60)
    better = base + 5 + rng.normal(0, 2, size=60)
    test = paired_test(better, base, samples=1000, seed=0)
    assert test.difference > 4 and test.p_bootstrap < 0.01 and test.p_ttest < 1e-6
    assert significance_mark(test) == "+" and significance_mark(paired_test(base, better, samples=200)) == "-"


def test_noise_is_not_significant():
    rng = np.random.default_rng(5)
    a, b = rng.normal(20, 5, size=40), rng.normal(20, 5, size=40)
    test = paired_test(a, b, samples=500, seed=0)
    assert test.p_bootstrap > 0.05 and test.p_ttest > 0.05


def test_corpus_bleu_bootstrap_resamples_ngram_statistics():
    preds = ["the cat sat on the mat", "a dog ran", "fix the arc eviction bug", "nothing alike here"]
    refs = ["the cat sat on a mat", "a dog ran home", "fix arc eviction", "completely different words"]
    result = bleu(preds, refs)
    ci = bootstrap_ci(result.per_example, samples=200, seed=0, stats=result.stats)
    assert ci.value == pytest.approx(result.aggregates["corpus"]) and ci.low <= ci.value <= ci.high
    same = paired_test(result.per_example, result.per_example, samples=100, stats_a=result.stats,
                       stats_b=result.stats)
    assert same.p_bootstrap == 1.0


@pytest.mark.parametrize("size, label", [(0, "0-4"), (4, "0-4"), (5, "5-9"), (19, "10-19"), (49, "20-49"),
                                         (50, "50+"), (500, "50+")])
def test_profile_size_bins(size, label):
    assert profile_size_bin(size) == label


def test_breakdown_groups_means_and_counts():
    assert breakdown([10, 20, 60], ["u1", "u2", "u1"]) == {"u1": {"mean": 35.0, "n": 2}, "u2": {"mean": 20.0, "n": 1}}
    with pytest.raises(ValueError):
        breakdown([1, 2], ["only-one"])
