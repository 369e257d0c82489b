"""Training pairs: tokenization, deterministic batch order, and the AuthorPred task.

A pair is ``(input_text, target_text)``. Batches for micro-step ``k`` are a pure function of
``(seed, k)`` (an epoch's permutation from ``default_rng((seed, epoch))``, bucketed by length so
a batch pads little), which is what lets ``--resume`` continue with exactly the same data order.
"""
from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ghostwriter.errors import GhostwriterError
from ghostwriter.models.formats import format_prompt, uses_chat

Pair = tuple[str, str]
AUTHOR_PRED_INSTRUCTION = "Predict whether two passages are from the same author"
BUCKET_BATCHES = 16  # micro-batches sorted by length together; bigger pads less but mixes less


class NoTrainingPairsError(GhostwriterError, ValueError):
    """Nothing to train on (a ValueError too, for callers that caught the old error)."""


@dataclass(frozen=True)
class Encoded:
    """One tokenized pair: model input ids and the target's ids (end-of-sequence appended)."""

    input_ids: tuple[int, ...]
    target_ids: tuple[int, ...]

    @property
    def length(self) -> int:
        return len(self.input_ids) + len(self.target_ids)


def encode_pairs(pairs: Sequence[Pair], tokenizer, is_seq2seq: bool, prompt_format: str,
                 max_input_tokens: int, max_target_tokens: int) -> list[Encoded]:
    """Tokenize pairs the way the generators will see them (same prompt layout, same special tokens).

    An over-long input keeps its last ``max_input_tokens`` tokens (the part next to where the
    continuation starts, and the chat answer marker); the pipeline's prompt budget normally
    keeps prompts inside this already.
    """
    if not pairs:
        return []
    chat = uses_chat(tokenizer, is_seq2seq, prompt_format)
    texts = [format_prompt(tokenizer, source, is_seq2seq, prompt_format) for source, _ in pairs]
    inputs = tokenizer(texts, add_special_tokens=is_seq2seq or not chat)["input_ids"]
    targets = tokenizer([t for _, t in pairs], add_special_tokens=False)["input_ids"]
    eos = tokenizer.eos_token_id
    encoded = []
    for source_ids, target_ids in zip(inputs, targets):
        target_ids = list(target_ids[:max_target_tokens - 1]) + [eos]
        encoded.append(Encoded(tuple(source_ids[-max_input_tokens:]), tuple(target_ids)))
    return encoded


class BatchOrder:
    """Which pair indices make up micro-batch ``k``, identical in every run with the same seed."""

    def __init__(self, lengths: Sequence[int], batch_size: int, seed: int):
        if not lengths:
            raise NoTrainingPairsError("no training pairs: the training set is empty (validation pairs alone "
                                       "cannot train a model); check the dataset's train split or --limit")
        self.lengths = np.asarray(lengths)
        self.batch_size = min(batch_size, len(lengths))
        self.seed = seed
        self.per_epoch = len(lengths) // self.batch_size

    @functools.lru_cache(maxsize=2)
    def epoch(self, epoch: int) -> list[tuple[int, ...]]:
        rng = np.random.default_rng((self.seed, epoch))
        order = rng.permutation(len(self.lengths))[: self.per_epoch * self.batch_size]
        chunk = self.batch_size * BUCKET_BATCHES
        batches = []
        for start in range(0, len(order), chunk):
            part = sorted(order[start:start + chunk].tolist(), key=lambda i: (self.lengths[i], i))
            batches.extend(tuple(part[j:j + self.batch_size]) for j in range(0, len(part), self.batch_size))
        return [batches[i] for i in rng.permutation(len(batches))]

    def batch(self, micro_step: int) -> tuple[int, ...]:
        epoch, index = divmod(micro_step, self.per_epoch)
        return self.epoch(epoch)[index]


def collate(items: Sequence[Encoded], is_seq2seq: bool, pad_id: int):
    """Padded tensors for a micro-batch; loss only on target tokens (labels -100 elsewhere)."""
    import torch

    if is_seq2seq:
        width = max(len(e.input_ids) for e in items)
        out_width = max(len(e.target_ids) for e in items)
        input_ids = torch.full((len(items), width), pad_id)
        attention = torch.zeros((len(items), width), dtype=torch.long)
        labels = torch.full((len(items), out_width), -100)
        for row, e in enumerate(items):
            input_ids[row, :len(e.input_ids)] = torch.tensor(e.input_ids)
            attention[row, :len(e.input_ids)] = 1
            labels[row, :len(e.target_ids)] = torch.tensor(e.target_ids)
        return {"input_ids": input_ids, "attention_mask": attention, "labels": labels}
    width = max(e.length for e in items)
    input_ids = torch.full((len(items), width), pad_id)
    attention = torch.zeros((len(items), width), dtype=torch.long)
    labels = torch.full((len(items), width), -100)
    for row, e in enumerate(items):  # right padding: positions stay 0..n-1 as in generation's prompt
        ids = e.input_ids + e.target_ids
        input_ids[row, :len(ids)] = torch.tensor(ids)
        attention[row, :len(ids)] = 1
        labels[row, len(e.input_ids):len(ids)] = torch.tensor(e.target_ids)
    return {"input_ids": input_ids, "attention_mask": attention, "labels": labels}


def author_pred_pairs(documents_by_user: dict[str, Sequence[str]], count: int, seed: int,
                      max_chars: int = 400) -> list[Pair]:
    """AuthorPred (Li et al. 2023, sec. 4.3): ``count`` passage pairs, half by one author, labels true/false.

    Pass training users' documents only. Positives pair two different documents of one user;
    negatives pair documents of two different users.
    """
    users = sorted(u for u, docs in documents_by_user.items() if docs)
    multi = [u for u in users if len(documents_by_user[u]) >= 2]
    if len(users) < 2 or not multi:
        raise ValueError("AuthorPred needs at least two users and one user with two documents")
    rng = np.random.default_rng(seed)
    pairs = []
    for i in range(count):
        if i % 2 == 0:
            docs = documents_by_user[multi[rng.integers(len(multi))]]
            a, b = rng.choice(len(docs), size=2, replace=False)
            first, second, label = docs[a], docs[b], "true"
        else:
            u, v = rng.choice(len(users), size=2, replace=False)
            first_docs, second_docs = documents_by_user[users[u]], documents_by_user[users[v]]
            first = first_docs[rng.integers(len(first_docs))]
            second = second_docs[rng.integers(len(second_docs))]
            label = "false"
        prompt = (f"{AUTHOR_PRED_INSTRUCTION}.\nPassage 1: {first[:max_chars]}\n"
                  f"Passage 2: {second[:max_chars]}\nAnswer true or false.")
        pairs.append((prompt, label))
    order = rng.permutation(len(pairs))
    return [pairs[i] for i in order]


def mix_one_to_one(task_a: Sequence[Pair], task_b: Sequence[Pair]) -> list[Pair]:
    """Interleave two tasks' pairs 1:1 (a, b, a, b ...), as long as the shorter one lasts twice."""
    n = min(len(task_a), len(task_b))
    mixed: list[Pair] = []
    for a, b in zip(task_a[:n], task_b[:n]):
        mixed.extend((a, b))
    return mixed
