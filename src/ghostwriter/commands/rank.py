"""``ghostwriter rank DATASET_DIR --ranker NAME --split test --out FILE``."""
from __future__ import annotations

import json

from ghostwriter.commands import add_config_options, resolve_config


def rank_command(args) -> int:
    from ghostwriter.rank.run import rank_split

    config = resolve_config(args)
    summary = rank_split(args.dataset, args.ranker or config.rank.ranker, args.split, args.out, config,
                         limit=args.limit)
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
    rank.set_defaults(handler=rank_command)
