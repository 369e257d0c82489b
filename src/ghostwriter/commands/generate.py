"""``ghostwriter generate DATASET_DIR --variant NAME --model PATH --split test --out FILE [--engine ray]``."""
from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

from ghostwriter.commands import add_config_options, resolve_config
from ghostwriter.scale.cli import add_engine_options


def generate(args) -> int:
    config = resolve_config(args)
    if args.model:
        config = replace(config, model=replace(config.model, name=args.model))
    if args.backend:
        config = replace(config, generate=replace(config.generate, backend=args.backend))
    if args.engine == "local" and not args.ray_address:
        from ghostwriter.generate.run import generate_split

        summary = generate_split(Path(args.dataset), args.variant, Path(args.out), config, split=args.split,
                                 limit=args.limit)
    else:
        from ghostwriter.scale import engine_from_args
        from ghostwriter.scale.stages import generate_split_on

        with engine_from_args(args) as engine:
            summary = generate_split_on(engine, Path(args.dataset), args.variant, Path(args.out), config,
                                        split=args.split, limit=args.limit)
    print(json.dumps(summary))
    return 0


def register(sub) -> None:
    parser = sub.add_parser("generate", help="write a split's generations (with every intermediate) as JSONL; resumable")
    parser.add_argument("dataset", help="a dataset folder written by `ghostwriter data build`")
    parser.add_argument("--variant", required=True, help="a variant name (see ghostwriter.variants), e.g. rank_bm25")
    parser.add_argument("--model", help="offline:smollm2-135m-instruct (default), a model folder (e.g. RUN_DIR/final) "
                                        "or a Hugging Face name in the local cache")
    parser.add_argument("--split", default="test", choices=("train", "val", "test"))
    parser.add_argument("--out", required=True, help="the JSONL file; ids already in it are skipped")
    parser.add_argument("--backend", choices=("transformers", "ctranslate2"), help="overrides generate.backend")
    parser.add_argument("--limit", type=int, help="only the first N examples of the split")
    add_config_options(parser)
    add_engine_options(parser)
    parser.set_defaults(handler=generate)
