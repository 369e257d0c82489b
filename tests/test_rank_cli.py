"""``ghostwriter rank``: per example, the ranked entries (ids, scores, spans) and the config beside them."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from ghostwriter.cli import main
from ghostwriter.data.build import build_dataset, load_dataset

SLICE = Path(__file__).resolve().parents[1] / "src" / "ghostwriter" / "resources" / "openzfs-slice.jsonl.gz"


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    out = tmp_path_factory.mktemp("rank-cli") / "zfs"
    build_dataset(SLICE, out)
    return out


@pytest.mark.parametrize("ranker", ["bm25", "recent", "doc_by_snippet"])
def test_rank_writes_entries_per_example(dataset, tmp_path, capsys, ranker):
    out = tmp_path / "rankings.jsonl"
    code = main(["rank", str(dataset), "--ranker", ranker, "--split", "test", "--out", str(out),
                 "--set", "retrieve.dense_model=hash:64", "--set", "rank.budget_chars=1000",
                 "--set", f"run.cache_dir={tmp_path / 'cache'}"])
    assert code == 0
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    examples = {e.example_id: e for e in load_dataset(dataset).split("test")}
    assert summary["examples"] == len(rows) == len(examples) > 0
    for row in rows:
        example = examples[row["example_id"]]
        docs = {d.doc_id: d for d in example.profile}
        assert row["ranker"] == ranker and row["chars"] <= 1000
        assert sum(len(e["text"]) for e in row["entries"]) + max(len(row["entries"]) - 1, 0) == row["chars"]
        for entry in row["entries"]:
            assert docs[entry["doc_id"]].full_text[entry["start"]:entry["end"]] == entry["text"]
            assert isinstance(entry["score"], float)
    saved = json.loads(Path(f"{out}.config.json").read_text())
    assert saved["rank"]["ranker"] == ranker and saved["rank"]["budget_chars"] == 1000


def test_rank_unknown_ranker_is_a_clear_error(dataset, tmp_path, capsys):
    assert main(["rank", str(dataset), "--ranker", "bm52", "--out", str(tmp_path / "x.jsonl")]) == 2
    err = capsys.readouterr().err
    assert "unknown ranker 'bm52'; choose from: recent, bm25, dense, snippet, doc_by_snippet, fusion, none" in err
    assert not (tmp_path / "x.jsonl").exists()


def test_rank_bad_split_and_folder(dataset, tmp_path, capsys):
    assert main(["rank", str(dataset), "--split", "dev", "--out", str(tmp_path / "x.jsonl")]) == 2
    assert "unknown split 'dev'" in capsys.readouterr().err
    assert main(["rank", str(tmp_path / "missing"), "--out", str(tmp_path / "x.jsonl")]) == 2
    assert "not a dataset folder" in capsys.readouterr().err


@pytest.mark.parametrize("limit", ["0", "-3"])
def test_rank_limit_must_be_positive(dataset, tmp_path, capsys, limit):
    assert main(["rank", str(dataset), "--ranker", "bm25", "--out", str(tmp_path / "x.jsonl"), "--limit", limit]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "--limit must be a positive number" in err
    assert not (tmp_path / "x.jsonl").exists()


def test_rank_limit_takes_the_first_examples(dataset, tmp_path, capsys):
    out = tmp_path / "x.jsonl"
    assert main(["rank", str(dataset), "--ranker", "bm25", "--out", str(out), "--limit", "2"]) == 0
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r["example_id"] for r in rows] == [e.example_id for e in load_dataset(dataset).split("test")[:2]]
