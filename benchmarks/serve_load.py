"""Load on `ghostwriter serve`: a bounded run of concurrent completions on loopback; prints JSON.

    python benchmarks/serve_load.py [--requests 16] [--concurrency 4] [--max-duration 300]
                                    [--max-tokens 16] [--variant NAME] [--completer pipeline]

Starts the server as a subprocess on 127.0.0.1 with a fresh SQLite store and the default
config (the offline default model, SmolLM2-135M-Instruct, and the default variant), loads
one user's profile from the vendored openzfs slice, then sends exactly ``--requests``
completions from ``--concurrency`` clients; no request is started after ``--max-duration``.
The server's peak RSS (with its children) is sampled every 100 ms. All requests stay under
the configured per-key rate limit, so any error counts against the service.

Output keys: requests, errors, rps, p50_ms, p95_ms, p99_ms, peak_rss_mb, and the settings.
"""
from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from pathlib import Path

import httpx
import numpy as np
import psutil

LOOPBACK = "127.0.0.1"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((LOOPBACK, 0))
        return sock.getsockname()[1]


def user_profile():
    from ghostwriter.data.documents import read_documents
    from ghostwriter.demo import demo_source

    by_user = defaultdict(list)
    for doc in read_documents(demo_source()):
        by_user[doc.user_id].append(doc)
    user = max(sorted(by_user), key=lambda u: len(by_user[u]))
    return user, sorted(by_user[user], key=lambda d: (d.timestamp, d.doc_id))


class RssSampler(threading.Thread):
    """Peak resident memory of a process and its children, sampled until stopped."""

    def __init__(self, pid: int, every: float = 0.1):
        super().__init__(daemon=True)
        self.process, self.every, self.peak, self.done = psutil.Process(pid), every, 0, threading.Event()

    def run(self):
        while not self.done.is_set():
            try:
                rss = self.process.memory_info().rss + sum(c.memory_info().rss
                                                           for c in self.process.children(recursive=True))
            except psutil.Error:
                return
            self.peak = max(self.peak, rss)
            time.sleep(self.every)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=16, help="completions to send in all (default 16)")
    parser.add_argument("--concurrency", type=int, default=4, help="clients sending at once (default 4)")
    parser.add_argument("--max-duration", type=float, default=300.0, help="no request starts after this (s)")
    parser.add_argument("--max-tokens", type=int, default=16, help="max_tokens of each completion (default 16)")
    parser.add_argument("--variant", default="", help="variant to ask for (default: the server's default)")
    parser.add_argument("--completer", default="pipeline", choices=("pipeline", "extractive"))
    parser.add_argument("--set", dest="overrides", action="append", default=[], help="config override for the server")
    args = parser.parse_args()
    if not (1 <= args.requests <= 10_000 and 1 <= args.concurrency <= 64 and 0 < args.max_duration <= 3600):
        parser.error("--requests 1..10000, --concurrency 1..64, --max-duration 0..3600 keep the load bounded")

    from ghostwriter.config import load_config
    from ghostwriter.serve.store import open_store

    work = Path(tempfile.mkdtemp(prefix="gw-serve-load-"))
    db = work / "profiles.db"
    store = open_store(str(db))
    key = store.create_key("bench")
    store.close()
    overrides = [f"serve.completer={args.completer}", *args.overrides]
    config = load_config(overrides=overrides)
    port = free_port()
    command = [sys.executable, "-m", "ghostwriter.cli", "serve", "--db", str(db), "--port", str(port),
               "--log-level", "warning"] + [x for o in overrides for x in ("--set", o)]
    log = open(work / "server.log", "wb")
    started = time.perf_counter()
    server = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
    sampler = RssSampler(server.pid)
    sampler.start()
    url = f"http://{LOOPBACK}:{port}"
    try:
        while True:
            if server.poll() is not None:
                raise SystemExit(f"server exited: {(work / 'server.log').read_text()[-3000:]}")
            try:
                if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.perf_counter() - started > 600:
                raise SystemExit("server did not start within 600 s")
            time.sleep(0.2)
        startup_s = time.perf_counter() - started
        user, docs = user_profile()
        headers = {"X-API-Key": key}
        with httpx.Client(base_url=url, headers=headers, timeout=60) as client:
            added = client.post(f"/v1/users/{user}/documents/bulk",
                                json={"documents": [{"doc_id": d.doc_id, "timestamp": d.timestamp, "title": d.title,
                                                     "text": d.text} for d in docs[:-8]]})
            added.raise_for_status()
        queries = docs[-8:]
        latencies, errors, batch_sizes, statuses = [], [], [], defaultdict(int)
        stage_ms = defaultdict(list)  # the server's own per-stage timings of each completion
        lock = threading.Lock()
        next_index = iter(range(args.requests))
        load_started = time.perf_counter()

        def client_loop():
            with httpx.Client(base_url=url, headers=headers, timeout=args.max_duration + 60) as c:
                while True:
                    with lock:
                        i = next(next_index, None)
                    if i is None or time.perf_counter() - load_started > args.max_duration:
                        return
                    q = queries[i % len(queries)]
                    body = {"user_id": user, "title": q.title, "context": q.text[:80], "max_tokens": args.max_tokens}
                    if args.variant:
                        body["variant"] = args.variant
                    t0 = time.perf_counter()
                    try:
                        r = c.post("/v1/complete", json=body)
                        status = r.status_code
                    except httpx.HTTPError as exc:
                        status, r = type(exc).__name__, None
                    elapsed = (time.perf_counter() - t0) * 1000
                    with lock:
                        statuses[str(status)] += 1
                        if status == 200:
                            latencies.append(elapsed)
                            answer = r.json()
                            batch_sizes.append(answer.get("batch_size", 1))
                            for stage, ms in answer.get("timings_ms", {}).items():
                                stage_ms[stage].append(ms)
                        else:
                            errors.append(status)

        threads = [threading.Thread(target=client_loop) for _ in range(args.concurrency)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        wall = time.perf_counter() - load_started
    finally:
        sampler.done.set()
        server.terminate()
        try:
            server.wait(60)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()
    done = len(latencies) + len(errors)
    pct = (lambda q: round(float(np.percentile(latencies, q)), 1)) if latencies else (lambda q: None)
    print(json.dumps({
        "benchmark": "serve_load",
        "requests": done,
        "errors": len(errors),
        "rps": round(len(latencies) / wall, 3) if wall else None,
        "p50_ms": pct(50), "p95_ms": pct(95), "p99_ms": pct(99),
        "peak_rss_mb": round(sampler.peak / 2**20, 1),
        "statuses": dict(statuses),
        "mean_batch_size": round(float(np.mean(batch_sizes)), 2) if batch_sizes else None,
        "mean_stage_ms": {stage: round(float(np.mean(v)), 1) for stage, v in sorted(stage_ms.items())},
        "concurrency": args.concurrency, "max_tokens": args.max_tokens, "wall_s": round(wall, 2),
        "startup_s": round(startup_s, 2), "completer": args.completer,
        "model": config.model.name if args.completer == "pipeline" else None,
        "variant": args.variant or config.serve.variant,
        "rate_limit": {"per_minute": config.serve.rate_per_minute, "burst": config.serve.rate_burst},
        "cpus": os.cpu_count(),
    }))  # one line, like every benchmark: the last line is the result


if __name__ == "__main__":
    main()
