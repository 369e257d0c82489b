"""``ghostwriter data build``: import a source, make examples, split, and write a dataset folder.

A dataset folder holds ``documents.jsonl``, ``train.jsonl``, ``val.jsonl``, ``test.jsonl``
(profiles as lists of doc_ids), ``config.json`` and ``manifest.json`` (counts per split,
what each filter dropped and why, and a content hash). Nothing is written unless the
whole import succeeded, and each file appears only complete.

>>> manifest = build_dataset("docs.jsonl.gz", "out/zfs")  # doctest: +SKIP
"""
from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from ghostwriter.config import Config, config_from_dict, save_config, to_dict
from ghostwriter.data.amazon import read_amazon_reviews
from ghostwriter.data.documents import read_documents
from ghostwriter.data.examples import SPLIT_NAMES, build_examples, clean_documents, split_examples
from ghostwriter.data.git import read_git_history
from ghostwriter.data.lamp import read_lamp
from ghostwriter.errors import BadInputError, BadRecords, GhostwriterError
from ghostwriter.io import atomic_write_text, read_jsonl, sha256_files, write_jsonl
from ghostwriter.records import Document, Example

MANIFEST_VERSION = 1
DATASET_FILES = ("documents.jsonl", *(f"{s}.jsonl" for s in SPLIT_NAMES))


def _import_lamp(path: Path, bad: BadRecords, lamp_task: str | None = None,
                 lamp_outputs: Path | None = None, **_) -> Iterator[Document]:
    if not lamp_task:
        raise GhostwriterError("--format lamp needs --lamp-task (e.g. LaMP_4, LongLaMP_product_review)")
    return read_lamp(path, lamp_task, lamp_outputs, bad)


IMPORTERS: dict[str, Callable[..., Iterator[Document]]] = {
    "documents": lambda path, bad, **_: read_documents(path, bad),
    "amazon": lambda path, bad, **_: read_amazon_reviews(path, bad),
    "lamp": _import_lamp,
    "git": lambda path, bad, **_: read_git_history(path),
}


def import_documents(source: Path, fmt: str = "auto", bad: BadRecords | None = None, **options) -> Iterator[Document]:
    """Stream documents from ``source`` with the importer named ``fmt`` (``auto``: git for a folder)."""
    source = Path(source)
    if not source.exists():
        raise GhostwriterError(f"{source}: no such file or folder")
    if fmt == "auto":
        fmt = "git" if source.is_dir() else "documents"
    if fmt not in IMPORTERS:
        raise GhostwriterError(f"unknown format {fmt!r}; choose from: auto, {', '.join(IMPORTERS)}")
    return IMPORTERS[fmt](source, bad or BadRecords(), **options)


def build_dataset(source: Path, out: Path, config: Config | None = None, fmt: str = "auto",
                  skip_bad: bool = False, **options) -> dict:
    """Import ``source``, build and split examples, write the dataset folder; return the manifest."""
    config = config or Config()
    cfg = config.data
    started = time.perf_counter()
    bad = BadRecords(skip=skip_bad)
    read = 0
    documents = []
    for doc in import_documents(source, fmt, bad, **options):
        documents.append(doc)
        read += 1
    kept_docs, doc_drops = clean_documents(documents)
    examples, example_drops = build_examples(kept_docs, cfg)
    splits = split_examples(examples, cfg)
    manifest = {
        "version": MANIFEST_VERSION,
        "source": str(source),
        "format": fmt,
        "documents": {"read": read, "bad_records": bad.summary(), "dropped": dict(sorted(doc_drops.items())),
                      "kept": len(kept_docs), "users": len({d.user_id for d in kept_docs})},
        "examples": {"candidates": len(kept_docs), "dropped": dict(sorted(example_drops.items())),
                     "kept": len(examples)},
        "splits": {name: {"examples": len(items), "users": len({e.user_id for e in items})}
                   for name, items in splits.items()},
        "config": to_dict(config),
    }
    _write_dataset(Path(out), kept_docs, splits, config, manifest)
    manifest["seconds"] = round(time.perf_counter() - started, 3)
    return manifest


def _write_dataset(out: Path, documents: list[Document], splits: dict[str, list[Example]],
                   config: Config, manifest: dict) -> None:
    """Write every file into a staging folder, then move them into ``out``; the manifest goes last."""
    out.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=out))
    try:
        write_jsonl(staging / "documents.jsonl", (d.to_json() for d in documents))
        for name in SPLIT_NAMES:
            write_jsonl(staging / f"{name}.jsonl", (e.to_json() for e in splits[name]))
        manifest["content_sha256"] = sha256_files(staging / f for f in DATASET_FILES)
        save_config(config, staging / "config.json")
        for name in (*DATASET_FILES, "config.json"):
            os.replace(staging / name, out / name)
        atomic_write_text(out / "manifest.json", _json(manifest))
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _json(data) -> str:
    return json.dumps(data, indent=2) + "\n"


# ----------------------------------------------------------------------------- reading back

@dataclass
class Dataset:
    """A dataset folder, read back: documents by id, and each split's examples with profiles resolved."""

    path: Path
    documents: dict[str, Document]
    manifest: dict
    config: Config
    _splits: dict[str, list[Example]] = field(default_factory=dict, repr=False)

    def split(self, name: str) -> list[Example]:
        """The examples of one split (``train``, ``val`` or ``test``), loaded on first use."""
        if name not in SPLIT_NAMES:
            raise GhostwriterError(f"unknown split {name!r}; choose from {', '.join(SPLIT_NAMES)}")
        if name not in self._splits:
            self._splits[name] = list(self._read_split(name))
        return self._splits[name]

    def example(self, example_id: str) -> Example:
        for name in SPLIT_NAMES:
            for example in self.split(name):
                if example.example_id == example_id:
                    return example
        raise GhostwriterError(f"no example {example_id!r} in {self.path}")

    def user_documents(self, user_ids) -> list[Document]:
        """All documents of the given users (e.g. the training users, for IDF or Word2Vec)."""
        wanted = set(user_ids)
        return [d for d in self.documents.values() if d.user_id in wanted]

    def _read_split(self, name: str) -> Iterator[Example]:
        path = self.path / f"{name}.jsonl"
        for line, row in enumerate(read_jsonl(path), start=1):
            try:
                profile = tuple(self.documents[i] for i in row["profile"])
            except KeyError as exc:
                raise BadInputError(str(path), line, "profile",
                                    f"doc_id {exc.args[0]!r} is not in documents.jsonl") from None
            yield Example(example_id=row["example_id"], user_id=row["user_id"], timestamp=row["timestamp"],
                          context=row["context"], target=row["target"], profile=profile)


def load_dataset(path: Path) -> Dataset:
    """Open a folder written by :func:`build_dataset`."""
    path = Path(path)
    missing = [f for f in (*DATASET_FILES, "manifest.json") if not (path / f).exists()]
    if missing:
        raise GhostwriterError(f"{path}: not a dataset folder (missing {', '.join(missing)}); "
                               f"make one with `ghostwriter data build SOURCE --out {path}`")
    manifest = json.loads((path / "manifest.json").read_text(encoding="utf-8"))
    config = config_from_dict(json.loads((path / "config.json").read_text(encoding="utf-8")))
    documents = {}
    for row in read_jsonl(path / "documents.jsonl"):
        documents[row["doc_id"]] = Document(**row)
    return Dataset(path=path, documents=documents, manifest=manifest, config=config)


def stats_table(manifest: dict) -> str:
    """The manifest's counts as a plain-text table (``ghostwriter data stats``)."""
    docs, examples = manifest["documents"], manifest["examples"]
    rows = [("documents read", docs["read"]), ("bad records skipped", docs["bad_records"]["skipped"])]
    rows += [(f"  skipped: {k}", v) for k, v in docs["bad_records"]["by_reason"].items()]
    rows += [(f"documents dropped: {k}", v) for k, v in docs["dropped"].items()]
    rows += [("documents kept", docs["kept"]), ("users", docs["users"]),
             ("example candidates", examples["candidates"])]
    rows += [(f"candidates dropped: {k}", v) for k, v in examples["dropped"].items()]
    rows += [("examples kept", examples["kept"])]
    for name, split in manifest["splits"].items():
        rows.append((f"{name}: examples / users", f"{split['examples']} / {split['users']}"))
    width = max(len(label) for label, _ in rows)
    lines = [f"{label:<{width}}  {value:>12}" for label, value in rows]
    lines.append(f"{'content sha256':<{width}}  {manifest.get('content_sha256', '')[:16]}")
    return "\n".join(lines)
