"""``ghostwriter report OUT``: the HTML + Markdown report of an experiment folder."""
from __future__ import annotations

from pathlib import Path


def report(args) -> int:
    from ghostwriter.report import write_report

    written = write_report(Path(args.out), examples_shown=args.examples)
    for path in written:
        print(f"wrote {path}")
    return 0


def register(sub) -> None:
    run = sub.add_parser("report", help="write an experiment folder's report (self-contained HTML and Markdown)")
    run.add_argument("out", help="a folder written by `ghostwriter experiment`")
    run.add_argument("--examples", type=int, default=3, help="examples shown side by side (default: 3)")
    run.set_defaults(handler=report)
