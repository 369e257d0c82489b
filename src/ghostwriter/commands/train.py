"""``ghostwriter train generator | summarizer``: fine-tuning runs with checkpoints and --resume."""
from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

from ghostwriter.commands import add_config_options, resolve_config


def _result_line(result) -> str:
    return json.dumps({"out": str(result.out_dir), "final_model": str(result.final_model),
                       "best_model": str(result.best_model) if result.best_model else None, "steps": result.steps,
                       "best_val_loss": result.best_val_loss, "seconds_per_step": round(result.seconds_per_step, 3)})


def train_generator_command(args) -> int:
    from ghostwriter.train.generator import train_generator

    config = resolve_config(args)
    model = args.model or config.model.name
    config = replace(config, model=replace(config.model, name=model))
    result = train_generator(Path(args.dataset), args.variant, model, Path(args.out), config,
                             multitask=args.multitask, resume=args.resume)
    print(_result_line(result))
    return 0


def train_summarizer_command(args) -> int:
    from ghostwriter.summarize.train import train_summarizer

    result = train_summarizer(Path(args.data), Path(args.out), resolve_config(args), model=args.model,
                              resume=args.resume)
    print(_result_line(result) if hasattr(result, "out_dir") else json.dumps(result, default=str))
    return 0


def register(sub) -> None:
    train = sub.add_parser("train", help="fine-tune the generator (or the summarizer); resumable runs")
    train_sub = train.add_subparsers(dest="train_command", metavar="SUBCOMMAND", required=True)

    gen = train_sub.add_parser("generator", help="fine-tune on a variant's (prompt -> target) pairs")
    gen.add_argument("--dataset", required=True, help="a dataset folder written by `ghostwriter data build`")
    gen.add_argument("--variant", required=True, help="whose prompts to train on, e.g. rank_bm25")
    gen.add_argument("--model", help="offline:smollm2-135m-instruct (default), a model folder, or a cached HF name")
    gen.add_argument("--out", required=True, help="the run folder (log.jsonl, checkpoints/, best/, final/)")
    gen.add_argument("--multitask", choices=("none", "author_pred"),
                     help="add AuthorPred (same-author true/false pairs, training users only), mixed 1:1")
    gen.add_argument("--resume", action="store_true", help="continue the run in --out from its last checkpoint")
    add_config_options(gen)
    gen.set_defaults(handler=train_generator_command)

    summ = train_sub.add_parser("summarizer", help="fine-tune the summarizer on (article -> summary) pairs")
    summ.add_argument("--data", required=True, help="the summary pairs file (see ghostwriter.summarize.train)")
    summ.add_argument("--model", help="model name or folder to start from (default: summarize.model)")
    summ.add_argument("--out", required=True, help="the run folder")
    summ.add_argument("--resume", action="store_true", help="continue the run in --out from its last checkpoint")
    add_config_options(summ)
    summ.set_defaults(handler=train_summarizer_command)
