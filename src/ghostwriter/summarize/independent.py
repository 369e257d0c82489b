"""Summaries through a language model, cached on disk per (model, input hash).

``sum_ind`` (Li et al. 2023, sec. 4.3): the ranked entries alone go to a general
summarizer: by default SmolLM2-135M-Instruct through its chat template; any causal or
seq2seq model by name or folder, e.g. a T5 fine-tuned on CNN/DailyMail with
:func:`ghostwriter.summarize.train.train_summarizer`. ``sum_ctx`` gives the same model the
context as well (:func:`ghostwriter.summarize.summary_input`); a model trained on the
weak labels of :mod:`ghostwriter.summarize.weak_labels` is what the paper uses there.

Summarizing 2,500 characters with SmolLM2 takes seconds on a CPU, so every summary is
stored under ``run.cache_dir/summaries/<model key>/`` and never computed twice.
"""
from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path

from ghostwriter.records import Example, Ranking
from ghostwriter.summarize import summary_input

INSTRUCTIONS = {
    "sum_ind": "Summarize the following passages in two or three sentences.",
    "sum_ctx": "Summarize the past passages in two or three sentences, keeping what matters for "
               "continuing the passage start.",
}
SEQ2SEQ_PREFIX = "summarize: "  # T5's task prefix; a fine-tuned summarizer is trained with it too


def summarizer_source(text: str, is_seq2seq: bool, method: str = "sum_ind") -> str:
    """The summarizer's input for ``text`` before any chat template; training uses exactly this too."""
    return SEQ2SEQ_PREFIX + text if is_seq2seq else f"{INSTRUCTIONS[method]}\n\n{text}"


def lm_inputs(lm, texts: Sequence[str], method: str) -> list[str]:
    """Model inputs laid out as the trainer lays them out (the chat template for chat models)."""
    from ghostwriter.models.formats import format_prompt

    return [format_prompt(lm.tokenizer, summarizer_source(t, lm.is_seq2seq, method), lm.is_seq2seq) for t in texts]


def lm_generate(lm, inputs: Sequence[str], max_new_tokens: int, batch_size: int = 4,
                max_input_tokens: int = 1024) -> list[str]:
    """Greedy continuations of ``inputs`` (only the new text), batch by batch, under inference mode."""
    import torch

    from ghostwriter.models.formats import uses_chat

    out: list[str] = []
    tokenizer, model = lm.tokenizer, lm.model
    chat = uses_chat(tokenizer, lm.is_seq2seq)  # a chat template already holds its special tokens
    if tokenizer.pad_token_id is None:
        tokenizer.pad_token = tokenizer.eos_token
    for start in range(0, len(inputs), batch_size):
        batch = list(inputs[start:start + batch_size])
        encoded = tokenizer(batch, return_tensors="pt", padding=True, truncation=True, max_length=max_input_tokens,
                            add_special_tokens=lm.is_seq2seq or not chat).to(lm.device)
        with torch.inference_mode():
            generated = model.generate(**encoded, max_new_tokens=max_new_tokens, do_sample=False, num_beams=1,
                                       pad_token_id=tokenizer.pad_token_id)
        if not lm.is_seq2seq:
            generated = generated[:, encoded["input_ids"].shape[1]:]
        out.extend(t.strip() for t in tokenizer.batch_decode(generated, skip_special_tokens=True))
    return out


class SummaryCache:
    """Summaries on disk: one small file per (model key, input hash), written atomically."""

    def __init__(self, folder: Path | None):
        self.folder = Path(folder) if folder else None
        self.hits = self.misses = 0

    @staticmethod
    def key(text: str) -> str:
        return hashlib.sha256(text.encode("utf-8")).hexdigest()

    def _path(self, text: str) -> Path:
        digest = self.key(text)
        return self.folder / digest[:2] / f"{digest}.txt"

    def get(self, text: str) -> str | None:
        if self.folder is None:
            return None
        path = self._path(text)
        if path.exists():
            self.hits += 1
            return path.read_text(encoding="utf-8")
        self.misses += 1
        return None

    def put(self, text: str, summary: str) -> None:
        if self.folder is not None:
            from ghostwriter.io import atomic_write_text

            atomic_write_text(self._path(text), summary)


def model_cache_key(model: str, method: str, max_new_tokens: int, backend: str = "transformers") -> str:
    """The cache folder's name: a readable model name plus a hash of everything that changes the output."""
    from ghostwriter.io import stable_hash

    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in model)[-48:]
    # a local folder can be retrained in place: its weights' size and time are part of the key
    weights = sorted(Path(model).glob("*.safetensors")) if Path(model).is_dir() else []
    stamp = ",".join(f"{w.name}:{w.stat().st_size}:{w.stat().st_mtime_ns}" for w in weights)
    # the backends agree on greedy output up to float rounding, but a cached summary names the one that made it
    parts = (model, method, str(max_new_tokens), INSTRUCTIONS[method], stamp) + ((backend,) if backend != "transformers"
                                                                                 else ())
    return f"{safe}-{stable_hash(*parts, length=10)}"


class CT2SummaryModel:
    """The summarizer on the CTranslate2 backend: what :func:`lm_inputs` needs plus ``generate``."""

    def __init__(self, model: str, config, max_new_tokens: int, batch_size: int):
        from dataclasses import replace

        from ghostwriter.generate.ct2 import CTranslate2Generator

        generate = replace(config.generate, backend="ctranslate2", max_new_tokens=max_new_tokens,
                           batch_size=batch_size, num_beams=1, repetition_penalty=1.0)
        self.generator = CTranslate2Generator(replace(config, generate=generate), model)
        self.generator.load()
        self.tokenizer, self.is_seq2seq = self.generator.tokenizer, self.generator.is_seq2seq

    def generate(self, inputs: Sequence[str]) -> list[str]:
        from ghostwriter.models.formats import uses_chat

        chat = uses_chat(self.tokenizer, self.is_seq2seq)
        return [t.strip() for t in self.generator.generate_raw(list(inputs), chat)]


class LMSummarizer:
    """``sum_ind`` / ``sum_ctx`` through a language model loaded once with ``ghostwriter.models.load_lm``."""

    def __init__(self, method: str, model: str, config, max_new_tokens: int = 96, max_input_chars: int = 2500,
                 batch_size: int = 4, cache_folder: Path | None = None, backend: str = "transformers"):
        self.name, self.model_name, self.config, self.backend = method, model, config, backend
        self.max_new_tokens, self.max_input_chars, self.batch_size = max_new_tokens, max_input_chars, batch_size
        self.cache = SummaryCache(cache_folder)
        self._lm = None

    @classmethod
    def from_config(cls, config) -> "LMSummarizer":
        s = config.summarize
        folder = None
        if s.cache:
            folder = Path(config.run.cache_dir) / "summaries" / model_cache_key(s.model, s.method, s.max_new_tokens,
                                                                               s.backend)
        return cls(s.method, s.model, config, s.max_new_tokens, s.max_input_chars, s.batch_size, folder, s.backend)

    def load(self):
        """The model, loaded on first use (transformers: shared with every other user of load_lm in this process)."""
        if self._lm is None and self.backend == "ctranslate2":
            self._lm = CT2SummaryModel(self.model_name, self.config, self.max_new_tokens, self.batch_size)
        elif self._lm is None:
            from ghostwriter.models import load_lm

            self._lm = load_lm(self.model_name, self.config)
        return self._lm

    def inputs(self, examples: Sequence[Example], rankings: Sequence[Ranking | None]) -> list[str]:
        """The exact text each example's summary is made from (never the target)."""
        return [summary_input(self.name, e, r, self.max_input_chars) for e, r in zip(examples, rankings, strict=True)]

    def summarize(self, examples: Sequence[Example], rankings: Sequence[Ranking | None]) -> list[str]:
        texts = self.inputs(examples, rankings)
        # nothing ranked, nothing to summarize: the summary section is then left out of the prompt
        wanted = {t for t, r in zip(texts, rankings) if r is not None and r.text.strip()}
        found = {t: self.cache.get(t) for t in sorted(wanted)}
        summaries: list[str | None] = [found[t] if t in wanted else "" for t in texts]
        todo = sorted({t for t, s in zip(texts, summaries) if s is None})
        if todo:
            lm = self.load()
            inputs = lm_inputs(lm, todo, self.name)
            made = lm.generate(inputs) if isinstance(lm, CT2SummaryModel) else \
                lm_generate(lm, inputs, self.max_new_tokens, self.batch_size)
            fresh = dict(zip(todo, made, strict=True))
            for text, summary in fresh.items():
                self.cache.put(text, summary)
            summaries = [fresh.get(t, s) if s is None else s for t, s in zip(texts, summaries)]
        return [s or "" for s in summaries]
