"""`ghostwriter prompt --json`: the keys, centroid words with their distance, and one-line errors."""
from __future__ import annotations

import json

import pytest

from ghostwriter.cli import main


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    from ghostwriter.data.build import build_dataset
    from ghostwriter.models.testing import SLICE

    out = tmp_path_factory.mktemp("prompt-cli") / "zfs"
    build_dataset(SLICE, out)
    return out


def _first_test_id(dataset) -> str:
    return json.loads((dataset / "test.jsonl").read_text().splitlines()[0])["example_id"]


def test_prompt_json_has_centroid_distances(dataset, tmp_path, capsys):
    argv = ["prompt", str(dataset), "--variant", "config", "--example", _first_test_id(dataset), "--approx-tokens",
            "--set", "synthesize.method=centroid_glove", "--set", "rank.ranker=bm25",
            "--set", f"run.cache_dir={tmp_path / 'cache'}"]
    assert main([*argv, "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert {"ranked", "summary", "words", "prompt", "prompt_tokens"} <= set(report)
    assert report["ranked"] and report["words"] and isinstance(report["prompt_tokens"], int)
    distances = [w["distance"] for w in report["words"]]
    assert all(w["source"] == "centroid_glove" and w["distance"] == w["score"] for w in report["words"])
    assert distances == sorted(distances) and all(d >= 0 for d in distances)
    assert main(argv) == 0
    text = capsys.readouterr().out
    assert f"distance to centroid {distances[0]:.3f}" in text


@pytest.mark.parametrize("args, message", [
    (["--example", "no-such-id"], "no example 'no-such-id'"),
    (["--example", "x", "--set", "rank.ranker=bm52"], "rank.ranker must be one of recent, bm25"),
    (["--example", "x", "--variant", "nope"], "unknown variant 'nope'; choose from"),
])
def test_prompt_bad_input_is_one_line(dataset, capsys, args, message):
    assert main(["prompt", str(dataset), "--approx-tokens", *args]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and message in err and "Traceback" not in err


def test_prompt_missing_dataset_is_one_line(tmp_path, capsys):
    assert main(["prompt", str(tmp_path / "missing"), "--example", "x", "--approx-tokens"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "no manifest.json" in err
