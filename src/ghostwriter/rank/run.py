"""Rank one split of a dataset folder and write, per example, exactly what went into the prompt.

Each output line: ``{"example_id", "user_id", "ranker", "profile_docs", "chars", "entries":
[{"doc_id", "score", "start", "end", "text"}]}``; the resolved config is written beside it
as ``<out>.config.json``.

>>> summary = rank_split("/tmp/zfs", "bm25", "test", "rankings.jsonl", Config())  # doctest: +SKIP
"""
from __future__ import annotations

import dataclasses
import time
from pathlib import Path

from ghostwriter.records import Example, Ranking


def ranking_to_json(example: Example, ranking: Ranking) -> dict:
    return {"example_id": ranking.example_id, "user_id": example.user_id, "ranker": ranking.ranker,
            "profile_docs": len(example.profile), "chars": len(ranking.text),
            "entries": [dataclasses.asdict(e) for e in ranking.entries]}


def rank_split(dataset_dir, ranker_name: str, split: str, out, config, limit: int | None = None) -> dict:
    """Rank ``split``'s examples with ``ranker_name``; write JSONL to ``out``; return a summary."""
    from ghostwriter.config import save_config
    from ghostwriter.data.build import load_dataset
    from ghostwriter.io import write_jsonl
    from ghostwriter.rank.registry import get_ranker

    if limit is not None and limit < 1:  # a negative slice would silently drop examples from the end
        from ghostwriter.errors import GhostwriterError

        raise GhostwriterError(f"--limit must be a positive number of examples, got {limit}")
    ranker = get_ranker(ranker_name, config)  # an unknown name fails before any data is read
    examples = load_dataset(Path(dataset_dir)).split(split)
    if limit is not None:
        examples = examples[:limit]
    started = time.perf_counter()
    rankings = ranker.rank(examples)
    seconds = time.perf_counter() - started
    out = Path(out)
    write_jsonl(out, (ranking_to_json(e, r) for e, r in zip(examples, rankings)))
    save_config(dataclasses.replace(config, rank=dataclasses.replace(config.rank, ranker=ranker_name)),
                out.with_name(out.name + ".config.json"))
    n = max(len(rankings), 1)
    return {"ranker": ranker_name, "split": split, "examples": len(rankings), "seconds": round(seconds, 3),
            "queries_per_s": round(len(rankings) / seconds, 1) if seconds > 0 else None,
            "mean_entries": round(sum(len(r.entries) for r in rankings) / n, 2),
            "mean_chars": round(sum(len(r.text) for r in rankings) / n, 1),
            "empty": sum(1 for r in rankings if not r.entries), "out": str(out)}
