"""``ghostwriter experiment``: run named variants on the same sampled examples and score them.

Writes into OUT: ``results.json`` / ``results.csv`` / ``results.md`` (the table with CIs and
paired tests), ``per_example.csv`` (every example's score per row), ``examples.jsonl`` (the
sampled examples with their references), ``config.json`` (the
resolved config of every row), and ``variants/<name>/generations.jsonl`` (each example's
generation with every intermediate: ranked ids, summary, words, prompt).

Re-running resumes: a row whose ``done.json`` matches its resolved config and examples is
read back without building its pipeline or loading a model, and within an unfinished row,
generations already written (appended batch by batch) are not recomputed.

>>> run_experiment("configs/peers.toml", "out/zfs", "out/peers", limit=50)  # doctest: +SKIP
"""
from __future__ import annotations

import csv
import io
import json
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from ghostwriter.config import Config, to_dict
from ghostwriter.errors import GhostwriterError
from ghostwriter.evaluate.compare import MetricSettings, compare, results_csv_rows, results_markdown
from ghostwriter.evaluate.peers import PEER_PIPELINES, no_model_generator
from ghostwriter.evaluate.serialize import generation_from_json, generation_to_json
from ghostwriter.evaluate.spec import ExperimentSpec, VariantSpec, load_spec
from ghostwriter.io import atomic_write_text, dumps_line, stable_hash, write_jsonl
from ghostwriter.records import Example, Generation


def sample_examples(examples: Sequence[Example], limit: int, seed: int) -> list[Example]:
    """A seeded sample of ``limit`` examples (all when ``limit`` is 0 or too large), in split order."""
    if not limit or limit >= len(examples):
        return list(examples)
    chosen = np.random.default_rng(seed).choice(len(examples), size=limit, replace=False)
    return [examples[i] for i in sorted(chosen)]


def variant_key(spec_config: Config, variant: VariantSpec, dataset_sha: str) -> str:
    """What a row's generations depend on: its resolved config (bar evaluation), generator, data."""
    config = to_dict(spec_config)
    config.pop("evaluate", None)
    config.pop("serve", None)
    run_result = Path(variant.run_dir) / "result.json" if variant.run_dir else None
    trained = run_result.read_text(encoding="utf-8") if run_result and run_result.exists() else ""  # retrained = new key
    payload = json.dumps({"config": config, "variant": variant.variant, "generator": variant.generator,
                          "dataset": dataset_sha, "trained": trained}, sort_keys=True)
    return stable_hash(payload, length=16)


def read_cached(path: Path, key: str) -> dict[str, Generation]:
    """Generations already written for this key; a half-written last line (a killed run) is skipped."""
    cached: dict[str, Generation] = {}
    if not path.exists():
        return cached
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            row = json.loads(line)
        except json.JSONDecodeError:
            continue
        if row.get("key") == key:
            cached[row["example_id"]] = generation_from_json(row)
    return cached


class _Resources:
    """Pipelines and generators are built on first need and shared between rows that can share them."""

    def __init__(self, dataset, generator_factory=None, engine=None, dataset_dir=None):
        self.dataset = dataset
        self.generator_factory = generator_factory
        self.engine, self.dataset_dir = engine, dataset_dir
        self.generators: dict[str, object] = {}

    def generator(self, variant: VariantSpec, config: Config, examples: Sequence[Example]):
        if not variant.needs_model:
            return no_model_generator(variant.generator, self.dataset.documents, examples, config.run.seed)
        key = json.dumps([to_dict(config.model), to_dict(config.generate), config.run.device], sort_keys=True)
        if key not in self.generators:
            if self.generator_factory is not None:
                self.generators[key] = self.generator_factory(config)
            else:
                from ghostwriter.generate import get_generator

                self.generators[key] = get_generator(config)
        return self.generators[key]

    def pipeline(self, variant: VariantSpec, config: Config, generator):
        from ghostwriter.pipeline import Pipeline, generator_token_counter

        count_tokens = generator_token_counter(generator)
        if variant.variant in PEER_PIPELINES:
            return PEER_PIPELINES[variant.variant].from_config(config, self.dataset, variant=variant.variant,
                                                               count_tokens=count_tokens)
        # ``config`` already has the variant (and this row's overrides) applied; applying the
        # variant again would undo a row's ``set`` of the same key
        pipeline = Pipeline.from_config(config, self.dataset, variant=None, count_tokens=count_tokens)
        pipeline.variant = variant.variant
        return pipeline

    def preparer(self, variant: VariantSpec, config: Config, pipeline, examples: Sequence[Example]):
        """``pipeline.prepare``; with an engine, ``examples`` are prepared up front, partitioned by user.

        The engine's workers rank, summarize and synthesize; the prompt is rebuilt here with the
        pipeline's (the generator's) token counter, so rows equal those of ``pipeline.prepare``.
        """
        if self.engine is None or variant.variant in PEER_PIPELINES:
            return pipeline.prepare
        from ghostwriter.scale.stages import prepare_on, with_prompt

        ahead = dict(zip([e.example_id for e in examples],
                         prepare_on(self.engine, self.dataset_dir, list(examples), config), strict=True))
        return lambda chunk: [with_prompt(ahead[e.example_id], e, config, pipeline.count_tokens, pipeline.variant)
                              for e in chunk]


def _generate(generator, prepared) -> list[str]:
    prompts = [p.prompt for p in prepared]
    if getattr(generator, "needs_model", True) is False:
        return generator.generate(prompts, prepared=prepared)
    return generator.generate(prompts)


def run_variant(spec: ExperimentSpec, variant: VariantSpec, examples: Sequence[Example], out: Path,
                resources: _Resources, dataset_sha: str, log: Callable[[str], None],
                deadline: float | None = None) -> list[Generation] | None:
    """One row's generations for ``examples``, from cache where possible.

    Returns None when ``deadline`` (a ``time.perf_counter()`` value) passed before the row
    finished; what was generated so far stays cached for the next run.
    """
    config = spec.variant_config(variant)
    key = variant_key(config, variant, dataset_sha)
    folder = out / "variants" / variant.slug
    wanted = [e.example_id for e in examples]
    done = folder / "done.json"
    if done.exists():
        record = json.loads(done.read_text(encoding="utf-8"))
        if record.get("key") == key and set(wanted) <= set(record.get("example_ids", [])):
            cached = read_cached(folder / "generations.jsonl", key)
            if all(i in cached for i in wanted):
                log(f"  {variant.name}: finished earlier, read back ({len(wanted)} generations)")
                return [cached[i] for i in wanted]
    folder.mkdir(parents=True, exist_ok=True)
    atomic_write_text(folder / "config.json", json.dumps(to_dict(config), indent=2, sort_keys=True) + "\n")
    cached = read_cached(folder / "generations.jsonl", key)
    missing = [e for e in examples if e.example_id not in cached]
    started = time.perf_counter()
    if missing:
        generator = resources.generator(variant, config, examples)
        pipeline = resources.pipeline(variant, config, generator)
        prepare = resources.preparer(variant, config, pipeline, missing)
        batch = config.generate.batch_size
        path = folder / "generations.jsonl"
        with open(path, "a", encoding="utf-8") as handle:
            if path.stat().st_size and not path.read_bytes().endswith(b"\n"):
                handle.write("\n")  # a killed run left half a line; start ours on a fresh one
            for start in range(0, len(missing), batch):
                if deadline is not None and time.perf_counter() > deadline:
                    log(f"  {variant.name}: stopped at the time budget after {start}/{len(missing)}; "
                        "re-run to resume")
                    return None
                chunk = missing[start:start + batch]
                prepared = prepare(chunk)
                texts = _generate(generator, prepared)
                for item, text in zip(prepared, texts, strict=True):
                    generation = Generation(item.example_id, variant.name, text, item)
                    cached[item.example_id] = generation
                    handle.write(dumps_line({"key": key, **generation_to_json(generation)}))
                handle.flush()
                log(f"  {variant.name}: {min(start + batch, len(missing))}/{len(missing)} generated "
                    f"({time.perf_counter() - started:.0f} s)")
    else:
        log(f"  {variant.name}: all {len(wanted)} generations cached")
    atomic_write_text(done, json.dumps({"key": key, "example_ids": wanted, "variant": variant.variant,
                                        "generator": variant.generator, "model": config.model.name,
                                        "seconds": round(time.perf_counter() - started, 2)}, indent=2) + "\n")
    return [cached[i] for i in wanted]


def run_experiment(spec_path: str, dataset_dir: Path, out: Path, limit: int | None = None,
                   overrides: Sequence[str] = (), log: Callable[[str], None] = print,
                   generator_factory: Callable[[Config], object] | None = None,
                   time_budget_s: float | None = None, engine=None, run_dir: str = "") -> dict:
    """Run every row of an experiment file on one seeded sample and write the results; return them.

    ``generator_factory(config)`` builds the generator of the rows that use a model (default:
    :func:`ghostwriter.generate.get_generator`); rows with the same model config share one.
    With ``time_budget_s``, rows still generating when it runs out are left out of the table
    (listed under ``unfinished``) and resume on the next run. With ``engine`` (a
    :mod:`ghostwriter.scale` engine), each row's examples are prepared on it, partitioned by
    user; generation and scoring stay in this process. ``run_dir`` gives every model row without
    a model of its own that training run's generator (:func:`ghostwriter.evaluate.spec.load_spec`).
    """
    from ghostwriter.data.build import load_dataset

    spec = load_spec(spec_path, overrides, run_dir)
    config = spec.config
    dataset = load_dataset(Path(dataset_dir))
    split = dataset.split(config.evaluate.split)
    limit = config.evaluate.limit if limit is None else limit
    examples = sample_examples(split, limit, config.run.seed)
    if not examples:
        raise GhostwriterError(f"{dataset_dir}: split {config.evaluate.split!r} has no examples")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    dataset_sha = dataset.manifest.get("content_sha256", "")
    log(f"experiment {spec.title!r}: {len(spec.variants)} rows x {len(examples)} {config.evaluate.split} examples "
        f"(seed {config.run.seed}) -> {out}")
    resources = _Resources(dataset, generator_factory, engine, Path(dataset_dir))
    deadline = time.perf_counter() + time_budget_s if time_budget_s else None
    generations, unfinished = {}, []
    for variant in spec.variants:
        rows = run_variant(spec, variant, examples, out, resources, dataset_sha, log, deadline)
        if rows is None:
            unfinished.append(variant.name)
        else:
            generations[variant.name] = rows
    if not generations:
        raise GhostwriterError(f"no row finished within the time budget ({time_budget_s:.0f} s); re-run to resume")
    finished = [v for v in spec.variants if v.name in generations]
    train_docs = tuple(d for e in dataset.split("train") for d in e.profile) if "style" in config.evaluate.metrics else ()
    settings = MetricSettings(config.evaluate.rouge_stemmer, config.evaluate.bootstrap_samples, config.run.seed,
                              train_docs)
    comparison = compare(generations, examples, config.evaluate.metrics, settings)
    results = {"title": spec.title, "spec": spec.path, "dataset": str(dataset_dir), "dataset_sha256": dataset_sha,
               "split": config.evaluate.split, "limit": limit, "alpha": config.evaluate.alpha,
               "example_ids": [e.example_id for e in examples],
               "variants": [{"name": v.name, "variant": v.variant, "generator": v.generator,
                             "model": spec.variant_config(v).model.name if v.needs_model else "",
                             "run_dir": v.run_dir, "folder": f"variants/{v.slug}"} for v in finished],
               "unfinished": unfinished, **comparison.to_json(spec.compare_to)}
    write_results(out, results, spec, comparison)
    return results


def write_results(out: Path, results: dict, spec: ExperimentSpec, comparison) -> None:
    atomic_write_text(out / "results.json", json.dumps(results, indent=2) + "\n")
    atomic_write_text(out / "results.md", f"# {results['title']}\n\n{results_markdown(results)}")
    atomic_write_text(out / "results.csv", _csv(results_csv_rows(results)))
    per_example = []
    for system, metrics in comparison.results.items():
        for i, example in enumerate(comparison.examples):
            row = {"system": system, "example_id": example.example_id, "user_id": example.user_id,
                   "profile_size": len(example.profile)}
            row.update({m: round(r.per_example[i], 4) for m, r in metrics.items()})
            per_example.append(row)
    atomic_write_text(out / "per_example.csv", _csv(per_example))
    with_refs = [{"example_id": e.example_id, "user_id": e.user_id, "profile_size": len(e.profile),
                  "context": e.context, "reference": e.target} for e in comparison.examples]
    write_jsonl(out / "examples.jsonl", with_refs)
    resolved = {"spec": spec.path, "base": to_dict(spec.config),
                "variants": {v.name: to_dict(spec.variant_config(v)) for v in spec.variants}}
    atomic_write_text(out / "config.json", json.dumps(resolved, indent=2, sort_keys=True) + "\n")


def _csv(rows: list[dict]) -> str:
    columns = list(dict.fromkeys(k for row in rows for k in row))
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()
