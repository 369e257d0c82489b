"""Examples per second of data build + ranking + synthesis, local engine vs Ray, on a replicated corpus.

The shared openzfs corpus is replicated ``--replicas`` times (default 20) with distinct user
and doc ids per replica (``<id>~r<k>``), written once (not timed). Then, per engine:

1. ``build_dataset_on``: import, clean, examples per user partition, split, write the folder;
2. ``prepare_on`` over every example of every split with the ``syn_ind`` variant: the config's
   ranker (bm25) + SynInd keywords + the prompt (no summarizer, no model), written as JSONL.

``local_eps`` / ``ray_eps`` = examples kept / seconds for 1 + 2 (Ray: its cluster start is
reported apart as ``ray_start_s``; actor start-up and per-actor loading are inside the time).
``identical`` is 1 when both engines wrote byte-identical dataset files and prepared JSONL.
The machine is shared, so wall-clock numbers move; the last line printed is one JSON object.

    .venv/bin/python benchmarks/scale.py                     # x20, 2 Ray workers (7 min 52 s on 2 busy cores)
    .venv/bin/python benchmarks/scale.py --replicas 2        # quick check
"""
from __future__ import annotations

import argparse
import gzip
import json
import os
import platform
import shutil
import tempfile
import time
from pathlib import Path

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "data" / "openzfs-commits.jsonl.gz"
VARIANT = "syn_ind"
COMPARED = ("documents.jsonl", "train.jsonl", "val.jsonl", "test.jsonl", "prepared.jsonl")


def replicate_corpus(source: Path, out: Path, replicas: int) -> int:
    """Write ``replicas`` copies of ``source`` with ``~r<k>`` appended to every user_id and doc_id."""
    with gzip.open(source, "rt", encoding="utf-8") as handle:
        records = [json.loads(line) for line in handle if line.strip()]
    with gzip.open(out, "wt", encoding="utf-8", compresslevel=1) as handle:
        for k in range(replicas):
            for record in records:
                handle.write(json.dumps({**record, "user_id": f"{record['user_id']}~r{k}",
                                         "doc_id": f"{record['doc_id']}~r{k}"}) + "\n")
    return len(records) * replicas


def run_engine(engine, source: Path, out: Path, config) -> dict:
    """Build the dataset and prepare every example on ``engine``; seconds per phase."""
    from ghostwriter.data.build import load_dataset
    from ghostwriter.io import write_jsonl
    from ghostwriter.scale.stages import build_dataset_on, prepare_on, prepared_to_json

    started = time.perf_counter()
    manifest = build_dataset_on(engine, source, out, config)
    built = time.perf_counter()
    dataset = load_dataset(out)
    examples = [e for name in ("train", "val", "test") for e in dataset.split(name)]
    prepared = prepare_on(engine, out, examples, config, VARIANT)
    write_jsonl(out / "prepared.jsonl", map(prepared_to_json, prepared))
    done = time.perf_counter()
    return {"examples": manifest["examples"]["kept"], "users": manifest["documents"]["users"],
            "build_s": round(built - started, 2), "prepare_s": round(done - built, 2),
            "total_s": round(done - started, 2), "eps": round(manifest["examples"]["kept"] / (done - started), 1)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument("--replicas", type=int, default=20)
    parser.add_argument("--workers", type=int, default=2, help="Ray actors (one CPU each)")
    parser.add_argument("--keep", type=Path, help="write the outputs here instead of a deleted temporary folder")
    args = parser.parse_args()

    from ghostwriter.config import Config
    from ghostwriter.scale import get_engine

    config = Config()
    root = args.keep or Path(tempfile.mkdtemp(prefix="gw-scale-bench-"))
    root.mkdir(parents=True, exist_ok=True)
    try:
        source = root / f"corpus-x{args.replicas}.jsonl.gz"
        documents = replicate_corpus(args.corpus, source, args.replicas)
        local = run_engine(get_engine("local"), source, root / "local", config)
        started = time.perf_counter()
        with get_engine("ray", workers=args.workers) as engine:
            ray_start = time.perf_counter() - started
            ray = run_engine(engine, source, root / "ray", config)
        identical = all((root / "local" / f).read_bytes() == (root / "ray" / f).read_bytes() for f in COMPARED)
        result = {
            "local_eps": local["eps"], "ray_eps": ray["eps"], "identical": int(identical),
            "examples": local["examples"], "users": local["users"], "documents": documents,
            "replicas": args.replicas, "workers": args.workers, "ray_start_s": round(ray_start, 2),
            "local": local, "ray": ray,
            "stages": f"data build + rank.ranker={config.rank.ranker} + variant {VARIANT} "
                      f"(synthesize=syn_ind, summarize=none) + prompt",
            "cpus": os.cpu_count(), "python": platform.python_version(),
        }
    finally:
        if args.keep is None:
            shutil.rmtree(root, ignore_errors=True)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
