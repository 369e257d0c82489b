"""Golden keyword selection (syn_ind) on a toy corpus, and its reading only the profile."""
from __future__ import annotations

import math

import pytest

from ghostwriter.records import Document, Example
from ghostwriter.synthesize import MergedSynthesizer, merge_words
from ghostwriter.synthesize.keywords import IdfTable, KeywordSynthesizer, select_keywords
from ghostwriter.records import SynthesizedWord

# training corpus: "pool" is in every document (IDF 0), "arc" in 1 of 8, "scrub" in 2 of 8
CORPUS = ["pool arc", "pool scrub", "pool scrub vdev", "pool", "pool", "pool", "pool", "pool"]
IDF = IdfTable.from_texts(CORPUS)


def test_idf_is_natural_log_of_n_over_df():
    assert IDF.n_documents == 8
    assert IDF.idf("arc") == pytest.approx(math.log(8 / 1))
    assert IDF.idf("scrub") == pytest.approx(math.log(8 / 2))
    assert IDF.idf("pool") == 0.0
    assert IDF.idf("unseen") == pytest.approx(math.log(8))  # as if it occurred once


@pytest.mark.parametrize("profile, expected", [
    # frequency first: vdev x3 beats arc x2; "pool" is frequent but IDF 0 < 1.5; "once" occurs once
    (["vdev vdev arc", "vdev arc pool pool pool once"], ["vdev", "arc"]),
    # IDF ln(8/2) = 1.39 < 1.5 drops scrub although it is the most frequent
    (["scrub scrub scrub arc arc"], ["arc"]),
    # equal frequency: higher IDF first (unseen word ln 8 = arc ln 8 > ...); then alphabetical
    (["arc arc newword newword"], ["arc", "newword"]),
    # stopwords and numbers never count, however frequent
    (["the the the 2023 2023 arc arc"], ["arc"]),
    # ties in frequency and IDF: alphabetical
    (["zil zil dedup dedup"], ["dedup", "zil"]),
    ([], []),
])
def test_golden_keywords(profile, expected):
    assert [w.word for w in select_keywords(profile, IDF)] == expected


def test_top_k_and_scores_are_frequencies():
    words = select_keywords(["a1x " * 5 + "b2y " * 4 + "c3z " * 3], IDF, top_k=2)
    assert [(w.word, w.score, w.source) for w in words] == [("a1x", 5.0, "syn_ind"), ("b2y", 4.0, "syn_ind")]


def _example(context: str, target: str, profile_texts: list[str]) -> Example:
    docs = tuple(Document("u", f"d{i}", i, "", t) for i, t in enumerate(profile_texts))
    return Example("e", "u", 100, context, target, docs)


def test_synthesizer_reads_profile_only():
    synth = KeywordSynthesizer(IDF)
    a = synth.synthesize([_example("arc arc", "vdev vdev vdev", ["arc arc zil zil"])], [None])
    b = synth.synthesize([_example("zil zil", "different target", ["arc arc zil zil"])], [None])
    assert a == b and [w.word for w in a[0]] == ["arc", "zil"]


def test_merge_keeps_order_and_drops_duplicates():
    old = (SynthesizedWord("arc", "syn_ind", 3), SynthesizedWord("zil", "syn_ind", 2))
    new = (SynthesizedWord("zil", "centroid_glove", 1.2), SynthesizedWord("cache", "centroid_glove", 1.5))
    assert [(w.word, w.source) for w in merge_words(old, new)] == [
        ("arc", "syn_ind"), ("zil", "syn_ind"), ("cache", "centroid_glove")]
    merged = MergedSynthesizer([KeywordSynthesizer(IDF), KeywordSynthesizer(IDF)])
    assert merged.name == "syn_ind+syn_ind"
    assert merged.synthesize([_example("c", "t", ["arc arc"])], [None]) == [(SynthesizedWord("arc", "syn_ind", 2.0),)]


def test_equal_frequency_sorts_by_idf_before_the_word():
    idf = IdfTable.from_texts(["zeta", "alpha", "alpha", "alpha"] + ["filler"] * 16)
    assert idf.idf("alpha") == pytest.approx(math.log(20 / 3)) and idf.idf("alpha") > 1.5
    assert [w.word for w in select_keywords(["alpha alpha zeta zeta"], idf)] == ["zeta", "alpha"]
