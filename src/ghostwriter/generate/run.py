"""Generate a dataset split for one variant into a JSONL file, resumably.

Each line is one example's generation with every intermediate (ranked entries, summary,
words, prompt and its token count; :func:`ghostwriter.evaluate.serialize.generation_to_json`)
plus the model and backend. Lines are appended batch by batch and flushed, so after an
interruption the same command skips the example ids already in the file.

>>> generate_split(Path("/tmp/zfs"), "rank_bm25", Path("out/bm25.jsonl"), config, split="val")  # doctest: +SKIP
"""
from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from ghostwriter.config import Config, save_config
from ghostwriter.errors import GhostwriterError


def done_ids(path: Path) -> set[str]:
    """Example ids already written to ``path``; a torn last line (killed mid-write) is dropped."""
    if not path.exists():
        return set()
    ids, good_bytes = set(), 0
    with open(path, "rb") as handle:
        for raw in handle:
            try:
                ids.add(json.loads(raw)["example_id"])
            except (json.JSONDecodeError, KeyError):
                break
            good_bytes += len(raw)
    if good_bytes < path.stat().st_size:  # cut the partial line so appends start clean
        with open(path, "r+b") as handle:
            handle.truncate(good_bytes)
    return ids


def generate_split(dataset_dir: Path, variant: str, out: Path, config: Config, *, split: str = "test",
                   limit: int | None = None, generator=None, progress: bool = True) -> dict:
    """Write generations for ``split`` (first ``limit`` examples) of ``dataset_dir`` to ``out``."""
    from tqdm import tqdm

    from ghostwriter.data.build import load_dataset
    from ghostwriter.evaluate.serialize import generation_to_json
    from ghostwriter.generate import get_generator
    from ghostwriter.pipeline import Pipeline, generator_token_counter
    from ghostwriter.variants import variant_config

    if not (Path(dataset_dir) / "manifest.json").exists():
        raise GhostwriterError(f"{dataset_dir}: no manifest.json; make a dataset with `ghostwriter data build`")
    config = variant_config(config, variant)
    dataset = load_dataset(Path(dataset_dir))
    examples = dataset.split(split)[:limit] if limit else dataset.split(split)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    done = done_ids(out)
    todo = [e for e in examples if e.example_id not in done]
    save_config(config, out.with_name(out.name + ".config.json"))
    summary = {"out": str(out), "split": split, "variant": variant, "examples": len(examples),
               "already_done": len(examples) - len(todo), "written": 0, "seconds": 0.0}
    if not todo:
        return summary
    generator = generator or get_generator(config)
    pipeline = Pipeline.from_config(config, dataset, variant=variant, count_tokens=generator_token_counter(generator))
    started = time.perf_counter()
    size = config.generate.batch_size
    with open(out, "a", encoding="utf-8") as handle, \
            tqdm(total=len(examples), initial=len(examples) - len(todo), desc="generate", unit="ex",
                 disable=not progress, file=sys.stderr) as bar:
        for start in range(0, len(todo), size):
            batch = todo[start:start + size]
            for generation in pipeline.run(batch, generator):
                row = generation_to_json(generation)
                row.update(model=config.model.name, backend=config.generate.backend)
                handle.write(json.dumps(row, ensure_ascii=False) + "\n")
            handle.flush()
            summary["written"] += len(batch)
            bar.update(len(batch))
    summary["seconds"] = round(time.perf_counter() - started, 2)
    return summary
