"""syn_ctx weak labels: identical words, WordNet synonyms and GloVe neighbours of the target's words."""
from __future__ import annotations

import numpy as np
import pytest

from ghostwriter.records import Document, Example
from ghostwriter.synthesize.keywords import IdfTable
from ghostwriter.synthesize.vectors import WordVectors
from ghostwriter.synthesize.weak_labels import (ContextKeywordSynthesizer, WordMatcher, WordNetMissingError,
                                                keyword_weak_labels, load_wordnet, wordnet_source)


def _wordnet():
    try:
        wordnet_source()
    except WordNetMissingError:
        pytest.skip("WordNet (Debian wordnet-base) is not installed")
    return load_wordnet()


def test_missing_wordnet_says_how_to_install(monkeypatch, tmp_path):
    monkeypatch.setenv("GHOSTWRITER_WORDNET", str(tmp_path))
    with pytest.raises(WordNetMissingError, match=r"apt-get install -y wordnet-base"):
        wordnet_source()


def toy_glove() -> WordVectors:
    table = {"disk": (0.0, 0.0), "drive": (0.5, 0.0), "network": (9.0, 9.0), "cache": (4.0, 4.0)}
    return WordVectors("toy", {w: i for i, w in enumerate(table)}, np.array(list(table.values()), np.float32))


def test_golden_weak_labels_identical_synonym_and_neighbour():
    matcher = WordMatcher(toy_glove(), _wordnet(), neighbour_distance=1.0)
    assert "fast" in matcher.synonyms("quick")
    idf = IdfTable.from_texts(["disk", "drive", "quick", "network", "cache", "fast"])
    profile = ["The disk cache is fast, the network is slow.", "A drive, a disk."]
    labels = keyword_weak_labels("Disk disk quick", profile, matcher, idf)
    # "disk" is selected twice by "disk" x2 (identical); "drive" twice (GloVe distance 0.5 < 1 to "disk");
    # "fast" once ("quick"'s WordNet synonym); "network" and "cache" never (too far, no synonym)
    assert [(w.word, w.score) for w in labels] == [("disk", 2.0), ("drive", 2.0), ("fast", 1.0)]
    assert all(w.source == "syn_ctx" for w in labels)


def test_inference_uses_the_context_not_the_target():
    matcher = WordMatcher(toy_glove(), _wordnet(), neighbour_distance=1.0)
    synth = ContextKeywordSynthesizer(matcher, None, top_k=5)
    profile = (Document("u", "d", 1, "", "disk drive network network"),)
    a = synth.synthesize([Example("e", "u", 2, "the disk", "network network", profile)], [None])
    b = synth.synthesize([Example("e", "u", 2, "the disk", "drive cache", profile)], [None])
    assert a == b and [w.word for w in a[0]] == ["disk", "drive"]


@pytest.mark.slow
def test_syn_ctx_labels_from_training_targets_train_a_tiny_predictor(tiny_models, tmp_path):
    from ghostwriter.config import load_config
    from ghostwriter.data.build import build_dataset, load_dataset
    from ghostwriter.demo import demo_source
    from ghostwriter.synthesize import get_synthesizer
    from ghostwriter.synthesize.weak_labels import syn_ctx_training_pairs, train_syn_ctx

    _wordnet()
    build_dataset(demo_source(), tmp_path / "ds")
    dataset = load_dataset(tmp_path / "ds")
    config = load_config(overrides=["train.max_steps=2", "train.batch_size=2", "train.eval_every=0",
                                    f"run.cache_dir={tmp_path / 'cache'}", "rank.ranker=bm25"])
    pairs = syn_ctx_training_pairs(dataset, config, limit=8)
    train_contexts = {e.context for e in dataset.split("train")}
    assert 0 < len(pairs) <= 8
    for source, label in pairs:
        assert source.startswith("passage start: ") and label
        assert any(source.startswith(f"passage start: {c}\npast passages: ") for c in train_contexts)
    result = train_syn_ctx(dataset, tmp_path / "run", config, model=str(tiny_models["t5"]), progress=False,
                           limit=8)
    assert result.steps == 2
    predicting = load_config(overrides=["synthesize.method=syn_ctx", f"synthesize.model={result.final_model}",
                                        "synthesize.top_k=5", f"run.cache_dir={tmp_path / 'cache'}"])
    words = get_synthesizer(predicting, dataset).synthesize(dataset.split("test")[:2], [None, None])
    assert len(words) == 2 and all(len(w) <= 5 and all(x.source == "syn_ctx" for x in w) for w in words)
