"""Fine-tuning the generator for one variant, or a mixture: (prompt -> target) pairs from a dataset folder.

Prompts come from the variant's pipeline (:meth:`ghostwriter.pipeline.Pipeline.prepare`),
targets from the training split (validation split for validation loss / early stopping).
A mixture (``"baseline,centroid_w2v,rank_bm25"``) gives each example one of the variants,
drawn with the run's seed, so one generator learns every prompt layout (sections present or
not) that the mixture's rows will show it.
The pairs are written to ``RUN_DIR/pairs/`` first, so a resumed run trains on exactly the same
pairs without re-ranking or re-summarizing, and a user can read what the model was taught.

>>> train_generator(Path("/tmp/zfs"), "rank_bm25", "offline:smollm2-135m-instruct",
...                 Path("runs/bm25"), config)                       # doctest: +SKIP
"""
from __future__ import annotations

import json
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np

from ghostwriter.config import Config
from ghostwriter.io import read_jsonl, write_jsonl
from ghostwriter.train.loop import TrainResult, train_on_pairs
from ghostwriter.train.pairs import Pair, author_pred_pairs, mix_one_to_one


def train_generator(dataset_dir: Path, variant: str, model: str, out: Path, config: Config, *,
                    multitask: str | None = None, resume: bool = False, progress: bool = True) -> TrainResult:
    """Build (or reuse) the variant's pairs, then :func:`~ghostwriter.train.train_on_pairs`.

    ``variant`` is one name or several joined by commas (a mixture, see the module docstring).
    """
    from ghostwriter.variants import variant_config

    if multitask is not None:
        config = replace(config, train=replace(config.train, multitask=multitask))
    variants = split_variants(variant)
    if len(variants) == 1:
        config = variant_config(config, variants[0])
    out = Path(out)
    from ghostwriter.scale.distributed import get_distributed

    dist = get_distributed()  # under accelerate launch the main process prepares the pairs, the others read them
    if dist.is_main:
        train_pairs, val_pairs = generator_pairs(Path(dataset_dir), variant, model, config, out / "pairs", resume)
    dist.wait()
    if not dist.is_main:
        train_pairs, val_pairs = generator_pairs(Path(dataset_dir), variant, model, config, out / "pairs", True)
    return train_on_pairs(model, train_pairs, val_pairs, config.train, out, config=config, resume=resume,
                          progress=progress)


def generator_pairs(dataset_dir: Path, variant: str, model: str, config: Config, folder: Path,
                    reuse: bool) -> tuple[list[Pair], list[Pair]]:
    """Training and validation pairs for the variant (or mixture), cached as JSONL in ``folder``."""
    train_file, val_file = folder / "train.jsonl", folder / "val.jsonl"
    if reuse and train_file.exists() and val_file.exists():
        return _read_pairs(train_file), _read_pairs(val_file)
    from ghostwriter.data.build import load_dataset
    from ghostwriter.models import load_tokenizer, resolve_model, is_seq2seq_folder

    variants = split_variants(variant)
    dataset = load_dataset(dataset_dir)
    path = resolve_model(model, config)
    tokenizer = load_tokenizer(path, is_seq2seq_folder(path))
    count = lambda text: len(tokenizer(text, add_special_tokens=False)["input_ids"])  # noqa: E731
    cfg = config.train
    needed = cfg.max_steps * cfg.batch_size * cfg.grad_accum  # one epoch's worth at most; more is wasted prep
    if cfg.multitask == "author_pred":
        needed = (needed + 1) // 2
    train_examples = _sample(dataset.split("train"), needed, config.run.seed)
    val_examples = _sample(dataset.split("val"), cfg.eval_examples, config.run.seed + 1)
    print(f"preparing {len(train_examples)} training and {len(val_examples)} validation prompts "
          f"for variant {variant!r}", file=sys.stderr)
    train = _prepare_mixture(dataset, config, variants, count, train_examples, config.run.seed)
    val = _prepare_mixture(dataset, config, variants, count, val_examples, config.run.seed + 1)
    tasks = ["generate"] * len(train)
    if cfg.multitask == "author_pred":
        users = {e.user_id for e in dataset.split("train")}  # training users only
        by_user: dict[str, list[str]] = {}
        for doc in dataset.user_documents(users):
            by_user.setdefault(doc.user_id, []).append(doc.full_text)
        authors = author_pred_pairs(by_user, len(train), seed=config.run.seed)
        train = mix_one_to_one(train, authors)
        tasks = ["generate", "author_pred"] * (len(train) // 2)
    write_jsonl(train_file, ({"input": a, "target": b, "task": t} for (a, b), t in zip(train, tasks)))
    write_jsonl(val_file, ({"input": a, "target": b, "task": "generate"} for a, b in val))
    return train, val


def split_variants(variant: str) -> list[str]:
    """``"a,b"`` -> ``["a", "b"]``; every name must be a known variant, each named once."""
    from ghostwriter.errors import GhostwriterError
    from ghostwriter.variants import VARIANTS

    names = [name.strip() for name in variant.split(",")]
    unknown = [name for name in names if name not in VARIANTS]
    if unknown or not names:
        raise GhostwriterError(f"unknown variant(s) {', '.join(map(repr, unknown)) or repr(variant)}; give one "
                               f"name or several joined by commas, from: {', '.join(VARIANTS)}")
    if len(set(names)) != len(names):
        raise GhostwriterError(f"variant mixture {variant!r} names a variant twice")
    return names


def _prepare_mixture(dataset, config: Config, variants: list[str], count, examples: list, seed: int) -> list[Pair]:
    """(prompt, target) per example, in order; each example gets one variant drawn with ``seed``."""
    from ghostwriter.pipeline import Pipeline

    drawn = np.random.default_rng(seed).integers(len(variants), size=len(examples)) if len(variants) > 1 \
        else np.zeros(len(examples), dtype=int)
    prompts: list[str | None] = [None] * len(examples)
    for index, name in enumerate(variants):
        chosen = [i for i in range(len(examples)) if drawn[i] == index]
        if not chosen:
            continue
        if len(variants) > 1:  # a mixture's prompts take minutes where summaries are made: say where it is
            print(f"  {name}: {len(chosen)} prompts ({index + 1}/{len(variants)} variants)", file=sys.stderr)
        pipeline = Pipeline.from_config(config, dataset, variant=name, count_tokens=count)
        for i, prepared in zip(chosen, pipeline.prepare([examples[i] for i in chosen]), strict=True):
            prompts[i] = prepared.prompt
    return [(prompt, example.target) for prompt, example in zip(prompts, examples, strict=True)]


def _sample(examples: list, count: int, seed: int) -> list:
    """Up to ``count`` examples in a seeded random order (all of them when there are fewer)."""
    order = np.random.default_rng(seed).permutation(len(examples))[:count]
    return [examples[i] for i in sorted(order)]


def _read_pairs(path: Path) -> list[Pair]:
    return [(row["input"], row["target"]) for row in read_jsonl(path)]


def loss_curve(run_dir: Path) -> dict[str, list]:
    """The run's train and validation losses by step, for plots: ``{"train": [(step, loss)], "val": [...]}``."""
    curve: dict[str, list] = {"train": [], "val": []}
    for line in (Path(run_dir) / "log.jsonl").read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        if "train_loss" in row:
            curve["train"].append((row["step"], row["train_loss"]))
        if "val_loss" in row:
            curve["val"].append((row["step"], row["val_loss"]))
    return curve
