"""Summaries through tiny real models: the disk cache, weak labels, and training a T5 summarizer."""
from __future__ import annotations

import numpy as np
import pytest

from ghostwriter.config import load_config
from ghostwriter.records import Document, Example, RankedEntry, Ranking, SummaryPair
from ghostwriter.summarize import get_summarizer, summary_input
from ghostwriter.summarize.weak_labels import match_snippets, summarizer_users, summary_weak_labels


def _example(target: str = "The target text.") -> tuple[Example, Ranking]:
    profile = (Document("u", "d1", 1, "Tune the ARC", "The ARC keeps hot buffers in memory. Eviction frees them."),)
    ranking = Ranking("e", "bm25", (RankedEntry("d1", 1.0, 0, 40, "Tune the ARC\nThe ARC keeps hot buffers"),))
    return Example("e", "u", 2, "Fix ARC eviction", target, profile), ranking


@pytest.mark.slow
def test_summaries_are_cached_per_model_and_input(tiny_models, tmp_path):
    config = load_config(overrides=["summarize.method=sum_ind", f"summarize.model={tiny_models['llama']}",
                                    "summarize.max_new_tokens=5", f"run.cache_dir={tmp_path}"])
    example, ranking = _example()
    first = get_summarizer(config)
    made = first.summarize([example, example], [ranking, ranking])
    assert first.cache.misses == 1 and made[0] == made[1] and made[0]  # one input, generated once
    again = get_summarizer(config)  # a new process would do the same: it reads the files
    assert again.summarize([example], [ranking]) == made[:1] and again.cache.hits == 1 and again._lm is None
    assert list((tmp_path / "summaries").glob("*/*/*.txt"))
    assert get_summarizer(config).summarize([example], [None]) == [""]  # nothing ranked: no summary, no model


@pytest.mark.slow
@pytest.mark.parametrize("model", ["llama", "t5"])
def test_ctranslate2_summaries_equal_transformers_greedy_summaries(tiny_models, tmp_path, model):
    """summarize.backend=ctranslate2 writes what the transformers backend writes, under its own cache key."""
    pytest.importorskip("ctranslate2")
    example, ranking = _example()
    other = Example("f", "u", 3, "Cap the ARC size", "T.", example.profile)
    rankings = [ranking, Ranking("f", "bm25", (RankedEntry("d1", 1.0, 0, 20, "Eviction frees them."),))]
    made = {}
    for backend in ("transformers", "ctranslate2"):
        config = load_config(overrides=["summarize.method=sum_ind", f"summarize.model={tiny_models[model]}",
                                        "summarize.max_new_tokens=6", f"summarize.backend={backend}",
                                        "generate.compute_type=float32",  # int8 would round a random model's logits
                                        f"run.cache_dir={tmp_path}"])
        summarizer = get_summarizer(config)
        made[backend] = summarizer.summarize([example, other], rankings)
        assert summarizer.cache.misses == 2 and all(made[backend])
    assert made["ctranslate2"] == made["transformers"]
    assert len(list((tmp_path / "summaries").iterdir())) == 2  # one cache folder per backend


def test_summary_input_never_reads_the_target():
    a, ranking = _example("first target")
    b, _ = _example("second target")
    for method in ("sum_ind", "sum_ctx"):
        assert summary_input(method, a, ranking) == summary_input(method, b, ranking)
        assert "target" not in summary_input(method, a, ranking)
    assert summary_input("sum_ctx", a, ranking).startswith("passage start: Fix ARC eviction")


def test_match_snippets_takes_the_most_similar_unused_in_order():
    target = np.array([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0]])
    profile = np.array([[0.0, 1.0], [1.0, 0.0], [0.8, 0.6]])
    assert match_snippets(target, profile) == [1, 2, 0]
    assert match_snippets(target, profile, min_similarity=0.9) == [1, None, 0]
    assert match_snippets(target, np.zeros((0, 2))) == [None, None, None]


def test_summary_weak_labels_with_a_real_encoder_interface():
    from ghostwriter.retrieve.dense import DenseEncoder, HashEmbedder

    encoder = DenseEncoder(HashEmbedder(64), None)
    profile = (Document("u", "d1", 1, "", "Scrub the pool weekly. Replace failed disks quickly."),)
    example = Example("e", "u", 2, "ctx", "Replace failed disks quickly. Scrub the pool weekly.", profile)
    assert summary_weak_labels([example], encoder, snippet_chars=10) == [
        "Replace failed disks quickly. Scrub the pool weekly."]


def test_summarizer_users_are_half_and_seeded():
    examples = [Example(f"e{i}", f"u{i % 6}", i, "c", "t") for i in range(30)]
    users = summarizer_users(examples, seed=0)
    assert len(users) == 3 and users == summarizer_users(examples, seed=0)


@pytest.mark.slow
def test_training_a_tiny_t5_summarizer(tiny_models, tmp_path):
    from ghostwriter.models import load_lm
    from ghostwriter.summarize.train import train_summarizer

    pairs = [SummaryPair(str(i), f"The pool {i} was scrubbed and no errors were found on any disk.",
                         f"pool {i} clean") for i in range(12)]
    config = load_config(overrides=["train.max_steps=4", "train.batch_size=4", "train.optimizer=adamw",
                                    "train.eval_every=0", "train.save_every=2", "summarize.max_new_tokens=8",
                                    f"run.cache_dir={tmp_path / 'cache'}"])
    result = train_summarizer(pairs, tmp_path / "run", config, model=str(tiny_models["t5"]), progress=False)
    assert result.steps == 4 and result.final_model.exists()
    assert list((tmp_path / "run" / "checkpoints").glob("step-*"))
    lm = load_lm(str(result.final_model), config)
    assert lm.is_seq2seq
    summarizer = get_summarizer(load_config(overrides=[
        "summarize.method=sum_ind", f"summarize.model={result.final_model}", "summarize.max_new_tokens=4",
        f"run.cache_dir={tmp_path / 'cache'}"]))
    example, ranking = _example()
    assert isinstance(summarizer.summarize([example], [ranking])[0], str)


@pytest.mark.slow
def test_training_from_a_cnn_dm_file(tiny_models, tmp_path):
    from ghostwriter.summarize.train import train_summarizer

    path = tmp_path / "cnn.csv"
    path.write_text("id,article,highlights\n" + "".join(
        f"a{i},\"Officials said the bridge {i} would reopen on Monday after repairs.\",bridge {i} reopens\n"
        for i in range(8)), encoding="utf-8")
    config = load_config(overrides=["train.max_steps=2", "train.batch_size=4", "train.optimizer=adafactor",
                                    "train.eval_every=0", f"run.cache_dir={tmp_path / 'cache'}"])
    result = train_summarizer(path, tmp_path / "run", config, model=str(tiny_models["t5"]), progress=False)
    assert result.steps == 2 and (result.final_model / "config.json").exists()


@pytest.mark.slow
def test_training_sum_ctx_from_a_dataset_folder(tiny_models, tmp_path):
    from ghostwriter.data.build import build_dataset, load_dataset
    from ghostwriter.demo import demo_source
    from ghostwriter.errors import GhostwriterError
    from ghostwriter.summarize.train import train_summarizer
    from ghostwriter.summarize.weak_labels import sum_ctx_training_pairs, summarizer_users

    build_dataset(demo_source(), tmp_path / "ds")
    config = load_config(overrides=["train.max_steps=2", "train.batch_size=2", "train.eval_every=0",
                                    "retrieve.dense_model=hash", f"run.cache_dir={tmp_path / 'cache'}"])
    dataset = load_dataset(tmp_path / "ds")
    pairs = sum_ctx_training_pairs(dataset, config, limit=6)
    half = summarizer_users(dataset.split("train"), config.run.seed)
    by_id = {e.example_id: e for e in dataset.split("train")}
    assert pairs and all(by_id[p.pair_id].user_id in half for p in pairs)  # training users only, one half
    for pair in pairs:
        example = by_id[pair.pair_id]
        assert pair.article.startswith(f"passage start: {example.context}\npast passages: ")
        assert example.target not in pair.article
    result = train_summarizer(tmp_path / "ds", tmp_path / "run", config, model=str(tiny_models["t5"]), limit=6,
                              progress=False)
    assert result.steps == 2
    with pytest.raises(GhostwriterError, match="no such file or dataset folder"):
        train_summarizer(tmp_path / "missing.csv", tmp_path / "run2", config, model=str(tiny_models["t5"]))
