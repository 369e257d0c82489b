"""The pipeline's stages as engine recipes, and the commands' work run on any engine.

Each stage is a frozen dataclass holding only what a worker needs to rebuild its heavy
state (the config, a dataset folder's path); ``load()`` runs once per worker. The
``*_on`` functions do what the local commands do and write the same files, with the
per-user work spread over ``engine``.

>>> with get_engine("ray") as engine:                                       # doctest: +SKIP
...     build_dataset_on(engine, "docs.jsonl.gz", "out/zfs", config)
...     rank_split_on(engine, "out/zfs", "bm25", "test", "out/bm25.jsonl", config)
"""
from __future__ import annotations

import dataclasses
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from ghostwriter.config import Config
from ghostwriter.records import Document, Example, Prepared
from ghostwriter.scale.engine import DEFAULT_PARTITION_ITEMS, Engine, OnItems, partition_by_user, run_stage


# ----------------------------------------------------------------------------- stages

@dataclass(frozen=True)
class BuildExamplesStage:
    """Cleaned documents of whole users -> their examples and the count of what each filter dropped."""

    config: Config

    def load(self):
        from ghostwriter.data.examples import build_examples

        cfg = self.config.data
        return lambda partition: build_examples([doc for _, doc in partition], cfg)


@dataclass(frozen=True)
class RankStage:
    """Examples -> one :class:`~ghostwriter.records.Ranking` each.

    A fresh ranker per partition: a ranker keeps memos between calls (BM25's vocabulary), and
    the order its term ids were assigned in changes the last bit of summed scores, so reusing
    one across the partitions a worker happens to get would make output depend on scheduling.
    The heavy parts (encoder models, IDF tables) are cached per process by their loaders, so
    they still load once per worker.
    """

    config: Config
    ranker: str

    def load(self):
        from ghostwriter.rank.registry import get_ranker

        get_ranker(self.ranker, self.config)  # fail on this worker's first call, not mid-run
        return lambda examples: list(get_ranker(self.ranker, self.config).rank(examples))


@dataclass(frozen=True)
class PrepareStage:
    """Examples -> :class:`~ghostwriter.records.Prepared` (rank, summarize, synthesize, prompt).

    The worker opens ``dataset_dir`` itself for the training statistics (IDF, Word2Vec), so
    only a path travels; on a cluster the folder must be on storage every node can read.
    """

    config: Config
    dataset_dir: str
    variant: str | None = None

    def load(self):
        from ghostwriter.data.build import load_dataset
        from ghostwriter.pipeline import Pipeline
        from ghostwriter.rank.registry import get_ranker

        pipeline = Pipeline.from_config(self.config, load_dataset(Path(self.dataset_dir)), self.variant)
        resolved = pipeline.config

        def prepare(examples):
            # summarizer and synthesizer (and their models) are kept; the ranker is fresh, see RankStage
            fresh = dataclasses.replace(pipeline, ranker=get_ranker(resolved.rank.ranker, resolved))
            return fresh.prepare(examples)

        return prepare


@dataclass(frozen=True)
class GenerateStage:
    """Examples -> :class:`~ghostwriter.records.Generation`; the generator model loads once per worker.

    ``config`` must already have the variant applied; a partition is prepared and generated in
    chunks of ``generate.batch_size``, as ``ghostwriter generate`` does.
    """

    config: Config
    dataset_dir: str
    variant: str

    def load(self):
        from ghostwriter.data.build import load_dataset
        from ghostwriter.generate import get_generator
        from ghostwriter.pipeline import Pipeline, generator_token_counter
        from ghostwriter.rank.registry import get_ranker

        generator = get_generator(self.config)
        pipeline = Pipeline.from_config(self.config, load_dataset(Path(self.dataset_dir)), variant=self.variant,
                                        count_tokens=generator_token_counter(generator))
        resolved, size = pipeline.config, self.config.generate.batch_size

        def generate(examples):
            fresh = dataclasses.replace(pipeline, ranker=get_ranker(resolved.rank.ranker, resolved))
            return [g for start in range(0, len(examples), size)
                    for g in fresh.run(examples[start:start + size], generator)]

        return generate


# ----------------------------------------------------------------------------- the commands' work

def build_dataset_on(engine: Engine, source, out, config: Config | None = None, fmt: str = "auto",
                     skip_bad: bool = False, partition_items: int = DEFAULT_PARTITION_ITEMS, **options) -> dict:
    """:func:`ghostwriter.data.build.build_dataset` with example building spread over ``engine`` by user.

    Import and de-duplication stay on the driver (a doc_id may repeat across users, so it needs
    the whole corpus); each partition of whole users becomes examples on a worker; partitions
    come back in user order, so the examples, splits and files equal the local build's.
    """
    from ghostwriter.config import to_dict
    from ghostwriter.data.build import MANIFEST_VERSION, _write_dataset, import_documents
    from ghostwriter.data.examples import clean_documents, split_examples
    from ghostwriter.errors import BadRecords

    config = config or Config()
    started = time.perf_counter()
    bad = BadRecords(skip=skip_bad)
    documents: list[Document] = list(import_documents(Path(source), fmt, bad, **options))
    kept_docs, doc_drops = clean_documents(documents)
    examples: list[Example] = []
    example_drops: Counter = Counter()
    partitions = partition_by_user(kept_docs, partition_items)
    for built, dropped in engine.map_partitions(BuildExamplesStage(config), partitions):
        examples.extend(built)
        example_drops.update(dropped)
    splits = split_examples(examples, config.data)
    manifest = {
        "version": MANIFEST_VERSION,
        "source": str(source),
        "format": fmt,
        "documents": {"read": len(documents), "bad_records": bad.summary(), "dropped": dict(sorted(doc_drops.items())),
                      "kept": len(kept_docs), "users": len({d.user_id for d in kept_docs})},
        "examples": {"candidates": len(kept_docs), "dropped": dict(sorted(example_drops.items())),
                     "kept": len(examples)},
        "splits": {name: {"examples": len(items), "users": len({e.user_id for e in items})}
                   for name, items in splits.items()},
        "config": to_dict(config),
    }
    _write_dataset(Path(out), kept_docs, splits, config, manifest)
    manifest["seconds"] = round(time.perf_counter() - started, 3)
    return manifest


def rank_split_on(engine: Engine, dataset_dir, ranker_name: str, split: str, out, config: Config,
                  limit: int | None = None, partition_items: int = DEFAULT_PARTITION_ITEMS) -> dict:
    """:func:`ghostwriter.rank.run.rank_split` with ranking spread over ``engine``; the same file and summary."""
    from ghostwriter.config import save_config
    from ghostwriter.data.build import load_dataset
    from ghostwriter.io import write_jsonl
    from ghostwriter.rank.registry import ranker_class
    from ghostwriter.rank.run import ranking_to_json

    ranker_class(ranker_name)  # an unknown name fails before any data is read or any worker starts
    examples = load_dataset(Path(dataset_dir)).split(split)
    if limit is not None:
        examples = examples[:limit]
    started = time.perf_counter()
    rankings = run_stage(engine, RankStage(config, ranker_name), examples, partition_items)
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
            "empty": sum(1 for r in rankings if not r.entries), "out": str(out), "engine": engine.name}


def prepare_on(engine: Engine, dataset_dir, examples: list[Example], config: Config, variant: str | None = None,
               partition_items: int = DEFAULT_PARTITION_ITEMS) -> list[Prepared]:
    """``Pipeline.from_config(config, dataset, variant).prepare(examples)``, spread over ``engine`` by user."""
    return run_stage(engine, PrepareStage(config, str(dataset_dir), variant), examples, partition_items)


def with_prompt(prepared: Prepared, example: Example, config: Config, count_tokens=None,
                variant: str | None = None) -> Prepared:
    """``prepared`` with its prompt rebuilt under ``count_tokens`` (the generator's tokenizer) and relabelled.

    Workers build prompts with the approximate counter (a generator's tokenizer stays on the
    driver); rebuilding from the kept ranking, summary and words gives exactly the prompt
    ``Pipeline.prepare(examples, count_tokens)`` gives.
    """
    from ghostwriter.prompt import approx_tokens, build_prompt

    passages = [e.text for e in prepared.ranking.entries] if prepared.ranking is not None else []
    prompt, tokens = build_prompt(example.context, prepared.summary, [w.word for w in prepared.words], passages,
                                  config.prompt, count_tokens or approx_tokens)
    return dataclasses.replace(prepared, variant=variant or prepared.variant, prompt=prompt, prompt_tokens=tokens)


def prepared_to_json(prepared: Prepared) -> dict:
    """A prepared example as JSON (what ``ghostwriter prompt`` shows): ranking, summary, words, prompt."""
    return dataclasses.asdict(prepared)


def generate_split_on(engine: Engine, dataset_dir, variant: str, out, config: Config, *, split: str = "test",
                      limit: int | None = None, partition_items: int = DEFAULT_PARTITION_ITEMS) -> dict:
    """:func:`ghostwriter.generate.run.generate_split` spread over ``engine``: the same lines, resumable.

    Example ids already in ``out`` are skipped; each partition's lines are appended (and
    flushed) as it arrives, in partition order, so an interrupted run resumes where it stopped.
    """
    import json

    from ghostwriter.config import save_config
    from ghostwriter.data.build import load_dataset
    from ghostwriter.errors import GhostwriterError
    from ghostwriter.evaluate.serialize import generation_to_json
    from ghostwriter.generate.run import done_ids
    from ghostwriter.variants import variant_config

    if not (Path(dataset_dir) / "manifest.json").exists():
        raise GhostwriterError(f"{dataset_dir}: no manifest.json; make a dataset with `ghostwriter data build`")
    config = variant_config(config, variant)
    examples = load_dataset(Path(dataset_dir)).split(split)
    examples = examples[:limit] if limit else examples
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    done = done_ids(out)
    todo = [e for e in examples if e.example_id not in done]
    save_config(config, out.with_name(out.name + ".config.json"))
    summary = {"out": str(out), "split": split, "variant": variant, "examples": len(examples),
               "already_done": len(examples) - len(todo), "written": 0, "seconds": 0.0, "engine": engine.name}
    if not todo:
        return summary
    started = time.perf_counter()
    partitions = partition_by_user(todo, partition_items)
    stage = GenerateStage(config, str(dataset_dir), variant)
    with open(out, "a", encoding="utf-8") as handle:
        for partition, generations in zip(partitions, engine.map_partitions(OnItems(stage), partitions),
                                          strict=True):
            for generation in generations:
                row = generation_to_json(generation)
                row.update(model=config.model.name, backend=config.generate.backend)
                handle.write(json.dumps(row, ensure_ascii=False) + "\n")
            handle.flush()
            summary["written"] += len(partition)
    summary["seconds"] = round(time.perf_counter() - started, 2)
    return summary

