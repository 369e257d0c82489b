"""Pipeline.run with a real (tiny, random) generator: the budget is counted with its tokenizer."""
from __future__ import annotations

import pytest

from ghostwriter.config import load_config


@pytest.mark.slow
def test_run_counts_the_budget_with_the_generators_tokenizer(tiny_models, tmp_path):
    from ghostwriter.data.build import build_dataset, load_dataset
    from ghostwriter.demo import demo_source
    from ghostwriter.generate import get_generator
    from ghostwriter.pipeline import Pipeline
    from ghostwriter.prompt import approx_tokens

    build_dataset(demo_source(), tmp_path / "ds")
    dataset = load_dataset(tmp_path / "ds")
    config = load_config(overrides=[f"model.name={tiny_models['llama']}", "generate.backend=transformers",
                                    "generate.max_new_tokens=4", "prompt.max_tokens=200",
                                    f"run.cache_dir={tmp_path / 'cache'}"])
    generator = get_generator(config)
    pipeline = Pipeline.from_config(config, dataset, variant="syn_ind")
    examples = dataset.split("test")[:3]
    generations = pipeline.run(examples, generator)
    assert [g.example_id for g in generations] == [e.example_id for e in examples]
    for generation in generations:
        prepared = generation.prepared
        assert isinstance(generation.text, str) and generation.variant == "syn_ind"
        assert prepared.prompt_tokens == generator.count_tokens(prepared.prompt) <= 200
        assert prepared.words and prepared.ranking is not None
    # the approximate counter would have allowed a different (longer or shorter) cut
    assert pipeline.prepare(examples, count_tokens=generator.count_tokens) == [g.prepared for g in generations]
    assert any(p.prompt != q.prompt for p, q in zip(pipeline.prepare(examples, count_tokens=approx_tokens),
                                                     [g.prepared for g in generations]))
