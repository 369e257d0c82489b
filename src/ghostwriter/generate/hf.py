"""The transformers backend: batched greedy or beam search under ``torch.inference_mode()``."""
from __future__ import annotations

from collections.abc import Sequence

from ghostwriter.config import Config
from ghostwriter.models import LM, load_lm
from ghostwriter.models.formats import clean_output, format_prompt, stop_token_ids, uses_chat


class TransformersGenerator:
    """Generate continuations with a transformers model; the model loads on first use."""

    name = "transformers"

    def __init__(self, config: Config, model: str | None = None, lm: LM | None = None):
        self.config = config
        self.model_name = model or config.model.name
        self._lm = lm

    def load(self) -> LM:
        if self._lm is None:
            self._lm = load_lm(self.model_name, self.config)
        return self._lm

    @property
    def tokenizer(self):
        return self.load().tokenizer

    def count_tokens(self, text: str) -> int:
        return self.load().count_tokens(text)

    def generate(self, prompts: Sequence[str]) -> list[str]:
        """One cleaned continuation per prompt, in order; similar lengths are batched together."""
        lm = self.load()
        chat = uses_chat(lm.tokenizer, lm.is_seq2seq, self.config.model.prompt_format)
        texts = [format_prompt(lm.tokenizer, p, lm.is_seq2seq, self.config.model.prompt_format) for p in prompts]
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        outputs: list[str] = [""] * len(texts)
        size = self.config.generate.batch_size
        for start in range(0, len(order), size):
            batch = order[start:start + size]
            for i, raw in zip(batch, self.generate_raw([texts[i] for i in batch], chat)):
                outputs[i] = clean_output(raw, prompts[i], self.config.generate.stop_at_newline)
        return outputs

    def generate_raw(self, texts: Sequence[str], chat: bool = False) -> list[str]:
        """Decoded new tokens for already-formatted texts, special tokens removed, not cleaned."""
        import torch

        lm, cfg = self.load(), self.config.generate
        # Chat templates already carry their special tokens; plain prompts get the tokenizer's own.
        encoded = lm.tokenizer(list(texts), return_tensors="pt", padding=True, add_special_tokens=not chat)
        encoded = {k: v.to(lm.device) for k, v in encoded.items()}
        with torch.inference_mode():
            out = lm.model.generate(
                **encoded, max_new_tokens=cfg.max_new_tokens, num_beams=cfg.num_beams, do_sample=False,
                repetition_penalty=cfg.repetition_penalty, eos_token_id=stop_token_ids(lm.tokenizer, lm.model),
                pad_token_id=lm.tokenizer.pad_token_id, early_stopping=cfg.num_beams > 1 or None)
        new = out if lm.is_seq2seq else out[:, encoded["input_ids"].shape[1]:]
        return lm.tokenizer.batch_decode(new, skip_special_tokens=True)
