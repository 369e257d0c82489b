"""``ghostwriter experiment CONFIG --dataset DIR --out OUT [--limit N] [--engine ray]``."""
from __future__ import annotations

import contextlib
from pathlib import Path

from ghostwriter.scale.cli import add_engine_options


def experiment(args) -> int:
    from ghostwriter.evaluate.experiment import run_experiment

    with contextlib.ExitStack() as stack:
        engine = None
        if args.engine != "local" or args.ray_address:
            from ghostwriter.scale import engine_from_args

            engine = stack.enter_context(engine_from_args(args))  # ranking, summaries, words, prompts
        results = run_experiment(args.config, Path(args.dataset), Path(args.out), limit=args.limit,
                                 overrides=args.overrides, engine=engine, run_dir=args.run_dir or "")
    print()
    print((Path(args.out) / "results.md").read_text(encoding="utf-8"))
    print(f"wrote {args.out}/results.json, results.csv, results.md, per_example.csv, config.json and "
          f"variants/*/generations.jsonl ({len(results['rows'])} rows x {results['n_examples']} examples); "
          f"`ghostwriter report {args.out}` renders the report")
    return 0


def register(sub) -> None:
    run = sub.add_parser("experiment", help="run named variants side by side on the same examples and score them")
    run.add_argument("config", help="an experiment TOML file, or a name in configs/ (seed-table, paper-ablations, peers)")
    run.add_argument("--dataset", required=True, help="a dataset folder from `ghostwriter data build`")
    run.add_argument("--out", required=True, help="the results folder (re-running resumes from what is there)")
    run.add_argument("--limit", type=int, default=None,
                     help="score a seeded sample of N examples (default: evaluate.limit in the file; 0 = all)")
    run.add_argument("--set", dest="overrides", action="append", default=[], metavar="SECTION.KEY=VALUE",
                     help="override one config field for every row; repeatable")
    run.add_argument("--run-dir", metavar="RUN_DIR",
                     help="a `ghostwriter train generator` run folder: its model (best/, else final/) finishes "
                          "every model row that names no model or run_dir of its own")
    add_engine_options(run)
    run.set_defaults(handler=experiment)
