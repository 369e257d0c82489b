"""Centroid synthesis on hand-made vectors (golden choices), GloVe from the wheel, Word2Vec determinism."""
from __future__ import annotations

import numpy as np
import pytest

from ghostwriter.records import Document, Example, Ranking, RankedEntry
from ghostwriter.synthesize.centroid import CentroidSynthesizer, centroid_words, is_centroid_word
from ghostwriter.synthesize.vectors import WordVectors, train_word2vec, word2vec_sentences


def toy_vectors() -> WordVectors:
    table = {
        "disk": (1.0, 0.0), "pool": (0.9, 0.1),  # context words: centroid (0.95, 0.05)
        "drive": (0.95, 0.05),  # at the centroid
        "drives": (0.9, 0.05),  # same stem as "drive": a near-duplicate
        "storage": (0.97, 0.06),  # cosine ~1.0 to "drive": a near-duplicate
        "cache": (0.6, 0.6), "network": (0.0, 1.0), "socket": (-0.2, 1.0),
    }
    words = list(table)
    return WordVectors("toy", {w: i for i, w in enumerate(words)}, np.array([table[w] for w in words], np.float32))


def test_golden_centroid_choice_with_near_duplicates_and_oov():
    result = centroid_words("Disk pool and the zfs", ["storage drives drive cache network 42 x_y socket mystery"],
                            toy_vectors(), top_k=3, duplicate_cosine=0.99)
    np.testing.assert_allclose(result.centroid, [0.95, 0.05], atol=1e-6)
    assert result.context_words == ("disk", "pool") and result.context_oov == ("zfs",)
    assert [w for w, _ in result.chosen] == ["drive", "cache", "network"]
    assert dict(result.rejected) == {"drives": "same stem as 'drive'", "storage": "cosine 1.00 to 'drive'"}
    assert result.candidate_oov == ("mystery",)  # "42" and "x_y" are not words; "mystery" has no vector
    assert result.skipped_oov == 2
    distances = [d for _, d in result.chosen]
    assert distances == sorted(distances)
    assert distances[0] == pytest.approx(0.0, abs=1e-6)


def test_no_context_vectors_means_no_words():
    result = centroid_words("qqq zzz", ["drive cache"], toy_vectors())
    assert result.centroid is None and result.chosen == () and result.context_oov == ("qqq", "zzz")


@pytest.mark.parametrize("word, ok", [("buffer", True), ("io", False), ("arc_read", False), ("x86", False),
                                      ("don't", False), ("zfs", True)])
def test_is_centroid_word(word, ok):
    assert is_centroid_word(word) is ok


def test_synthesizer_uses_ranked_entries_and_never_the_target():
    profile = (Document("u", "d1", 1, "", "network socket"), Document("u", "d2", 2, "", "drive cache"))
    ranking = Ranking("e", "bm25", (RankedEntry("d2", 1.0, 0, 11, "drive cache"),))
    synth = CentroidSynthesizer("centroid_toy", toy_vectors(), top_k=5, duplicate_cosine=0.999)
    a = synth.synthesize([Example("e", "u", 3, "disk pool", "network network", profile)], [ranking])
    b = synth.synthesize([Example("e", "u", 3, "disk pool", "socket drive", profile)], [ranking])
    assert a == b and [w.word for w in a[0]] == ["drive", "cache"]
    assert all(w.source == "centroid_toy" for w in a[0])
    # without a ranking the whole profile is the candidate pool
    c = synth.synthesize([Example("e", "u", 3, "disk pool", "", profile)], [None])
    assert {w.word for w in c[0]} == {"drive", "cache", "network", "socket"}


def test_glove_from_the_wheel_loads_once():
    from ghostwriter.synthesize.vectors import load_glove

    glove = load_glove()
    assert glove is load_glove() and glove.matrix.shape == (400_000, 50) and glove.dim == 50
    king, queen, banana = (glove.matrix[glove.index[w]] for w in ("king", "queen", "banana"))
    assert np.linalg.norm(king - queen) < np.linalg.norm(king - banana)


def test_glove_text_file(tmp_path):
    from ghostwriter.errors import GhostwriterError
    from ghostwriter.synthesize.vectors import load_glove

    path = tmp_path / "tiny.txt"
    path.write_text("disk 1.0 0.0\npool 0.9 0.1\n", encoding="utf-8")
    vectors = load_glove(str(path))
    assert vectors.dim == 2 and "pool" in vectors
    (tmp_path / "bad.txt").write_text("disk 1.0 0.0\npool 0.9\n", encoding="utf-8")
    with pytest.raises(GhostwriterError, match=r"bad.txt:2: 1 numbers, expected 2"):
        load_glove(str(tmp_path / "bad.txt"))


def test_word2vec_is_deterministic():
    texts = ["the pool scrub found errors on the disk", "a disk in the pool was replaced",
             "scrub the pool after replacing a disk"] * 10
    params = {"vector_size": 16, "window": 3, "min_count": 2, "epochs": 3, "seed": 7, "sg": 0}
    a = train_word2vec(word2vec_sentences(texts), params).wv
    b = train_word2vec(word2vec_sentences(texts), params).wv
    assert a.index_to_key == b.index_to_key
    np.testing.assert_array_equal(a.vectors, b.vectors)


W2V_SCRIPT = """
import hashlib
from ghostwriter.synthesize.vectors import train_word2vec, word2vec_sentences
texts = ["the pool scrub found errors on the disk", "a disk in the pool was replaced"] * 10
wv = train_word2vec(word2vec_sentences(texts), {"vector_size": 8, "window": 3, "min_count": 1, "epochs": 2,
                                                "seed": 3, "sg": 0}).wv
print(hashlib.sha256(wv.vectors.tobytes()).hexdigest())
"""


@pytest.mark.slow
def test_word2vec_is_identical_across_processes_with_different_hash_seeds():
    import os
    import subprocess
    import sys

    digests = set()
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        digests.add(subprocess.run([sys.executable, "-c", W2V_SCRIPT], env=env, check=True, capture_output=True,
                                   text=True).stdout.strip())
    assert len(digests) == 1


@pytest.mark.slow
def test_dataset_word2vec_is_trained_once_and_saved_with_the_dataset(tmp_path):
    from ghostwriter.config import load_config
    from ghostwriter.data.build import build_dataset, load_dataset
    from ghostwriter.demo import demo_source
    from ghostwriter.synthesize import vectors

    build_dataset(demo_source(), tmp_path / "ds")
    dataset = load_dataset(tmp_path / "ds")
    config = load_config(overrides=["synthesize.w2v_epochs=1", "synthesize.w2v_dim=16"])
    first = vectors.dataset_word2vec(dataset, config)
    saved = tmp_path / "ds" / "word2vec.bin"
    stamp = saved.stat().st_mtime_ns
    vectors._W2V_CACHE.clear()
    again = vectors.dataset_word2vec(dataset, config)  # read back from disk, not retrained
    assert saved.stat().st_mtime_ns == stamp and again.index == first.index
    np.testing.assert_array_equal(again.matrix, first.matrix)
    assert first.dim == 16 and "pool" in first
    # trained on the training users' documents only: words only other users wrote have no vector
    from collections import Counter

    from ghostwriter.synthesize.vectors import training_documents

    train_docs = training_documents(dataset)
    train_ids = {d.doc_id for d in train_docs}
    train_words = {w for d in train_docs for w in vectors.word2vec_sentences([d.full_text])[0]}
    others = Counter(w for d in dataset.documents.values() if d.doc_id not in train_ids
                     for w in vectors.word2vec_sentences([d.full_text])[0])
    unseen = {w for w, n in others.items() if n >= 2 and w not in train_words}
    assert unseen and not any(w in first for w in unseen)
    vectors._W2V_CACHE.clear()
    changed = vectors.dataset_word2vec(dataset, load_config(overrides=["synthesize.w2v_epochs=1",
                                                                       "synthesize.w2v_dim=8"]))
    assert changed.dim == 8  # other parameters: retrained and saved over the old one
