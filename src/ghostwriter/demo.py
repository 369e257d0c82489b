"""The main job on built-in defaults: what ``make demo`` runs.

1. Build examples from the vendored slice of real OpenZFS commit messages.
2. Run a small experiment (``resources/demo-experiment.toml``): a few rows on a few dozen
   test examples, the offline default generator zero-shot, beside peers that need no model.
3. Print the results table and write the report (HTML + Markdown).

Re-running resumes: finished rows and cached generations are read back.
"""
from __future__ import annotations

import time
from importlib import resources
from pathlib import Path

from ghostwriter.config import Config

DEMO_SOURCE = "openzfs-slice.jsonl.gz"
DEMO_EXPERIMENT = "demo-experiment.toml"
TIME_BUDGET_MINUTES = 15
REPORT_RESERVE_S = 180  # scoring (style classifier, bootstraps) and the report's plots


def demo_source() -> Path:
    return Path(str(resources.files("ghostwriter") / "resources" / DEMO_SOURCE))


def demo_experiment() -> Path:
    return Path(str(resources.files("ghostwriter") / "resources" / DEMO_EXPERIMENT))


def _overrides(config: Config) -> list[str]:
    """The run settings given to the demo (--config/--set) that the experiment should honour too."""
    defaults = Config()
    return [f"run.{k}={v}" for k, v in vars(config.run).items() if getattr(defaults.run, k) != v]


def run_demo(out: Path, config: Config, experiment: bool = True, limit: int | None = None) -> int:
    from ghostwriter.data.build import build_dataset, stats_table

    started = time.perf_counter()
    if experiment:
        print(f"ghostwriter demo: builds examples from the vendored slice, runs a small experiment with the offline "
              f"default generator (zero-shot) and writes a report; it finishes within {TIME_BUDGET_MINUTES} minutes "
              f"on a 2-core CPU (re-running resumes from {out}).\n")
    print(f"[1/3] building examples from the vendored slice {DEMO_SOURCE} into {out}/dataset")
    manifest = build_dataset(demo_source(), out / "dataset", config)
    print(stats_table(manifest))
    if not experiment:
        print(f"\ndemo finished in {time.perf_counter() - started:.1f} s; dataset: {out / 'dataset'}")
        return 0
    from ghostwriter.evaluate.experiment import run_experiment
    from ghostwriter.report import write_report

    print(f"\n[2/3] running the experiment {DEMO_EXPERIMENT} into {out}/experiment")
    # generation stops at the budget minus a reserve for scoring and the report; a re-run resumes
    budget = TIME_BUDGET_MINUTES * 60 - REPORT_RESERVE_S - (time.perf_counter() - started)
    run_experiment(str(demo_experiment()), out / "dataset", out / "experiment", limit=limit,
                   overrides=_overrides(config), time_budget_s=budget)
    print("\n" + (out / "experiment" / "results.md").read_text(encoding="utf-8"))
    print("[3/3] writing the report")
    written = write_report(out / "experiment")
    minutes = (time.perf_counter() - started) / 60
    print(f"\ndemo finished in {minutes:.1f} min. Report: {written[0]} (Markdown: {written[1]}); "
          f"generations with every intermediate: {out}/experiment/variants/")
    return 0
