"""Documents -> examples, faithful to Li et al. (2023), sec. 5.1; every constant in DataConfig.

For each document of a user: the immediate context is the first K characters of
title + body, the target is the rest, and the profile is the user's documents with a
strictly earlier timestamp. Every document or candidate that a rule removes is counted
under that rule's name, so the manifest's numbers add up.
"""
from __future__ import annotations

import bisect
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from ghostwriter.config import DataConfig
from ghostwriter.records import Document, Example

SPLIT_NAMES = ("train", "val", "test")


def order_key(doc: Document) -> tuple[int, str]:
    """The one order of a user's documents: time, then doc_id so that ties are deterministic."""
    return doc.timestamp, doc.doc_id


def clean_documents(documents: Iterable[Document]) -> tuple[list[Document], Counter]:
    """Drop repeated doc_ids, repeated (user, title, text) and empty texts; count each reason.

    Of duplicates the earliest (by :func:`order_key`) is kept, whatever the input order.
    """
    dropped: Counter = Counter()
    by_id: dict[str, Document] = {}
    for doc in documents:
        if not doc.text.strip():
            dropped["empty_text"] += 1
            continue
        seen = by_id.get(doc.doc_id)
        if seen is not None:
            dropped["duplicate_doc_id"] += 1
            if order_key(doc) < order_key(seen):
                by_id[doc.doc_id] = doc
            continue
        by_id[doc.doc_id] = doc
    kept, seen_texts = [], set()
    for doc in sorted(by_id.values(), key=lambda d: (d.user_id, *order_key(d))):
        content = (doc.user_id, doc.title.strip(), doc.text.strip())
        if content in seen_texts:
            dropped["duplicate_text"] += 1
            continue
        seen_texts.add(content)
        kept.append(doc)
    return kept, dropped


def split_document(doc: Document, context_chars: int) -> tuple[str, str]:
    """(immediate context, target): the first K characters of title + body, and the rest."""
    full = doc.full_text
    return full[:context_chars], full[context_chars:]


def build_examples(documents: list[Document], cfg: DataConfig) -> tuple[list[Example], Counter]:
    """Every kept document that passes the filters becomes an :class:`Example`.

    ``documents`` must be cleaned (see :func:`clean_documents`). Returns the examples,
    ordered by user then time, and the count of candidates each filter removed.
    """
    by_user: dict[str, list[Document]] = defaultdict(list)
    for doc in documents:
        by_user[doc.user_id].append(doc)
    dropped: Counter = Counter()
    examples: list[Example] = []
    for user in sorted(by_user):
        docs = sorted(by_user[user], key=order_key)
        times = [d.timestamp for d in docs]
        candidates = []
        for doc in docs:
            if len(doc.full_text) <= cfg.min_doc_chars:
                dropped["too_short"] += 1
                continue
            earlier = bisect.bisect_left(times, doc.timestamp)  # strictly earlier: same-time docs excluded
            if earlier < cfg.min_profile_docs:
                dropped["too_few_profile_docs"] += 1
                continue
            context, target = split_document(doc, cfg.context_chars)
            candidates.append(Example(example_id=doc.doc_id, user_id=user, timestamp=doc.timestamp,
                                      context=context, target=target, profile=tuple(docs[:earlier])))
        if len(candidates) > cfg.max_examples_per_user:
            dropped["over_user_cap"] += len(candidates) - cfg.max_examples_per_user
            candidates = candidates[-cfg.max_examples_per_user:]
        if len(candidates) < cfg.min_examples_per_user:
            dropped["user_too_few_examples"] += len(candidates)
            continue
        examples.extend(candidates)
    return examples, dropped


def _split_sizes(n: int, fractions: tuple[float, ...]) -> tuple[int, int, int]:
    """(train, val, test) sizes: val and test get at least one when their fraction is > 0 and n allows."""
    _, f_val, f_test = fractions
    n_test = max(1, round(n * f_test)) if f_test > 0 and n >= 2 else 0
    n_val = max(1, round(n * f_val)) if f_val > 0 and n - n_test >= 2 else 0
    return n - n_val - n_test, n_val, n_test


def split_by_user(examples: list[Example], cfg: DataConfig) -> dict[str, list[Example]]:
    """Users shuffled with ``seed`` and cut train/val/test: no user is in two splits."""
    users = sorted({e.user_id for e in examples})
    order = np.random.default_rng(cfg.seed).permutation(len(users))
    n_train, n_val, _ = _split_sizes(len(users), cfg.split_fractions)
    assignment = {}
    for rank, index in enumerate(order):
        assignment[users[index]] = ("train" if rank < n_train else "val" if rank < n_train + n_val else "test")
    splits: dict[str, list[Example]] = {name: [] for name in SPLIT_NAMES}
    for example in examples:
        splits[assignment[example.user_id]].append(example)
    return splits


def split_by_time(examples: list[Example], cfg: DataConfig) -> dict[str, list[Example]]:
    """Per user, the latest examples go to test, the ones before them to val, the rest to train."""
    by_user: dict[str, list[Example]] = defaultdict(list)
    for example in examples:
        by_user[example.user_id].append(example)
    splits: dict[str, list[Example]] = {name: [] for name in SPLIT_NAMES}
    for user in sorted(by_user):
        ordered = sorted(by_user[user], key=lambda e: (e.timestamp, e.example_id))
        n_train, n_val, _ = _split_sizes(len(ordered), cfg.split_fractions)
        splits["train"].extend(ordered[:n_train])
        splits["val"].extend(ordered[n_train:n_train + n_val])
        splits["test"].extend(ordered[n_train + n_val:])
    return splits


SPLITTERS = {"user": split_by_user, "temporal": split_by_time}


def split_examples(examples: list[Example], cfg: DataConfig) -> dict[str, list[Example]]:
    return SPLITTERS[cfg.split](examples, cfg)
