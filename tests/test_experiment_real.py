"""The experiment and report on real parts: a tiny Llama fine-tuned for a few steps, then scored."""
import json
from dataclasses import replace

import pytest

from ghostwriter.config import Config, TrainConfig
from ghostwriter.data.build import build_dataset, load_dataset
from ghostwriter.demo import demo_source
from ghostwriter.evaluate.experiment import run_experiment
from ghostwriter.pipeline import Pipeline
from ghostwriter.report import write_report

SPEC = """
[experiment]
title = "Tiny real generators"
compare_to = ["Zero-shot tiny"]
[evaluate]
limit = 4
bootstrap_samples = 50
metrics = ["bleu", "rouge"]
[generate]
max_new_tokens = 6
batch_size = 4
[prompt]
max_tokens = 200
[[variant]]
name = "Zero-shot tiny"
variant = "rank_bm25"
model = "MODEL"
[[variant]]
name = "Tuned tiny"
variant = "rank_bm25"
run_dir = "RUN"
"""


@pytest.mark.slow
def test_fine_tuned_and_zero_shot_rows_run_for_real(tiny_models, tmp_path):
    from ghostwriter.train import train_on_pairs

    dataset_dir = tmp_path / "ds"
    build_dataset(demo_source(), dataset_dir)
    dataset = load_dataset(dataset_dir)
    train = dataset.split("train")[:8]
    prepared = Pipeline.from_config(Config(), dataset, variant="rank_bm25").prepare(train)
    pairs = [(p.prompt[:400], e.target[:80]) for p, e in zip(prepared, train)]
    run = tmp_path / "run"
    train_on_pairs(str(tiny_models["llama"]), pairs[:6], pairs[6:],
                   replace(TrainConfig(), max_steps=3, batch_size=2, eval_every=1, save_every=3, warmup_steps=1,
                           max_input_tokens=128, max_target_tokens=32), run, config=Config(), progress=False)
    spec = tmp_path / "exp.toml"
    spec.write_text(SPEC.replace("MODEL", str(tiny_models["llama"])).replace("RUN", str(run)))
    out = tmp_path / "out"
    results = run_experiment(str(spec), dataset_dir, out, log=lambda line: None)
    assert [r["name"] for r in results["rows"]] == ["Zero-shot tiny", "Tuned tiny"]
    tuned = [json.loads(line) for line in (out / "variants" / "Tuned_tiny" / "generations.jsonl").open()]
    assert len(tuned) == 4 and all(isinstance(g["text"], str) for g in tuned)
    assert all(g["prepared"]["prompt_tokens"] <= 200 for g in tuned)
    config = json.loads((out / "config.json").read_text())
    assert config["variants"]["Tuned tiny"]["model"]["name"] in (str(run / "best"), str(run / "final"))
    written = write_report(out)
    assert (out / "report" / "loss.png").exists()
    assert "Training and validation loss" in written[0].read_text()
