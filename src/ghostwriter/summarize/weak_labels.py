"""Weak labels for the context-dependent summarizer (``sum_ctx``, Li et al. 2023 sec. 4.3).

The label of a TRAINING example: split its target into snippets; match each, in order, to
the most similar not-yet-used profile snippet by dense (cosine) similarity; join the matches
in that order. The summarizer then learns ranked entries + context -> label, on half of the
generation training users (:func:`summarizer_users`), so the generator is later trained on
users whose summaries the summarizer has not seen and learns to cope with imperfect ones.
Labels read targets, so they are only ever built from the training split.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ghostwriter.errors import GhostwriterError
from ghostwriter.records import Example, Ranking, SummaryPair
from ghostwriter.summarize import summary_input


def match_snippets(target_vectors: np.ndarray, profile_vectors: np.ndarray,
                   min_similarity: float = -1.0) -> list[int | None]:
    """For each target snippet in order, the most cosine-similar profile snippet not used yet (rows unit-norm)."""
    used: set[int] = set()
    matches: list[int | None] = []
    if len(profile_vectors) == 0:
        return [None] * len(target_vectors)
    similarity = target_vectors @ profile_vectors.T
    for row in similarity:
        best, best_score = None, -np.inf
        for j in np.argsort(-row, kind="stable"):
            if int(j) not in used:
                best, best_score = int(j), float(row[j])
                break
        if best is None or best_score < min_similarity:
            matches.append(None)
            continue
        used.add(best)
        matches.append(best)
    return matches


def _snippets(text: str, min_chars: int) -> list[str]:
    from ghostwriter.retrieve.snippets import split_snippets

    return [text[s:e] for s, e in split_snippets(text, min_chars)]


def summary_weak_labels(examples: Sequence[Example], encoder, snippet_chars: int = 250,
                        min_similarity: float = -1.0) -> list[str]:
    """The weak summary label of each (training) example; ``encoder.encode(texts)`` gives unit vectors."""
    out = []
    for example in examples:
        targets = _snippets(example.target, snippet_chars)
        profile = [s for d in example.profile for s in _snippets(d.full_text, snippet_chars)]
        if not targets or not profile:
            out.append("")
            continue
        vectors = encoder.encode(targets + profile)
        matches = match_snippets(vectors[:len(targets)], vectors[len(targets):], min_similarity)
        out.append(" ".join(profile[j] for j in matches if j is not None))
    return out


def summarizer_users(train_examples: Sequence[Example], seed: int = 0) -> set[str]:
    """Half of the training users (seeded): the summarizer trains on these, the generator on the rest."""
    users = sorted({e.user_id for e in train_examples})
    rng = np.random.default_rng(seed)
    chosen = rng.permutation(len(users))[: len(users) // 2 or len(users)]
    return {users[i] for i in chosen}


def sum_ctx_training_pairs(dataset, config, rankings: Sequence[Ranking | None] | None = None,
                           encoder=None, limit: int | None = None) -> list[SummaryPair]:
    """(sum_ctx input -> weak label) pairs from half of the TRAINING users of ``dataset``.

    ``rankings`` defaults to ``config.rank.ranker``'s rankings of those examples; ``encoder``
    to the dense encoder of ``config.retrieve.dense_model``.
    """
    train = dataset.split("train")
    if not train:
        raise GhostwriterError(f"{dataset.path}: the training split is empty; no weak labels to build")
    users = summarizer_users(train, config.run.seed)
    examples = [e for e in train if e.user_id in users][:limit]
    if rankings is None:
        from ghostwriter.rank import get_ranker

        rankings = get_ranker(config.rank.ranker, config).rank(examples)
    if encoder is None:
        from ghostwriter.retrieve.dense import DenseEncoder

        encoder = DenseEncoder.from_config(config)
    labels = summary_weak_labels(examples, encoder, config.retrieve.snippet_chars,
                                 config.summarize.weak_label_min_similarity)
    return [SummaryPair(pair_id=e.example_id, article=summary_input("sum_ctx", e, r, config.summarize.max_input_chars),
                        summary=label)
            for e, r, label in zip(examples, rankings, labels, strict=True) if label]
