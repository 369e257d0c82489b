"""``ghostwriter train generator | summarizer | synthesizer``: fine-tuning runs with checkpoints and --resume."""
from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

from ghostwriter.commands import add_config_options, resolve_config


def _result_line(result, use: dict | None = None) -> str:
    """One JSON line; ``use`` is the ``--set`` overrides that put the trained model to work."""
    line = {"out": str(result.out_dir), "final_model": str(result.final_model),
            "best_model": str(result.best_model) if result.best_model else None, "steps": result.steps,
            "best_val_loss": result.best_val_loss, "seconds_per_step": round(result.seconds_per_step, 3)}
    if use:
        line["use"] = [f"--set {key}={value}" for key, value in use.items()]
    return json.dumps(line)


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
    from ghostwriter.errors import GhostwriterError
    from ghostwriter.summarize.train import train_summarizer

    if args.dataset is not None and not (Path(args.dataset) / "manifest.json").exists():
        raise GhostwriterError(f"{args.dataset}: not a dataset folder (no manifest.json); make one with "
                               f"`ghostwriter data build SOURCE --out {args.dataset}`, or pass a CNN/DailyMail "
                               f"file with --data")
    data = Path(args.data if args.data is not None else args.dataset)
    result = train_summarizer(data, Path(args.out), resolve_config(args), model=args.model, limit=args.limit,
                              resume=args.resume)
    if not hasattr(result, "out_dir"):
        print(json.dumps(result, default=str))
        return 0
    method = "sum_ctx" if (data / "manifest.json").exists() else "sum_ind"
    print(_result_line(result, {"summarize.method": method, "summarize.model": str(result.final_model)}))
    return 0


def train_synthesizer_command(args) -> int:
    from ghostwriter.data.build import load_dataset
    from ghostwriter.synthesize.weak_labels import train_syn_ctx

    dataset = load_dataset(Path(args.dataset))
    result = train_syn_ctx(dataset, Path(args.out), resolve_config(args), model=args.model, resume=args.resume,
                           limit=args.limit)
    print(_result_line(result, {"synthesize.method": "syn_ctx", "synthesize.model": str(result.final_model)}))
    return 0


def register(sub) -> None:
    train = sub.add_parser("train", help="fine-tune the generator, the summarizer or the syn_ctx word predictor; "
                                         "resumable runs")
    train_sub = train.add_subparsers(dest="train_command", metavar="SUBCOMMAND", required=True)

    gen = train_sub.add_parser("generator", help="fine-tune on a variant's (prompt -> target) pairs")
    gen.add_argument("--dataset", required=True, help="a dataset folder written by `ghostwriter data build`")
    gen.add_argument("--variant", required=True,
                     help="whose prompts to train on, e.g. rank_bm25; several joined by commas (baseline,"
                          "centroid_w2v) train one generator on a seeded mixture, one variant per example")
    gen.add_argument("--model", help="offline:smollm2-135m-instruct (default), a model folder, or a cached HF name")
    gen.add_argument("--out", required=True, help="the run folder (log.jsonl, checkpoints/, best/, final/)")
    gen.add_argument("--multitask", choices=("none", "author_pred"),
                     help="add AuthorPred (same-author true/false pairs, training users only), mixed 1:1")
    gen.add_argument("--resume", action="store_true", help="continue the run in --out from its last checkpoint")
    add_config_options(gen)
    gen.set_defaults(handler=train_generator_command)

    summ = train_sub.add_parser("summarizer", help="fine-tune the summarizer: sum_ind on CNN/DailyMail pairs, "
                                                   "or sum_ctx on a dataset's weak labels")
    source = summ.add_mutually_exclusive_group(required=True)
    source.add_argument("--data", metavar="FILE",
                        help="CNN/DailyMail pairs (CSV id,article,highlights or JSONL) for a sum_ind summarizer; "
                             "a dataset folder here works like --dataset")
    source.add_argument("--dataset", metavar="DIR",
                        help="a dataset folder (`ghostwriter data build`): a sum_ctx summarizer on weak labels "
                             "from half of its training users")
    summ.add_argument("--model", help="model name or folder to start from (default: summarize.model)")
    summ.add_argument("--out", required=True, help="the run folder; use RUN/final as summarize.model")
    summ.add_argument("--limit", type=_positive_int, help="train on at most this many pairs")
    summ.add_argument("--resume", action="store_true", help="continue the run in --out from its last checkpoint")
    add_config_options(summ)
    summ.set_defaults(handler=train_summarizer_command)

    synth = train_sub.add_parser("synthesizer", help="fine-tune the syn_ctx word predictor on a dataset's weak labels")
    synth.add_argument("--dataset", required=True, metavar="DIR",
                       help="a dataset folder (`ghostwriter data build`); labels come from half of its training users")
    synth.add_argument("--model", help="model name or folder to start from (default: summarize.model)")
    synth.add_argument("--out", required=True, metavar="RUN_DIR",
                       help="the run folder; use RUN_DIR/final as synthesize.model")
    synth.add_argument("--limit", type=_positive_int, help="build weak labels for at most this many training examples")
    synth.add_argument("--resume", action="store_true", help="continue the run in --out from its last checkpoint")
    add_config_options(synth)
    synth.set_defaults(handler=train_synthesizer_command)


def _positive_int(text: str) -> int:
    import argparse

    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, got {value}")
    return value
