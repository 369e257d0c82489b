"""Training summarizers: an empty validation set, and `ghostwriter train summarizer` on both of its sources."""
from __future__ import annotations

import json

import pytest

from ghostwriter.cli import main
from ghostwriter.config import load_config
from ghostwriter.records import SummaryPair

pytestmark = pytest.mark.usefixtures("one_torch_thread")

TINY = ["--set", "train.max_steps=2", "--set", "train.batch_size=2", "--set", "train.optimizer=adamw",
        "--set", "train.save_every=0", "--set", "summarize.max_new_tokens=8"]


def _log(run) -> list[dict]:
    return [json.loads(line) for line in (run / "log.jsonl").read_text().splitlines()]


@pytest.mark.slow
def test_an_empty_validation_list_skips_validation(tiny_models, tmp_path):
    from ghostwriter.train import train_on_pairs

    config = load_config(overrides=["train.max_steps=2", "train.batch_size=2", "train.optimizer=adamw",
                                    "train.eval_every=1", "train.early_stopping_patience=1", "train.save_every=1"])
    pairs = [(f"The pool {i} was scrubbed.", f"pool {i} clean") for i in range(4)]
    result = train_on_pairs(str(tiny_models["t5"]), pairs, [], config.train, tmp_path / "run", config=config,
                            progress=False)
    assert result.steps == 2 and result.best_model is None and result.best_val_loss is None
    assert result.final_model.exists() and not (tmp_path / "run" / "best").exists()
    assert all("val_loss" not in row for row in _log(tmp_path / "run"))


@pytest.mark.slow
def test_a_single_summary_pair_trains_without_validation(tiny_models, tmp_path):
    from ghostwriter.summarize.train import summary_pairs_to_training, train_summarizer

    pair = SummaryPair("only", "The pool was scrubbed and no errors were found on any disk.", "pool clean")
    train, val = summary_pairs_to_training([pair], is_seq2seq=True, method="sum_ind")
    assert len(train) == 1 and val == []
    config = load_config(overrides=["train.max_steps=2", "train.batch_size=2", "train.optimizer=adamw",
                                    "train.eval_every=1", "summarize.max_new_tokens=8"])
    result = train_summarizer([pair], tmp_path / "run", config, model=str(tiny_models["t5"]), progress=False)
    assert result.steps == 2 and result.best_model is None and result.final_model.exists()


@pytest.mark.slow
def test_no_training_pairs_is_a_clear_error(tiny_models, tmp_path):
    from ghostwriter.errors import GhostwriterError
    from ghostwriter.train import train_on_pairs

    config = load_config(overrides=["train.max_steps=2", "train.batch_size=2"])
    with pytest.raises(GhostwriterError, match="no training pairs"):
        train_on_pairs(str(tiny_models["t5"]), [], [("a", "b")], config.train, tmp_path / "run", config=config,
                       progress=False)


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    from ghostwriter.data.build import build_dataset
    from ghostwriter.demo import demo_source

    out = tmp_path_factory.mktemp("summarize-train") / "dataset"
    build_dataset(demo_source(), out)
    return out


@pytest.mark.slow
def test_cli_trains_sum_ind_from_a_cnn_dm_file(tiny_models, tmp_path, capsys):
    data = tmp_path / "cnn_dm.jsonl"
    data.write_text("".join(json.dumps({"id": str(i), "article": f"The pool {i} was scrubbed; no disk errors.",
                                        "highlights": f"pool {i} clean"}) + "\n" for i in range(6)))
    out = tmp_path / "run"
    assert main(["train", "summarizer", "--data", str(data), "--model", str(tiny_models["t5"]), "--out", str(out),
                 *TINY]) == 0
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert result["steps"] == 2 and result["final_model"] == str(out / "final")
    assert result["use"] == ["--set summarize.method=sum_ind", f"--set summarize.model={out / 'final'}"]


@pytest.mark.slow
def test_cli_trains_sum_ctx_from_a_dataset_folder(dataset, tiny_models, tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["train", "summarizer", "--dataset", str(dataset), "--model", str(tiny_models["t5"]),
                 "--out", str(out), "--limit", "6", "--set", "retrieve.dense_model=hash", "--set", "rank.ranker=bm25",
                 "--set", f"run.cache_dir={tmp_path / 'cache'}", *TINY]) == 0
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert result["steps"] == 2
    assert result["use"] == ["--set summarize.method=sum_ctx", f"--set summarize.model={out / 'final'}"]
    from ghostwriter.data.build import load_dataset
    from ghostwriter.rank import get_ranker
    from ghostwriter.summarize import get_summarizer

    config = load_config(overrides=["summarize.method=sum_ctx", f"summarize.model={out / 'final'}",
                                    "summarize.max_new_tokens=5", f"run.cache_dir={tmp_path / 'cache'}"])
    summarizer = get_summarizer(config)  # the printed overrides put the trained folder to work
    assert summarizer.model_name == str(out / "final")
    example = load_dataset(dataset).split("test")[0]
    assert len(summarizer.summarize([example], get_ranker("bm25", config).rank([example]))) == 1


def test_cli_summarizer_bad_sources_are_one_line_errors(tmp_path, capsys):
    out = str(tmp_path / "run")
    assert main(["train", "summarizer", "--dataset", str(tmp_path / "missing"), "--out", out]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "not a dataset folder" in err and "Traceback" not in err
    assert main(["train", "summarizer", "--data", str(tmp_path / "missing.csv"), "--out", out]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "no such file" in err
    with pytest.raises(SystemExit):
        main(["train", "summarizer", "--data", "a.csv", "--dataset", str(tmp_path), "--out", out])
