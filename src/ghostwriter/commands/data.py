"""``ghostwriter data build | stats | from-git``."""
from __future__ import annotations

import json
import sys
from pathlib import Path

from ghostwriter.commands import add_config_options, resolve_config
from ghostwriter.errors import GhostwriterError
from ghostwriter.scale.cli import add_engine_options


def data_build(args) -> int:
    from ghostwriter.data.build import build_dataset, stats_table

    options = dict(fmt=args.format, skip_bad=args.skip_bad, lamp_task=args.lamp_task, lamp_outputs=args.lamp_outputs)
    if args.engine == "local" and not args.ray_address:
        manifest = build_dataset(Path(args.source), Path(args.out), resolve_config(args), **options)
    else:
        from ghostwriter.scale import engine_from_args
        from ghostwriter.scale.stages import build_dataset_on

        with engine_from_args(args) as engine:
            manifest = build_dataset_on(engine, Path(args.source), Path(args.out), resolve_config(args), **options)
    print(stats_table(manifest))
    skipped = manifest["documents"]["bad_records"]
    if skipped["skipped"]:
        print(f"\nskipped {skipped['skipped']} bad record(s): {skipped['by_reason']}", file=sys.stderr)
        for message in skipped["first"]:
            print(f"  {message}", file=sys.stderr)
    print(f"\nwrote {args.out} in {manifest['seconds']:.2f} s")
    return 0


def data_stats(args) -> int:
    from ghostwriter.data.build import stats_table

    path = Path(args.dataset) / "manifest.json"
    if not path.exists():
        raise GhostwriterError(f"{args.dataset}: no manifest.json; is it a folder written by `ghostwriter data build`?")
    manifest = json.loads(path.read_text(encoding="utf-8"))
    print(json.dumps(manifest, indent=2) if args.json else stats_table(manifest))
    return 0


def data_from_git(args) -> int:
    from ghostwriter.data.git import read_git_history
    from ghostwriter.io import write_jsonl

    count = 0

    def documents():
        nonlocal count
        for doc in read_git_history(Path(args.repo)):
            count += 1
            yield doc.to_json()

    write_jsonl(Path(args.out), documents())
    print(f"wrote {count} commit documents to {args.out}")
    return 0


def register(sub) -> None:
    data = sub.add_parser("data", help="import documents and build example datasets")
    data_sub = data.add_subparsers(dest="data_command", metavar="SUBCOMMAND", required=True)

    build = data_sub.add_parser("build", help="import SOURCE, build examples and splits, write a dataset folder")
    build.add_argument("source", help="a documents JSONL(.gz), Amazon reviews, LaMP file, or a git repository")
    build.add_argument("--out", required=True, help="the dataset folder to write")
    build.add_argument("--format", default="auto", help="auto, documents, amazon, lamp or git (default: auto)")
    build.add_argument("--skip-bad", action="store_true",
                       help="skip malformed records and report them, instead of stopping at the first")
    build.add_argument("--lamp-task", help="with --format lamp: LaMP_4, LaMP_5, LaMP_7, LongLaMP_product_review, ...")
    build.add_argument("--lamp-outputs", type=Path, help="with --format lamp: the outputs (golds) file, if separate")
    add_config_options(build)
    add_engine_options(build)
    build.set_defaults(handler=data_build)

    stats = data_sub.add_parser("stats", help="print a dataset folder's counts")
    stats.add_argument("dataset")
    stats.add_argument("--json", action="store_true", help="print the whole manifest as JSON")
    stats.set_defaults(handler=data_stats)

    from_git = data_sub.add_parser("from-git", help="write a git repository's commit messages as documents JSONL")
    from_git.add_argument("repo")
    from_git.add_argument("--out", required=True, help="the documents JSONL file to write")
    from_git.set_defaults(handler=data_from_git)
