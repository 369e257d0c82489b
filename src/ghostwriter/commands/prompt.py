"""``ghostwriter prompt DATASET_DIR --variant NAME --example ID [--json]``: one example's prompt, explained."""
from __future__ import annotations

import json

from ghostwriter.commands import add_config_options, resolve_config


def show_prompt(args) -> int:
    from ghostwriter.pipeline import explain_example

    config = resolve_config(args)
    count_tokens = None
    if not args.approx_tokens:  # the generator's own tokenizer (only the tokenizer is loaded)
        from ghostwriter.models import is_seq2seq_folder, load_tokenizer, resolve_model

        folder = resolve_model(config.model.name, config)
        tokenizer = load_tokenizer(folder, is_seq2seq_folder(folder))

        def count_tokens(text: str) -> int:
            return len(tokenizer(text, add_special_tokens=False)["input_ids"])
    report = explain_example(args.dataset, config, args.variant, args.example, count_tokens)
    for word in report["words"]:  # a centroid word's score is its distance to the context's centroid
        if word["source"].startswith("centroid"):
            word["distance"] = word["score"]
    if args.json:
        print(json.dumps(report, ensure_ascii=False, indent=2))
        return 0
    print(f"variant {report['variant']}, example {report['example_id']}\n")
    print(f"ranked entries ({len(report['ranked'])}):")
    for i, entry in enumerate(report["ranked"], start=1):
        text = entry["text"].replace("\n", " ")
        print(f"  {i:2d}. {entry['doc_id']} [{entry['start']}:{entry['end']}] score {entry['score']:.3f}  "
              f"{text[:90]}{'...' if len(text) > 90 else ''}")
    print(f"\nsummary: {report['summary'] or '(none)'}\n")
    print(f"words ({len(report['words'])}):")
    for w in report["words"]:
        what = f"distance to centroid {w['distance']:.3f}" if "distance" in w else f"score {w['score']:g}"
        print(f"  {w['word']:<24} {w['source']:<15} {what}")
    if report["skipped_oov"]:
        print(f"  ({report['skipped_oov']} context/candidate words without a vector skipped)")
    print(f"\nprompt ({report['prompt_tokens']} tokens):\n{report['prompt']}")
    return 0


def register(sub) -> None:
    run = sub.add_parser("prompt", help="show one example's ranked entries, summary, words and final prompt")
    run.add_argument("dataset", help="a dataset folder written by `ghostwriter data build`")
    run.add_argument("--variant", default="baseline",
                     help="a variant name (default: baseline); 'config' uses --config/--set exactly as given")
    run.add_argument("--example", required=True, help="the example_id (the current document's doc_id)")
    run.add_argument("--json", action="store_true",
                     help="print one JSON object with keys ranked, summary, words (centroid words with their distance), "
                          "prompt, prompt_tokens")
    run.add_argument("--approx-tokens", action="store_true",
                     help="count tokens as words and punctuation instead of loading the generator's tokenizer")
    add_config_options(run)
    run.set_defaults(handler=show_prompt)
