"""The CTranslate2 backend: the model converted once (cached), then fast CPU decoding.

The conversion keeps float32 weights on disk; the compute type is applied when loading, so
one converted folder serves every ``generate.compute_type``. ``auto`` picks by CPU: int8 only
where the CPU has int8 dot-product instructions (AVX512-VNNI, AVX-VNNI or AMX), because on
plain AVX2 int8 decoding measured about 2x *slower* than float32; on a GPU it is float16.
"""
from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import threading
from collections.abc import Sequence
from pathlib import Path

from ghostwriter.config import Config
from ghostwriter.errors import ConfigError, require
from ghostwriter.models import load_tokenizer, is_seq2seq_folder, pick_device, resolve_model
from ghostwriter.models.formats import clean_output, format_prompt, stop_token_ids, uses_chat

INT8_CPU_FLAGS = ("avx512_vnni", "avx_vnni", "amx_int8")


def cpu_flags() -> set[str]:
    """The CPU feature flags Linux reports (empty elsewhere)."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            for line in handle:
                if line.startswith("flags"):
                    return set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return set()


def default_compute_type(device: str, flags: set[str] | None = None, supported: set[str] | None = None) -> str:
    """What ``generate.compute_type=auto`` means on this machine (see the module docstring)."""
    if device.startswith("cuda"):
        return "float16"
    flags = cpu_flags() if flags is None else flags
    if supported is None:
        supported = set(require("ctranslate2", "fast").get_supported_compute_types("cpu"))
    if any(flag in flags for flag in INT8_CPU_FLAGS) and "int8_float32" in supported:
        return "int8_float32"
    return "float32"


_convert_lock = threading.Lock()


def converted_folder(model_path: Path, cache_dir: Path) -> Path:
    """The CTranslate2 copy of a transformers model folder, converting it on first use (atomically)."""
    ctranslate2 = require("ctranslate2", "fast")
    weights = sorted(model_path.glob("*.safetensors")) or sorted(model_path.glob("*.bin"))
    stamp = "|".join(f"{w.name}:{w.stat().st_size}:{w.stat().st_mtime_ns}" for w in weights)
    digest = hashlib.sha256(f"{model_path.resolve()}|{stamp}|{ctranslate2.__version__}".encode()).hexdigest()[:12]
    folder = cache_dir / "ct2" / f"{model_path.name}-{digest}"
    if (folder / "model.bin").is_file():
        return folder
    with _convert_lock:
        if (folder / "model.bin").is_file():
            return folder
        folder.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", dir=folder.parent))
        try:
            converter = ctranslate2.converters.TransformersConverter(str(model_path), low_cpu_mem_usage=True)
            converter.convert(str(tmp), force=True)
            if folder.exists():
                shutil.rmtree(tmp)
            else:
                os.replace(tmp, folder)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
    return folder


class CTranslate2Generator:
    """Generate continuations with CTranslate2; converts and loads on first use."""

    name = "ctranslate2"

    def __init__(self, config: Config, model: str | None = None):
        self.config = config
        self.model_name = model or config.model.name
        self._engine = None
        self.tokenizer = None
        self.is_seq2seq = False
        self.compute_type = ""

    def load(self):
        if self._engine is not None:
            return self._engine
        ctranslate2 = require("ctranslate2", "fast")
        path = resolve_model(self.model_name, self.config)
        device = pick_device(self.config)
        wanted = self.config.generate.compute_type
        self.compute_type = default_compute_type(device) if wanted == "auto" else wanted
        supported = ctranslate2.get_supported_compute_types(device)
        if self.compute_type not in supported:
            raise ConfigError(f"generate.compute_type={self.compute_type} is not supported on {device} here; "
                              f"supported: {', '.join(sorted(supported))} (or auto)")
        self.is_seq2seq = is_seq2seq_folder(path)
        self.tokenizer = load_tokenizer(path, self.is_seq2seq)
        self._stop_ids = stop_token_ids(self.tokenizer, _generation_config(path))
        engine = ctranslate2.Translator if self.is_seq2seq else ctranslate2.Generator
        self._engine = engine(str(converted_folder(path, Path(self.config.run.cache_dir))), device=device,
                              compute_type=self.compute_type, intra_threads=self.config.generate.threads)
        return self._engine

    def count_tokens(self, text: str) -> int:
        self.load()
        return len(self.tokenizer(text, add_special_tokens=False)["input_ids"])

    def generate(self, prompts: Sequence[str]) -> list[str]:
        """One cleaned continuation per prompt, in order."""
        engine = self.load()
        fmt = self.config.model.prompt_format
        chat = uses_chat(self.tokenizer, self.is_seq2seq, fmt)
        texts = [format_prompt(self.tokenizer, p, self.is_seq2seq, fmt) for p in prompts]
        raw = self.generate_raw(texts, chat, engine)
        return [clean_output(r, p, self.config.generate.stop_at_newline) for r, p in zip(raw, prompts)]

    def generate_raw(self, texts: Sequence[str], chat: bool = False, engine=None) -> list[str]:
        """Decoded new tokens for already-formatted texts, special tokens removed, not cleaned."""
        engine = engine or self.load()
        cfg = self.config.generate
        ids = self.tokenizer(list(texts), add_special_tokens=not chat)["input_ids"]
        tokens = [self.tokenizer.convert_ids_to_tokens(row) for row in ids]
        if self.is_seq2seq:
            results = engine.translate_batch(tokens, beam_size=cfg.num_beams, max_decoding_length=cfg.max_new_tokens,
                                             max_batch_size=cfg.batch_size, repetition_penalty=cfg.repetition_penalty)
            sequences = [self.tokenizer.convert_tokens_to_ids(r.hypotheses[0]) for r in results]
        else:
            results = engine.generate_batch(tokens, max_length=cfg.max_new_tokens, beam_size=cfg.num_beams,
                                            sampling_topk=1, include_prompt_in_result=False,
                                            max_batch_size=cfg.batch_size, end_token=self._stop_ids,
                                            repetition_penalty=cfg.repetition_penalty)
            sequences = [r.sequences_ids[0] for r in results]
        return self.tokenizer.batch_decode(sequences, skip_special_tokens=True)


def _generation_config(path: Path):
    """The folder's generation config (for extra end-of-sequence ids), or None."""
    transformers = require("transformers", "models")
    try:
        return type("Holder", (), {"generation_config": transformers.GenerationConfig.from_pretrained(str(path))})
    except OSError:
        return None
