"""`ghostwriter train synthesizer`: a syn_ctx word predictor from a dataset's weak labels, then used by the pipeline."""
from __future__ import annotations

import json

import pytest

from ghostwriter.cli import main

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def _needs_wordnet():
    from ghostwriter.synthesize.weak_labels import WordNetMissingError, wordnet_source

    try:
        wordnet_source()
    except WordNetMissingError:
        pytest.skip("WordNet (Debian wordnet-base) is not installed")


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    from ghostwriter.data.build import build_dataset
    from ghostwriter.demo import demo_source

    out = tmp_path_factory.mktemp("synthesize-train") / "dataset"
    build_dataset(demo_source(), out)
    return out


@pytest.mark.slow
def test_train_synthesizer_then_the_pipeline_uses_it(dataset, tiny_models, tmp_path, capsys):
    from ghostwriter.data.build import load_dataset

    _needs_wordnet()
    out = tmp_path / "run"
    cache = f"run.cache_dir={tmp_path / 'cache'}"
    argv = ["train", "synthesizer", "--dataset", str(dataset), "--model", str(tiny_models["t5"]), "--out", str(out),
            "--limit", "8", "--set", "train.max_steps=2", "--set", "train.batch_size=2", "--set", "train.eval_every=0",
            "--set", "train.save_every=0", "--set", "rank.ranker=bm25", "--set", cache]
    assert main(argv) == 0
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert result["steps"] == 2 and result["final_model"] == str(out / "final") and (out / "final").is_dir()
    assert result["use"] == ["--set synthesize.method=syn_ctx", f"--set synthesize.model={out / 'final'}"]
    assert main(argv) == 2  # the run exists: --resume or a new folder, said in one line
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "pass --resume" in err

    example = load_dataset(dataset).split("test")[0].example_id
    assert main(["prompt", str(dataset), "--variant", "syn_ctx", "--example", example, "--json", "--approx-tokens",
                 "--set", f"synthesize.model={out / 'final'}", "--set", "synthesize.top_k=5", "--set", cache]) == 0
    report = json.loads(capsys.readouterr().out)
    assert len(report["words"]) <= 5 and all(w["source"] == "syn_ctx" for w in report["words"])


def test_train_synthesizer_on_a_missing_dataset_is_one_line(tmp_path, capsys):
    assert main(["train", "synthesizer", "--dataset", str(tmp_path / "missing"), "--out", str(tmp_path / "run")]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "not a dataset folder" in err
    with pytest.raises(SystemExit):
        main(["train", "synthesizer", "--dataset", str(tmp_path), "--out", str(tmp_path / "run"), "--limit", "0"])
