"""The main job on built-in defaults: what ``make demo`` runs.

It builds examples from the vendored slice of real commit messages and prints the
dataset's counts; each later stage adds its step here.
"""
from __future__ import annotations

import time
from importlib import resources
from pathlib import Path

from ghostwriter.config import Config

DEMO_SOURCE = "openzfs-slice.jsonl.gz"


def demo_source() -> Path:
    return Path(str(resources.files("ghostwriter") / "resources" / DEMO_SOURCE))


def run_demo(out: Path, config: Config) -> int:
    from ghostwriter.data.build import build_dataset, stats_table

    started = time.perf_counter()
    print(f"ghostwriter demo: building examples from the vendored slice {DEMO_SOURCE} into {out}/dataset")
    manifest = build_dataset(demo_source(), out / "dataset", config)
    print(stats_table(manifest))
    print(f"\ndemo finished in {time.perf_counter() - started:.1f} s; dataset: {out / 'dataset'}")
    return 0
