"""`ghostwriter train generator`: variant prompts -> targets, AuthorPred mixed 1:1 from training users only."""
import json

import pytest

from ghostwriter.cli import main


@pytest.fixture(autouse=True)
def _one_thread():
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    from ghostwriter.models.testing import SLICE

    out = tmp_path_factory.mktemp("train-data") / "dataset"
    assert main(["data", "build", str(SLICE), "--out", str(out)]) == 0
    return out


def _train(dataset, model, out, *extra):
    return main(["train", "generator", "--dataset", str(dataset), "--variant", "rank_bm25", "--model", str(model),
                 "--out", str(out), "--set", "train.max_steps=3", "--set", "train.batch_size=2",
                 "--set", "train.eval_examples=4", "--set", "train.save_every=2", "--set", "prompt.max_tokens=256",
                 *extra])


def test_train_generator_with_author_pred(dataset, tiny_models, tmp_path, capsys):
    from ghostwriter.data.build import load_dataset

    out = tmp_path / "run"
    assert _train(dataset, tiny_models["llama"], out, "--multitask", "author_pred") == 0
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert result["steps"] == 3 and result["final_model"] == str(out / "final")
    rows = [json.loads(line) for line in (out / "pairs" / "train.jsonl").read_text().splitlines()]
    assert [r["task"] for r in rows[:4]] == ["generate", "author_pred", "generate", "author_pred"]
    assert sum(r["task"] == "author_pred" for r in rows) * 2 == len(rows) == 6  # 3 steps x 2, mixed 1:1
    author = [r for r in rows if r["task"] == "author_pred"]
    assert {r["target"] for r in author} <= {"true", "false"}
    data = load_dataset(dataset)
    train_users = {e.user_id for e in data.split("train")}
    train_texts = {d.full_text[:400] for d in data.user_documents(train_users)}
    for r in author:  # both passages come from training users' documents
        first = r["input"].split("Passage 1: ", 1)[1].split("\nPassage 2: ")[0]
        second = r["input"].split("\nPassage 2: ", 1)[1].rsplit("\nAnswer true or false.", 1)[0]
        assert first in train_texts and second in train_texts
    generation = [r for r in rows if r["task"] == "generate"]
    targets = {e.target for e in data.split("train")}
    assert all(r["input"].startswith("Finish the passage") and r["target"] in targets for r in generation)
    val = [json.loads(line) for line in (out / "pairs" / "val.jsonl").read_text().splitlines()]
    assert len(val) == 4 and {r["target"] for r in val} <= {e.target for e in data.split("val")}
    config = json.loads((out / "ghostwriter_config.json").read_text())
    assert config["train"]["multitask"] == "author_pred" and config["rank"]["ranker"] == "bm25"


def test_train_generator_resume_and_refusal(dataset, tiny_models, tmp_path, capsys):
    out = tmp_path / "run"
    assert _train(dataset, tiny_models["llama"], out) == 0
    assert _train(dataset, tiny_models["llama"], out) == 2
    assert "pass --resume" in capsys.readouterr().err
    assert _train(dataset, tiny_models["llama"], out, "--resume", "--set", "train.max_steps=4") == 0
    steps = [json.loads(line)["step"] for line in (out / "log.jsonl").read_text().splitlines()
             if "train_loss" in line]
    assert steps == [1, 2, 3, 4]
