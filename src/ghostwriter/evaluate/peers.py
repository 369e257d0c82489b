"""Peers to beat: the LaMP-style prompt and generators that need no language model.

- :class:`LampPipeline`: LaMP's retrieval-augmented prompt (Salemi et al. 2023): the top-k
  BM25 profile documents concatenated before the context, no summary and no words.
- :class:`CopyBestDocument`: the best-ranked past document's text *is* the output.
- :class:`RepeatContext`: the immediate context repeated as the output.
- :class:`RandomOtherUser`: a random document by another user (the floor that shows how much
  of any overlap score is just "commit messages look alike").

The no-model generators fill the Generator slot, but what they copy lives on the prepared
input, not in the prompt string: they read ``prepared=`` (the runner always passes it), and
say so clearly when called with prompts alone.

>>> RepeatContext().generate(["..."], prepared=[prepared])  # doctest: +SKIP
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from ghostwriter.errors import GhostwriterError
from ghostwriter.io import stable_hash
from ghostwriter.records import Document, Example, Prepared, Ranking

LAMP_TEMPLATE = "{documents}\n\nFollowing the style of the passages above, finish this passage by the same user: {context}"


def _needs_prepared(name: str, prompts, prepared) -> Sequence[Prepared]:
    if prepared is None:
        raise GhostwriterError(f"the {name} generator copies from each example's prepared input, not from a prompt; "
                               "call generate(prompts, prepared=...) (the experiment runner does)")
    if len(prepared) != len(prompts):
        raise GhostwriterError(f"{name}: {len(prompts)} prompts but {len(prepared)} prepared inputs")
    return prepared


class RepeatContext:
    """Outputs the immediate context unchanged: what a model that adds nothing would score."""

    name = "repeat_context"
    needs_model = False

    def generate(self, prompts: Sequence[str], prepared: Sequence[Prepared] | None = None) -> list[str]:
        return [p.context for p in _needs_prepared(self.name, prompts, prepared)]


@dataclass
class CopyBestDocument:
    """Outputs the full text of the best-ranked profile document (BM25 in peers.toml)."""

    documents: Mapping[str, Document]
    name: str = "copy_best"
    needs_model: bool = False

    def generate(self, prompts: Sequence[str], prepared: Sequence[Prepared] | None = None) -> list[str]:
        out = []
        for item in _needs_prepared(self.name, prompts, prepared):
            if item.ranking is None or not item.ranking.entries:
                out.append("")  # no profile to copy from: an empty output, scored as such
                continue
            doc_id = item.ranking.entries[0].doc_id
            if doc_id not in self.documents:
                raise GhostwriterError(f"copy_best: ranked document {doc_id!r} is not in the dataset's documents")
            out.append(self.documents[doc_id].full_text)
        return out


@dataclass
class RandomOtherUser:
    """Outputs a random document by a different user (seeded per example)."""

    documents: Mapping[str, Document]
    user_of: Mapping[str, str]  # example_id -> user_id
    seed: int = 0
    name: str = "random_other_user"
    needs_model: bool = False

    def generate(self, prompts: Sequence[str], prepared: Sequence[Prepared] | None = None) -> list[str]:
        docs = sorted(self.documents.values(), key=lambda d: d.doc_id)
        out = []
        for item in _needs_prepared(self.name, prompts, prepared):
            user = self.user_of[item.example_id]
            rng = np.random.default_rng([self.seed, int(stable_hash(item.example_id), 16)])
            while True:
                doc = docs[int(rng.integers(len(docs)))]
                if doc.user_id != user:
                    out.append(doc.full_text)
                    break
        return out


NO_MODEL_GENERATORS = ("repeat_context", "copy_best", "random_other_user")


def no_model_generator(name: str, documents: Mapping[str, Document], examples: Sequence[Example], seed: int = 0):
    if name == "repeat_context":
        return RepeatContext()
    if name == "copy_best":
        return CopyBestDocument(documents)
    if name == "random_other_user":
        return RandomOtherUser(documents, {e.example_id: e.user_id for e in examples}, seed)
    raise GhostwriterError(f"unknown no-model generator {name!r}; choose from {', '.join(NO_MODEL_GENERATORS)}")


class LampPipeline:
    """LaMP-style prompts: top-k ranked whole documents, then the context; no summary, no words.

    ``ranker`` is any :class:`ghostwriter.roles.Ranker` (``get_ranker("bm25", config)`` by
    default); ``count_tokens`` comes from the generator's tokenizer, or counts words.
    """

    def __init__(self, ranker, k: int = 4, budget_chars: int = 2500, count_tokens=None, variant: str = "lamp_bm25",
                 max_tokens: int = 512):
        self.ranker, self.k, self.budget_chars, self.variant = ranker, k, budget_chars, variant
        self.max_tokens = max_tokens
        self.count_tokens = count_tokens or (lambda text: len(text.split()))

    @classmethod
    def from_config(cls, config, dataset=None, variant: str = "lamp_bm25", count_tokens=None) -> "LampPipeline":
        from ghostwriter.rank import get_ranker

        return cls(get_ranker("bm25", config), k=config.evaluate.lamp_k, budget_chars=config.rank.budget_chars,
                   count_tokens=count_tokens, variant=variant, max_tokens=config.prompt.max_tokens)

    def _documents(self, ranking: Ranking, example: Example) -> str:
        by_id = {d.doc_id: d for d in example.profile}
        seen, parts, used = set(), [], 0
        for entry in ranking.entries:
            if entry.doc_id in seen or entry.doc_id not in by_id or len(seen) >= self.k:
                continue
            seen.add(entry.doc_id)
            text = by_id[entry.doc_id].full_text[: max(0, self.budget_chars - used)]
            if not text:
                break
            parts.append(text)
            used += len(text)
        return "\n\n".join(parts)

    def _fit(self, documents: str, context: str) -> str:
        """The prompt with the documents cut from the end (binary search) to fit ``max_tokens``."""
        prompt = LAMP_TEMPLATE.format(documents=documents, context=context)
        if self.count_tokens(prompt) <= self.max_tokens:
            return prompt
        low, high = 0, len(documents)
        while low < high:
            middle = (low + high + 1) // 2
            if self.count_tokens(LAMP_TEMPLATE.format(documents=documents[:middle], context=context)) <= self.max_tokens:
                low = middle
            else:
                high = middle - 1
        return LAMP_TEMPLATE.format(documents=documents[:low], context=context)

    def prepare(self, examples: Sequence[Example]) -> list[Prepared]:
        rankings = self.ranker.rank(examples)
        out = []
        for example, ranking in zip(examples, rankings, strict=True):
            prompt = self._fit(self._documents(ranking, example), example.context)
            out.append(Prepared(example.example_id, self.variant, example.context, ranking, "", (), prompt,
                                self.count_tokens(prompt)))
        return out


PEER_PIPELINES = {"lamp_bm25": LampPipeline}
