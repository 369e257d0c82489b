"""`ghostwriter train generator`: variant prompts -> targets, AuthorPred mixed 1:1 from training users only."""
import json

import pytest

from ghostwriter.cli import main

pytestmark = pytest.mark.usefixtures("one_torch_thread")


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


def test_train_generator_on_a_variant_mixture(dataset, tiny_models, tmp_path, capsys):
    """Each training pair's prompt is exactly the prompt of one of the mixture's variants for that example."""
    from transformers import AutoTokenizer

    from ghostwriter.config import load_config
    from ghostwriter.data.build import load_dataset
    from ghostwriter.pipeline import Pipeline

    out = tmp_path / "run"
    assert main(["train", "generator", "--dataset", str(dataset), "--variant", "immed_ctx,rank_bm25",
                 "--model", str(tiny_models["llama"]), "--out", str(out), "--set", "train.max_steps=4",
                 "--set", "train.batch_size=2", "--set", "train.eval_examples=4", "--set", "prompt.max_tokens=256"]) == 0
    rows = [json.loads(line) for line in (out / "pairs" / "train.jsonl").read_text().splitlines()]
    data = load_dataset(dataset)
    by_target = {e.target: e for e in data.split("train")}
    examples = [by_target[r["target"]] for r in rows]
    tokenizer = AutoTokenizer.from_pretrained(str(tiny_models["llama"]))
    count = lambda text: len(tokenizer(text, add_special_tokens=False)["input_ids"])  # noqa: E731
    config = load_config(None, ["prompt.max_tokens=256"])
    expected = {name: [p.prompt for p in Pipeline.from_config(config, data, variant=name, count_tokens=count)
                       .prepare(examples)] for name in ("immed_ctx", "rank_bm25")}
    drawn = []
    for i, row in enumerate(rows):
        matches = [name for name, prompts in expected.items() if prompts[i] == row["input"]]
        assert matches, f"pair {i}: its prompt is no mixture variant's prompt for its example"
        drawn.append(matches[0])
    assert set(drawn) == {"immed_ctx", "rank_bm25"}  # both layouts are taught (8 pairs, seeded draw)
    assert any("past passages" in r["input"] for r in rows) and any("past passages" not in r["input"] for r in rows)


def test_train_generator_rejects_an_unknown_variant_in_a_mixture(dataset, tiny_models, tmp_path, capsys):
    assert main(["train", "generator", "--dataset", str(dataset), "--variant", "rank_bm25,rank_bm52",
                 "--model", str(tiny_models["llama"]), "--out", str(tmp_path / "run")]) == 2
    err = capsys.readouterr().err
    assert "'rank_bm52'" in err and "immed_ctx" in err
    assert not (tmp_path / "run" / "pairs").exists()
