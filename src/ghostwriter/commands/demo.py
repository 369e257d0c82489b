"""``ghostwriter demo``: the main job on built-in defaults (what ``make demo`` runs)."""
from __future__ import annotations

from pathlib import Path

from ghostwriter.commands import add_config_options, resolve_config


def demo(args) -> int:
    from ghostwriter.demo import run_demo

    return run_demo(Path(args.out), resolve_config(args), experiment=not args.dataset_only, limit=args.limit)


def register(sub) -> None:
    run = sub.add_parser("demo", help="the main job on built-in defaults (what `make demo` runs)")
    run.add_argument("--out", default="out/demo", help="where to write (default: out/demo)")
    run.add_argument("--dataset-only", action="store_true", help="only build the example dataset (seconds)")
    run.add_argument("--limit", type=int, default=None, help="test examples in the experiment (default: 24)")
    add_config_options(run)
    run.set_defaults(handler=demo)
