"""The paper's prompt format and its token budget (Li et al. 2023, sec. 4).

The prompt is the instruction, then the sections ``passage start``, ``summary``,
``important words`` and ``past passages`` in that order; a section whose stage is off
(empty) or that an ablation drops is left out. The budget is counted with the generator's
tokenizer: past passages are cut first (from the end, at word boundaries), then the summary,
then the important words; the passage start is never cut.

>>> text, n = build_prompt("Fix the ARC", "", (), ["Tune the ARC"], PromptConfig(), count_tokens=approx_tokens)
>>> print(text)
Finish the passage in the user voice.
passage start: Fix the ARC
past passages: Tune the ARC
"""
from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from ghostwriter.config import PromptConfig
from ghostwriter.errors import GhostwriterError

CountTokens = Callable[[str], int]
_TOKEN_RE = re.compile(r"\w+|[^\w\s]")


class PromptBudgetError(GhostwriterError):
    """The instruction and passage start alone do not fit ``prompt.max_tokens``."""


def approx_tokens(text: str) -> int:
    """A tokenizer-free count (words and punctuation marks) for when no generator tokenizer is given.

    Subword tokenizers give at least this many tokens for English text, so pass the
    generator's own counter whenever a budget must really hold.
    """
    return len(_TOKEN_RE.findall(text))


def render_prompt(context: str, summary: str, words: Sequence[str], passages: Sequence[str],
                  config: PromptConfig) -> str:
    """The prompt text for already-cut inputs; empty or dropped sections are omitted."""
    drop = set(config.drop)
    body = []
    if summary and "summary" not in drop:
        body.append(f"summary: {summary}")
    if words and "important_words" not in drop:
        body.append(f"important words: {', '.join(words)}")
    if passages and "past_passages" not in drop:
        body.append("past passages: " + "\n".join(passages))
    start = [] if "passage_start" in drop else [f"passage start: {context}"]
    lines = [f"{config.instruction}."] if config.instruction else []
    lines += start + body if config.context_position == "start" else body + start
    return "\n".join(lines)


def _cut_words(text: str, keep: int) -> str:
    """The first ``keep`` whitespace-separated words of ``text``."""
    return " ".join(text.split()[:keep]) if keep > 0 else ""


def _cut_passages(passages: Sequence[str], keep: int) -> list[str]:
    """The first ``keep`` words of the passages, in order, dropping passages that get none."""
    out = []
    for passage in passages:
        n = len(passage.split())
        if keep <= 0:
            break
        out.append(passage if n <= keep else _cut_words(passage, keep))
        keep -= n
    return out


def _largest_fitting(total: int, fits: Callable[[int], bool]) -> int:
    """The largest k in [0, total] with fits(k), by binary search (fits is monotone, fits(0) holds)."""
    low, high = 0, total
    while low < high:
        middle = (low + high + 1) // 2
        if fits(middle):
            low = middle
        else:
            high = middle - 1
    return low


def build_prompt(context: str, summary: str, words: Sequence[str], passages: Sequence[str],
                 config: PromptConfig, count_tokens: CountTokens = approx_tokens) -> tuple[str, int]:
    """The prompt and its token count, cut to ``config.max_tokens``.

    Cutting order: past passages (from the end, word by word), then the summary, then the
    important words (from the last); the instruction and passage start are never cut, and if
    they alone exceed the budget a :class:`PromptBudgetError` says by how much.
    """
    budget = config.max_tokens
    words, passages = list(words), list(passages)
    prompt = render_prompt(context, summary, words, passages, config)
    tokens = count_tokens(prompt)
    if tokens <= budget:
        return prompt, tokens

    def fits(text: str) -> bool:
        return count_tokens(text) <= budget

    minimal = render_prompt(context, "", [], [], config)
    if not fits(minimal):
        raise PromptBudgetError(
            f"prompt.max_tokens={budget} is too small: the instruction and passage start alone take "
            f"{count_tokens(minimal)} tokens (raise prompt.max_tokens, or shorten passage starts with "
            "data.context_chars)")
    # 1. past passages, word by word from the end
    n_passage_words = sum(len(p.split()) for p in passages)
    keep = _largest_fitting(n_passage_words, lambda k: fits(
        render_prompt(context, summary, words, _cut_passages(passages, k), config)))
    passages = _cut_passages(passages, keep)
    if keep == 0:
        # 2. the summary, word by word from the end
        keep = _largest_fitting(len(summary.split()), lambda k: fits(
            render_prompt(context, _cut_words(summary, k), words, [], config)))
        summary = _cut_words(summary, keep)
        if keep == 0:
            # 3. the important words, from the last
            keep = _largest_fitting(len(words), lambda k: fits(render_prompt(context, "", words[:k], [], config)))
            words = words[:keep]
    prompt = render_prompt(context, summary, words, passages, config)
    return prompt, count_tokens(prompt)
