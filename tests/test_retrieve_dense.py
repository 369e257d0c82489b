"""Dense embeddings: the on-disk cache (a second run encodes nothing), the hash embedder, real MiniLM."""
from __future__ import annotations

import numpy as np
import pytest

from ghostwriter.config import load_config
from ghostwriter.errors import GhostwriterError
from ghostwriter.retrieve.dense import DenseEncoder, HashEmbedder, make_embedder, resolve_dense_model, text_key

TEXTS = ["Fix a race in the ARC eviction path", "ARC eviction race fixed", "Update the man page for zpool",
         "Fix a race in the ARC eviction path"]


def test_hash_embedder_is_deterministic_and_word_based():
    emb = HashEmbedder(64)
    a, b = emb.embed(TEXTS[:2]), emb.embed(TEXTS[:2])
    assert a.shape == (2, 64) and np.array_equal(a, b)
    assert np.array_equal(emb.embed(["Same WORDS"]), emb.embed(["same words"]))


def test_cache_second_run_encodes_nothing(tmp_path):
    first = DenseEncoder(HashEmbedder(32), tmp_path / "cache")
    vectors = first.encode(TEXTS)
    assert first.encoded == 3  # the repeated text is encoded once
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0)
    assert np.array_equal(vectors[0], vectors[3])
    second = DenseEncoder(HashEmbedder(32), tmp_path / "cache")  # a new process would do the same
    again = second.encode(list(reversed(TEXTS)) + ["a new text"])
    assert second.encoded == 1
    np.testing.assert_array_equal(again[:4], vectors[::-1])
    assert len(list((tmp_path / "cache").glob("*.npz"))) == 2


def test_cache_round_trips_keys_ending_in_nul_bytes(tmp_path):
    texts = [t for t in (f"text {i}" for i in range(3000)) if text_key(t).endswith(b"\0")][:3]
    assert texts  # about 1 in 256 digests ends with a NUL byte
    first = DenseEncoder(HashEmbedder(8), tmp_path)
    first.encode(texts)
    second = DenseEncoder(HashEmbedder(8), tmp_path)
    second.encode(texts)
    assert second.encoded == 0


def test_cache_folder_is_keyed_by_model(tmp_path):
    cfg = load_config(overrides=["retrieve.dense_model=offline:all-minilm-l6-v2", f"run.cache_dir={tmp_path}"])
    cfg2 = load_config(overrides=["retrieve.dense_model=/some/other-model", f"run.cache_dir={tmp_path}"])
    a, b = DenseEncoder.from_config(cfg), DenseEncoder.from_config(cfg2)  # nothing loads until encode()
    assert a.cache.folder.parent == b.cache.folder.parent == tmp_path / "embeddings"
    assert a.cache.folder != b.cache.folder
    hashed = DenseEncoder.from_config(load_config(overrides=["retrieve.dense_model=hash:16"]))
    assert hashed.cache.folder is None and hashed.encode(["x y"]).shape == (1, 16)
    assert text_key("x y") != text_key("x  y")


def test_bad_model_names():
    with pytest.raises(GhostwriterError, match="hash:DIM"):
        make_embedder("hash:zero")
    with pytest.raises(GhostwriterError, match="offline models: offline:all-minilm-l6-v2"):
        resolve_dense_model("offline:nope")


@pytest.fixture(scope="session")
def minilm_encoder(tmp_path_factory):
    """The bundled all-MiniLM-L6-v2, loaded once per session, with a fresh cache."""
    cfg = load_config(overrides=[f"run.cache_dir={tmp_path_factory.mktemp('dense-cache')}", "run.device=cpu"])
    return DenseEncoder.from_config(cfg)


@pytest.mark.slow
def test_real_minilm_offline(minilm_encoder):
    vectors = minilm_encoder.encode(TEXTS[:3])
    assert vectors.shape == (3, 384)
    sims = vectors @ vectors.T
    assert sims[0, 1] > sims[0, 2]  # the paraphrase is closer than the unrelated commit
    before = minilm_encoder.encoded
    minilm_encoder.encode(TEXTS)
    assert minilm_encoder.encoded == before


@pytest.mark.slow
def test_real_minilm_dense_ranker(minilm_encoder):
    from ghostwriter.rank.dense import DenseRanker
    from ghostwriter.records import Document, Example

    docs = (Document("u", "a", 1, "", "Update the zpool man page wording"),
            Document("u", "b", 2, "", "Fix a race between ARC eviction and reads"),
            Document("u", "c", 3, "", "Add a CI job for FreeBSD 14"))
    example = Example("d", "u", 4, "ARC eviction can race with a concurrent read", "", docs)
    ranking = DenseRanker(load_config(), encoder=minilm_encoder).rank([example])[0]
    assert ranking.entries[0].doc_id == "b"
    assert -1.0 <= ranking.entries[-1].score <= ranking.entries[0].score <= 1.0


def test_parallel_writers_never_clash(tmp_path):
    """Two processes that encode the same text at once each write a shard; a reader keeps one vector per text."""
    from ghostwriter.retrieve.dense import normalize_rows

    a, b = DenseEncoder(HashEmbedder(8), tmp_path), DenseEncoder(HashEmbedder(8), tmp_path)
    va = a.encode(["x y", "z"])
    vb = normalize_rows(HashEmbedder(8).embed(["z", "w"]))
    b.cache.put([text_key("z"), text_key("w")], vb)  # what b writes when it missed "z" before a's shard landed
    assert len(list(tmp_path.glob("*.npz"))) == 2
    reader = DenseEncoder(HashEmbedder(8), tmp_path)
    assert len(reader.cache.rows) == 3 == len(reader.cache.matrix)
    np.testing.assert_array_equal(reader.encode(["x y", "z", "w"]), np.stack([va[0], va[1], vb[1]]))
    assert reader.encoded == 0
