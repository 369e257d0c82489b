"""Import + build examples on the shared openzfs corpus; prints JSON.

    python benchmarks/build_examples.py [SOURCE] [--repeat N]

Times the whole `ghostwriter data build` path (read gzip JSONL, validate, clean, build
examples, split, write the dataset folder) in this process. Target: under 10 s.
"""
from __future__ import annotations

import argparse
import json
import resource
import tempfile
import time
from pathlib import Path

from ghostwriter.data.build import build_dataset

DEFAULT_SOURCE = Path(__file__).resolve().parents[2] / "shared" / "data" / "openzfs-commits.jsonl.gz"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("source", nargs="?", type=Path, default=DEFAULT_SOURCE)
    parser.add_argument("--repeat", type=int, default=3, help="runs; the best is reported (default 3)")
    args = parser.parse_args()
    timings = []
    for _ in range(args.repeat):
        with tempfile.TemporaryDirectory() as out:
            started = time.perf_counter()
            manifest = build_dataset(args.source, Path(out) / "dataset")
            timings.append(time.perf_counter() - started)
    best = min(timings)
    documents = manifest["documents"]["read"]
    print(json.dumps({
        "benchmark": "build_examples",
        "source": str(args.source),
        "documents": documents,
        "examples": manifest["examples"]["kept"],
        "runs": [round(t, 3) for t in timings],
        "seconds": round(best, 3),
        "documents_per_s": round(documents / best, 1),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }))


if __name__ == "__main__":
    main()
