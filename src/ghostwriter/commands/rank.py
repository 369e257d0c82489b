"""``ghostwriter rank DATASET_DIR --ranker NAME --split test --out FILE [--engine ray]``."""
from __future__ import annotations

import json

from ghostwriter.commands import add_config_options, resolve_config
from ghostwriter.scale.cli import add_engine_options


def rank_command(args) -> int:
    config = resolve_config(args)
    ranker = args.ranker or config.rank.ranker
    if args.engine == "local" and not args.ray_address:
        from ghostwriter.rank.run import rank_split

        summary = rank_split(args.dataset, ranker, args.split, args.out, config, limit=args.limit)
    else:
        from ghostwriter.scale import engine_from_args
        from ghostwriter.scale.stages import rank_split_on

        with engine_from_args(args) as engine:
            summary = rank_split_on(engine, args.dataset, ranker, args.split, args.out, config, limit=args.limit)
    print(json.dumps(summary))
    return 0


def register(sub) -> None:
    rank = sub.add_parser("rank", help="rank each example's profile and write the entries that go into its prompt")
    rank.add_argument("dataset", metavar="DATASET_DIR", help="a folder written by `ghostwriter data build`")
    rank.add_argument("--ranker", help="recent, bm25, dense, snippet, doc_by_snippet, fusion or none "
                                       "(default: rank.ranker from the config, bm25)")
    rank.add_argument("--split", default="test", help="train, val or test (default: test)")
    rank.add_argument("--out", required=True, help="the JSONL file to write (one ranking per example)")
    rank.add_argument("--limit", type=int, help="rank only the first N examples")
    add_config_options(rank)
    add_engine_options(rank)
    rank.set_defaults(handler=rank_command)
