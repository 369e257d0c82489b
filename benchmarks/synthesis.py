"""Examples per second of the synthesizers syn_ind, centroid_w2v and centroid_glove, side by side.

Over the shared corpus's test split: the dataset is built once (or given with --dataset),
rankings (bm25) are computed once and not timed, each synthesizer is constructed once
(vectors loaded once; that time is reported apart), then timed over the whole split,
``--repeats`` times: ``*_eps`` is the best run, ``*_first_pass_eps`` the first (cold caches).
The last line printed is one JSON object.

    .venv/bin/python benchmarks/synthesis.py                 # full test split
    .venv/bin/python benchmarks/synthesis.py --limit 30      # quick check
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "data" / "openzfs-commits.jsonl.gz"
METHODS = ("syn_ind", "centroid_w2v", "centroid_glove")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument("--dataset", type=Path, help="an existing dataset folder (default: build one from --corpus)")
    parser.add_argument("--limit", type=int, default=0, help="only the first N test examples (0 = all)")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    from ghostwriter.config import load_config
    from ghostwriter.data.build import build_dataset, load_dataset
    from ghostwriter.rank import get_ranker
    from ghostwriter.synthesize import get_synthesizer

    config = load_config()
    folder = args.dataset
    if folder is None:
        folder = Path(tempfile.mkdtemp(prefix="gw-synth-bench-"))
        build_dataset(args.corpus, folder, config)
    dataset = load_dataset(folder)
    examples = dataset.split("test")
    if args.limit:
        examples = examples[:args.limit]
    rankings = get_ranker("bm25", config).rank(examples)
    result: dict = {"examples": len(examples), "ranker": "bm25", "dataset": str(folder), "repeats": args.repeats}
    for method in METHODS:
        cfg = load_config(overrides=[f"synthesize.method={method}"])
        started = time.perf_counter()
        synthesizer = get_synthesizer(cfg, dataset)
        result[f"{method}_load_s"] = round(time.perf_counter() - started, 3)
        times = []
        words = None
        for _ in range(args.repeats):
            started = time.perf_counter()
            words = synthesizer.synthesize(examples, rankings)
            times.append(time.perf_counter() - started)
        result[f"{method}_eps"] = round(len(examples) / min(times), 1)
        result[f"{method}_first_pass_eps"] = round(len(examples) / times[0], 1)  # cold per-document caches
        result[f"{method}_mean_words"] = round(sum(len(w) for w in words) / max(len(words), 1), 2)
        if hasattr(synthesizer, "skipped_oov"):
            per_example = synthesizer.skipped_oov / (len(examples) * args.repeats)
            result[f"{method}_oov_skipped_per_example"] = round(per_example, 2)
    if args.dataset is None:
        import shutil

        shutil.rmtree(folder, ignore_errors=True)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
