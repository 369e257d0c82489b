"""Generation speed and memory: transformers fp32 vs CTranslate2 (default compute type), side by side.

SmolLM2-135M (the offline default), 400-token prompts cut from real openzfs test examples,
128 new tokens, batch 1 and batch 8. Each backend runs in its own subprocess so its load
time and peak RSS are its own. Decode tokens/s excludes the prompt's prefill (timed alone
with one new token); end-to-end includes it. ROUGE-L agreement compares the two backends'
natural greedy outputs (stopping at end of sequence) on ``--prompts`` test prompts. The
bandwidth limit is measured memory bandwidth / the fp32 weights' bytes (each decoded token
must read every weight once at batch 1).

    .venv/bin/python benchmarks/generate.py                       # the full run (~15 min on a busy 2-core CPU)
    .venv/bin/python benchmarks/generate.py --prompts 4 --new-tokens 16 --repeat 1   # a quick check

Prints JSON lines; the last line holds: hf_fp32_b1_tps, hf_fp32_b8_tps, ct2_b1_tps, ct2_b8_tps,
ct2_compute_type, bandwidth_limit_tps, rougeL_agreement, peak_rss_mb (and more).
"""
from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MODEL = "offline:smollm2-135m-instruct"


def real_prompts(tokenizer, count: int, tokens: int) -> list[str]:
    """``count`` prompts of exactly ``tokens`` tokens: each test example's context, then its profile."""
    from ghostwriter.data.build import build_dataset, load_dataset

    folder = ROOT / ".cache" / "ghostwriter" / "bench-openzfs"
    if not (folder / "manifest.json").exists():
        build_dataset(Path("/work/shared/data/openzfs-commits.jsonl.gz"), folder)
    examples = load_dataset(folder).split("test")
    prompts = []
    for example in examples:
        text = example.context + "\n" + "\n".join(d.full_text for d in reversed(example.profile))
        ids = tokenizer(text, add_special_tokens=False)["input_ids"]
        if len(ids) >= tokens:
            prompts.append(tokenizer.decode(ids[:tokens]))
        if len(prompts) == count:
            break
    return prompts


def child(backend: str, args) -> dict:
    """One backend's numbers, measured in this process."""
    import torch

    from ghostwriter.config import load_config
    from ghostwriter.generate import get_generator

    overrides = [f"generate.backend={backend}", "model.prompt_format=plain", f"generate.max_new_tokens={args.new_tokens}",
                 f"generate.threads={args.threads}", f"generate.compute_type={args.ct2_compute_type or 'auto'}"]
    config = load_config(overrides=overrides)
    if args.threads:
        torch.set_num_threads(args.threads)
    generator = get_generator(config, MODEL)
    if backend == "ctranslate2":  # convert (once, cached) before timing the load
        from ghostwriter.generate.ct2 import converted_folder
        from ghostwriter.models import resolve_model

        converted_folder(resolve_model(MODEL, config), Path(config.run.cache_dir))
    started = time.perf_counter()
    generator.load()
    load_s = time.perf_counter() - started
    tokenizer = generator.tokenizer
    prompts = real_prompts(tokenizer, max(args.prompts, 8), args.prompt_tokens)
    out = {"backend": backend, "load_s": round(load_s, 2), "prompt_tokens": args.prompt_tokens,
           "new_tokens": args.new_tokens}
    if backend == "ctranslate2":
        out["compute_type"] = generator.compute_type
    for batch in (1, 8):
        texts = prompts[:batch]
        prefill = min(_timed(generator, backend, texts, 1) for _ in range(args.repeat))
        total = min(_timed(generator, backend, texts, args.new_tokens) for _ in range(args.repeat))
        out[f"b{batch}_prefill_s"] = round(prefill, 3)
        out[f"b{batch}_total_s"] = round(total, 3)
        # decode rate without the prefill; if noise makes the difference meaningless, fall back to end-to-end
        decode_s = total - prefill if total > 1.5 * prefill else total
        out[f"b{batch}_decode_tps"] = round(batch * (args.new_tokens - 1) / decode_s, 2)
        out[f"b{batch}_e2e_tps"] = round(batch * args.new_tokens / total, 2)
    # natural greedy outputs (stop at end of sequence) for the agreement score
    started = time.perf_counter()
    out["outputs"] = generator.generate(prompts[:args.prompts])
    out["agreement_gen_s"] = round(time.perf_counter() - started, 2)
    out["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    return out


def _timed(generator, backend: str, texts: list[str], new_tokens: int) -> float:
    """Seconds to generate exactly ``new_tokens`` for each text (end of sequence suppressed)."""
    started = time.perf_counter()
    if backend == "transformers":
        import torch

        lm = generator.load()
        encoded = lm.tokenizer(texts, return_tensors="pt", padding=True)
        with torch.inference_mode():
            lm.model.generate(**encoded, max_new_tokens=new_tokens, min_new_tokens=new_tokens, do_sample=False,
                              pad_token_id=lm.tokenizer.pad_token_id)
    else:
        engine = generator.load()
        tokens = [generator.tokenizer.convert_ids_to_tokens(generator.tokenizer(t)["input_ids"]) for t in texts]
        engine.generate_batch(tokens, max_length=new_tokens, min_length=new_tokens, sampling_topk=1,
                              include_prompt_in_result=False)
    return time.perf_counter() - started


def memory_bandwidth_gbs(size_mb: int = 512, repeat: int = 5) -> float:
    """Best-of-``repeat`` copy bandwidth (bytes read + written per second), in GB/s."""
    import numpy as np

    src = np.ones(size_mb * 2**20 // 8)
    dst = np.empty_like(src)
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        np.copyto(dst, src)
        best = min(best, time.perf_counter() - started)
    return 2 * src.nbytes / best / 1e9


def rouge_l_agreement(a: list[str], b: list[str]) -> float:
    from rouge_score import rouge_scorer

    scorer = rouge_scorer.RougeScorer(["rougeL"], use_stemmer=True)
    scores = []
    for x, y in zip(a, b):
        scores.append(1.0 if x == y else scorer.score(y, x)["rougeL"].fmeasure)
    return sum(scores) / len(scores)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--prompts", type=int, default=50, help="test prompts for the agreement score")
    parser.add_argument("--prompt-tokens", type=int, default=400)
    parser.add_argument("--new-tokens", type=int, default=128)
    parser.add_argument("--repeat", type=int, default=2, help="timed runs per measurement (best is kept)")
    parser.add_argument("--threads", type=int, default=0, help="CPU threads for both backends (0: all cores)")
    parser.add_argument("--ct2-compute-type", default="", help="override CTranslate2's default compute type")
    parser.add_argument("--child", choices=("transformers", "ctranslate2"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args)))
        return
    results = {}
    forwarded = sys.argv[1:]
    runs = [("transformers", []), ("ctranslate2", [])]
    if not args.ct2_compute_type:  # the default may be int8 (by CPU); measure float32 beside it
        runs.append(("ctranslate2_fp32", ["--ct2-compute-type", "float32"]))
    for name, extra in runs:
        backend = name.split("_")[0]
        run = subprocess.run([sys.executable, __file__, "--child", backend, *forwarded, *extra], capture_output=True,
                             text=True, cwd=ROOT)
        if run.returncode != 0:
            sys.exit(f"{name} run failed:\n{run.stderr[-3000:]}")
        results[name] = json.loads(run.stdout.strip().splitlines()[-1])
        print(json.dumps({"run": name, **{k: v for k, v in results[name].items() if k != "outputs"}}))
    from safetensors import safe_open

    from ghostwriter.models import resolve_model

    weights = resolve_model(MODEL) / "model.safetensors"
    with safe_open(str(weights), "pt") as handle:
        weight_bytes = sum(_numel(handle.get_slice(k).get_shape()) for k in handle.keys()) * 4
    bandwidth = memory_bandwidth_gbs()
    hf, ct2 = results["transformers"], results["ctranslate2"]
    summary = {
        "hf_fp32_b1_tps": hf["b1_decode_tps"], "hf_fp32_b8_tps": hf["b8_decode_tps"],
        "ct2_b1_tps": ct2["b1_decode_tps"], "ct2_b8_tps": ct2["b8_decode_tps"],
        "ct2_compute_type": ct2["compute_type"],
        "bandwidth_limit_tps": round(bandwidth * 1e9 / weight_bytes, 2),
        "rougeL_agreement": round(rouge_l_agreement(ct2["outputs"], hf["outputs"]), 4),
        "peak_rss_mb": max(hf["peak_rss_mb"], ct2["peak_rss_mb"]),
        "hf_peak_rss_mb": hf["peak_rss_mb"], "ct2_peak_rss_mb": ct2["peak_rss_mb"],
        "hf_fp32_b1_e2e_tps": hf["b1_e2e_tps"], "hf_fp32_b8_e2e_tps": hf["b8_e2e_tps"],
        "ct2_b1_e2e_tps": ct2["b1_e2e_tps"], "ct2_b8_e2e_tps": ct2["b8_e2e_tps"],
        "hf_load_s": hf["load_s"], "ct2_load_s": ct2["load_s"],
        "ct2_b1_speedup": round(ct2["b1_decode_tps"] / hf["b1_decode_tps"], 2),
        "memory_bandwidth_gbs": round(bandwidth, 2), "weight_mb": round(weight_bytes / 2**20, 1),
        "identical_outputs": sum(a == b for a, b in zip(hf["outputs"], ct2["outputs"])),
        "agreement_prompts": len(hf["outputs"]), "prompt_tokens": args.prompt_tokens, "new_tokens": args.new_tokens,
    }
    if "ctranslate2_fp32" in results:
        fp32 = results["ctranslate2_fp32"]
        summary.update(ct2_fp32_b1_tps=fp32["b1_decode_tps"], ct2_fp32_b8_tps=fp32["b8_decode_tps"],
                       ct2_fp32_rougeL_agreement=round(rouge_l_agreement(fp32["outputs"], hf["outputs"]), 4))
    summary["ct2_b1_fraction_of_bandwidth_limit"] = round(summary["ct2_b1_tps"] / summary["bandwidth_limit_tps"], 3)
    print(json.dumps(summary))


def _numel(shape) -> int:
    total = 1
    for dim in shape:
        total *= dim
    return total


if __name__ == "__main__":
    main()
