"""``ghostwriter demo``: the main job on built-in defaults (what ``make demo`` runs)."""
from __future__ import annotations

from pathlib import Path

from ghostwriter.commands import add_config_options, resolve_config


def demo(args) -> int:
    from ghostwriter.demo import run_demo

    return run_demo(Path(args.out), resolve_config(args))


def register(sub) -> None:
    run = sub.add_parser("demo", help="the main job on built-in defaults (what `make demo` runs)")
    run.add_argument("--out", default="out/demo", help="where to write (default: out/demo)")
    add_config_options(run)
    run.set_defaults(handler=demo)
