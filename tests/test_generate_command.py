"""`ghostwriter generate` writes every intermediate and resumes after an interruption."""
import json

import pytest

from ghostwriter.cli import main


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    from ghostwriter.models.testing import SLICE

    out = tmp_path_factory.mktemp("gen-data") / "dataset"
    assert main(["data", "build", str(SLICE), "--out", str(out)]) == 0
    return out


def _run(dataset, tiny_models, out, limit, *extra):
    return main(["generate", str(dataset), "--variant", "rank_bm25", "--model", str(tiny_models["llama"]),
                 "--split", "test", "--out", str(out), "--limit", str(limit), "--set", "generate.max_new_tokens=6",
                 "--set", "generate.batch_size=2", *extra])


def test_generate_writes_intermediates_and_skips_done_ids(dataset, tiny_models, tmp_path, capsys):
    out = tmp_path / "gen.jsonl"
    assert _run(dataset, tiny_models, out, 2) == 0
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(rows) == 2
    row = rows[0]
    assert row["variant"] == "rank_bm25" and row["backend"] == "transformers"
    assert row["prepared"]["prompt"].startswith("Finish the passage") and row["prepared"]["prompt_tokens"] > 0
    assert row["prepared"]["ranking"]["ranker"] == "bm25" and row["prepared"]["ranked_ids"]
    assert (tmp_path / "gen.jsonl.config.json").is_file()
    # simulate a kill mid-write: a torn last line is dropped, and only missing ids are generated
    with open(out, "a") as handle:
        handle.write('{"example_id": "torn')
    capsys.readouterr()
    assert _run(dataset, tiny_models, out, 4) == 0
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert summary["already_done"] == 2 and summary["written"] == 2
    ids = [json.loads(line)["example_id"] for line in out.read_text().splitlines()]
    assert len(ids) == len(set(ids)) == 4


def test_generate_bad_dataset_is_a_message(tmp_path, capsys):
    assert main(["generate", str(tmp_path), "--variant", "rank_bm25", "--out", str(tmp_path / "x.jsonl")]) == 2
    assert "no manifest.json" in capsys.readouterr().err


def test_generate_unknown_variant_lists_choices(dataset, tmp_path, capsys):
    assert main(["generate", str(dataset), "--variant", "nope", "--out", str(tmp_path / "x.jsonl")]) == 2
    err = capsys.readouterr().err
    assert "unknown variant 'nope'" in err and "rank_bm25" in err
