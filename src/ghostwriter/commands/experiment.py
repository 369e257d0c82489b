"""``ghostwriter experiment CONFIG --dataset DIR --out OUT [--limit N]``."""
from __future__ import annotations

from pathlib import Path


def experiment(args) -> int:
    from ghostwriter.evaluate.experiment import run_experiment

    results = run_experiment(args.config, Path(args.dataset), Path(args.out), limit=args.limit,
                             overrides=args.overrides)
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
    run.set_defaults(handler=experiment)
