"""How a pipeline prompt is shown to a model, and how its output is cleaned.

Training and generation both go through :func:`format_prompt`, so a fine-tuned model sees
exactly the layout it was trained on. Instruct models with a chat template get the prompt
as one user turn (their answer turn ends with the end-of-sequence token, which is where a
passage ends); plain causal and seq2seq models get the prompt text as it is.
"""
from __future__ import annotations

import re


def uses_chat(tokenizer, is_seq2seq: bool, prompt_format: str = "auto") -> bool:
    """``model.prompt_format``: chat, plain, or auto (chat when the tokenizer has a template)."""
    if prompt_format == "chat":
        if not getattr(tokenizer, "chat_template", None):
            from ghostwriter.errors import ConfigError

            raise ConfigError("model.prompt_format=chat, but this model's tokenizer has no chat template; "
                              "use model.prompt_format=plain or auto")
        return True
    if prompt_format == "plain":
        return False
    return bool(getattr(tokenizer, "chat_template", None)) and not is_seq2seq


def format_prompt(tokenizer, prompt: str, is_seq2seq: bool, prompt_format: str = "auto") -> str:
    """The text fed to the model for ``prompt`` (special tokens of the chat layout included)."""
    if uses_chat(tokenizer, is_seq2seq, prompt_format):
        return tokenizer.apply_chat_template([{"role": "user", "content": prompt}], tokenize=False,
                                             add_generation_prompt=True)
    return prompt


def stop_token_ids(tokenizer, model=None) -> list[int]:
    """Every token id that ends a passage: the tokenizer's EOS and the model's generation EOS ids."""
    ids = {tokenizer.eos_token_id} if tokenizer.eos_token_id is not None else set()
    configured = getattr(getattr(model, "generation_config", None), "eos_token_id", None)
    if isinstance(configured, int):
        ids.add(configured)
    elif configured:
        ids.update(configured)
    return sorted(ids)


_ROLE_PREFIX = re.compile(r"^\s*(?:assistant|user|system)\s*:?\s*\n", re.IGNORECASE)


def _echo_candidates(prompt: str) -> list[str]:
    """What a model may repeat first: the whole prompt, its last line, or that line after its label."""
    whole = prompt.strip()
    last = whole.rsplit("\n", 1)[-1].strip()
    after_label = last.split(": ", 1)[1].strip() if ": " in last else ""
    return [c for c in (whole, last, after_label) if len(c) >= 20]


def clean_output(text: str, prompt: str, stop_at_blank_line: bool = False) -> str:
    """Strip a leading echo of the prompt (or its last line), chat role words and surrounding blanks."""
    text = _ROLE_PREFIX.sub("", text, count=1).lstrip()
    for echo in _echo_candidates(prompt):
        if text.startswith(echo):
            text = text[len(echo):]
            break
    if stop_at_blank_line:
        text = re.split(r"\n\s*\n", text.strip("\n"), maxsplit=1)[0]
    return text.strip()
