"""Training cost: seconds per optimizer step and tokens/s, full vs LoRA fine-tuning, side by side.

SmolLM2-135M (the offline default) through the project's own trainer
(:func:`ghostwriter.train.train_on_pairs`, Adafactor, the paper's schedule), on pairs of real
openzfs text that tokenize to exactly ``--seq-len`` tokens (input 3/4, target 1/4), batch
``--batch-size``. Each method runs in its own subprocess (its own peak RSS); the first step
(allocation, warm-up) is excluded from the means.

    .venv/bin/python benchmarks/train.py                                   # batch 4 x 512 tokens, 3 timed steps
    .venv/bin/python benchmarks/train.py --batch-size 1 --seq-len 128 --steps 1   # a quick check

The last JSON line holds: full_s_per_step, lora_s_per_step, full_tokens_per_s, lora_tokens_per_s,
full_peak_rss_mb, lora_peak_rss_mb, lora_saving, batch_size, seq_len, steps.
"""
from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MODEL = "offline:smollm2-135m-instruct"


def exact_pairs(tokenizer, count: int, seq_len: int) -> list[tuple[str, str]]:
    """``count`` (input, target) pairs of real commit text, 3/4 and 1/4 of ``seq_len`` tokens each."""
    import gzip

    ids: list[int] = []
    with gzip.open("/work/shared/data/openzfs-commits.jsonl.gz", "rt", encoding="utf-8") as handle:
        for line in handle:
            row = json.loads(line)
            ids.extend(tokenizer(f"{row.get('title', '')}\n{row.get('text', '')}\n", add_special_tokens=False)["input_ids"])
            if len(ids) > count * seq_len * 2:
                break
    source_len = seq_len * 3 // 4
    target_len = seq_len - source_len - 1  # the end-of-sequence token completes the length
    pairs, pos = [], 0
    while len(pairs) < count:
        source = tokenizer.decode(ids[pos:pos + source_len])
        target = tokenizer.decode(ids[pos + source_len:pos + source_len + target_len])
        pos += seq_len
        if len(tokenizer(source, add_special_tokens=False)["input_ids"]) == source_len and \
                len(tokenizer(target, add_special_tokens=False)["input_ids"]) == target_len:
            pairs.append((source, target))
    return pairs


def child(method: str, args) -> dict:
    from ghostwriter.config import load_config
    from ghostwriter.models import load_tokenizer, resolve_model
    from ghostwriter.train import train_on_pairs

    overrides = [f"train.method={method}", f"train.max_steps={args.steps + 1}", f"train.batch_size={args.batch_size}",
                 "train.save_every=0", "train.eval_every=0", f"train.max_input_tokens={args.seq_len}",
                 f"train.max_target_tokens={args.seq_len}", "model.prompt_format=plain", f"train.threads={args.threads}"]
    config = load_config(overrides=overrides)
    tokenizer = load_tokenizer(resolve_model(MODEL, config), seq2seq=False)
    pairs = exact_pairs(tokenizer, args.batch_size * (args.steps + 1), args.seq_len)
    with tempfile.TemporaryDirectory() as tmp:
        train_on_pairs(MODEL, pairs, [], config.train, Path(tmp) / "run", config=config, progress=False)
        rows = [json.loads(line) for line in (Path(tmp) / "run" / "log.jsonl").read_text().splitlines()]
    timed = [r for r in rows if "seconds" in r][1:]
    seconds = sum(r["seconds"] for r in timed) / len(timed)
    tokens = sum(r["tokens"] for r in timed) / len(timed)
    return {"method": method, "s_per_step": round(seconds, 2), "tokens_per_step": tokens,
            "tokens_per_s": round(tokens / seconds, 1), "step_seconds": [r["seconds"] for r in timed],
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--batch-size", type=int, default=4)
    parser.add_argument("--seq-len", type=int, default=512)
    parser.add_argument("--steps", type=int, default=3, help="timed optimizer steps (one more runs first, untimed)")
    parser.add_argument("--threads", type=int, default=0, help="torch CPU threads (0: torch's default)")
    parser.add_argument("--child", choices=("full", "lora"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args)))
        return
    results = {}
    for method in ("full", "lora"):
        run = subprocess.run([sys.executable, __file__, "--child", method, *sys.argv[1:]], capture_output=True,
                             text=True, cwd=ROOT)
        if run.returncode != 0:
            sys.exit(f"{method} run failed:\n{run.stderr[-3000:]}")
        results[method] = json.loads(run.stdout.strip().splitlines()[-1])
        print(json.dumps(results[method]))
    full, lora = results["full"], results["lora"]
    print(json.dumps({
        "full_s_per_step": full["s_per_step"], "lora_s_per_step": lora["s_per_step"],
        "full_tokens_per_s": full["tokens_per_s"], "lora_tokens_per_s": lora["tokens_per_s"],
        "full_peak_rss_mb": full["peak_rss_mb"], "lora_peak_rss_mb": lora["peak_rss_mb"],
        "peak_rss_mb": max(full["peak_rss_mb"], lora["peak_rss_mb"]),
        "lora_saving": round(1 - lora["s_per_step"] / full["s_per_step"], 3),
        "batch_size": args.batch_size, "seq_len": args.seq_len, "steps": args.steps, "threads": args.threads,
    }))


if __name__ == "__main__":
    main()
