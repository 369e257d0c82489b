"""Real training runs on tiny models: losses, logs, checkpoints, LoRA, resume after SIGKILL."""
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ghostwriter.config import load_config
from ghostwriter.models import load_lm
from ghostwriter.models.testing import fixture_lines
from ghostwriter.train import TrainError, latest_checkpoint, train_on_pairs

pytestmark = pytest.mark.usefixtures("one_torch_thread")

LINES = fixture_lines(400)
TRAIN = [(LINES[i], LINES[i + 1]) for i in range(0, 240, 2)]
VAL = [(LINES[i], LINES[i + 1]) for i in range(300, 340, 2)]


def _config(*extra):
    return load_config(overrides=["train.max_steps=12", "train.save_every=4", "train.eval_every=6",
                                  "train.eval_examples=8", "train.warmup_steps=3", "train.keep_checkpoints=2", *extra])


def _log(run: Path) -> list[dict]:
    return [json.loads(line) for line in (run / "log.jsonl").read_text().splitlines()]


def test_full_finetune_logs_checkpoints_and_exports(tiny_models, tmp_path):
    config = _config()
    result = train_on_pairs(str(tiny_models["llama"]), TRAIN, VAL, config.train, tmp_path / "run", config=config,
                            progress=False)
    log = _log(tmp_path / "run")
    train_rows = [r for r in log if "train_loss" in r]
    assert [r["step"] for r in train_rows] == list(range(1, 13))
    assert [r["step"] for r in log if "val_loss" in r] == [6, 12]
    assert all({"lr", "seconds", "tokens", "tokens_per_s", "batch"} <= set(r) for r in train_rows)
    assert train_rows[0]["lr"] == pytest.approx(1e-3 / 3)  # warm-up starts at base / warmup
    first, last = train_rows[0]["train_loss"], sum(r["train_loss"] for r in train_rows[-3:]) / 3
    assert last < first  # it learns
    checkpoints = sorted(p.name for p in (tmp_path / "run" / "checkpoints").iterdir())
    assert checkpoints == ["step-000008", "step-000012"]  # older ones pruned
    saved = {p.name for p in latest_checkpoint(tmp_path / "run").iterdir()}
    assert {"model.safetensors", "tokenizer.json", "ghostwriter_config.json", "optimizer.pt",
            "trainer_state.json"} <= saved
    state = json.loads((latest_checkpoint(tmp_path / "run") / "trainer_state.json").read_text())
    assert state["step"] == 12 and state["micro_step"] == 12
    assert result.steps == 12 and result.best_model is not None and result.best_val_loss is not None
    tuned = load_lm(str(result.final_model), config, cached=False)
    assert not tuned.is_seq2seq


def test_lora_on_t5_with_adamw_and_grad_accumulation(tiny_models, tmp_path):
    config = _config("train.method=lora", "train.optimizer=adamw", "train.grad_accum=2", "train.max_steps=6",
                     "train.batch_size=2")
    result = train_on_pairs(str(tiny_models["t5"]), TRAIN, VAL, config.train, tmp_path / "run", config=config,
                            progress=False)
    assert "adapter_model.safetensors" in {p.name for p in latest_checkpoint(tmp_path / "run").iterdir()}
    final = {p.name for p in result.final_model.iterdir()}
    assert "model.safetensors" in final and "adapter_config.json" not in final  # merged into a plain model
    assert load_lm(str(result.final_model), config, cached=False).is_seq2seq
    rows = [r for r in _log(tmp_path / "run") if "train_loss" in r]
    assert len(rows) == 6 and rows[0]["tokens"] > 0


def test_an_existing_run_needs_resume_and_the_same_batch_shape(tiny_models, tmp_path):
    config = _config("train.max_steps=4")
    train_on_pairs(str(tiny_models["llama"]), TRAIN, VAL, config.train, tmp_path / "run", config=config, progress=False)
    with pytest.raises(TrainError, match="--resume"):
        train_on_pairs(str(tiny_models["llama"]), TRAIN, VAL, config.train, tmp_path / "run", config=config,
                       progress=False)
    other = _config("train.max_steps=6", "train.batch_size=8")
    with pytest.raises(TrainError, match="train.batch_size"):
        train_on_pairs(str(tiny_models["llama"]), TRAIN, VAL, other.train, tmp_path / "run", config=other,
                       resume=True, progress=False)


CHILD = """
import json, sys
from pathlib import Path
from ghostwriter.config import load_config
from ghostwriter.train import train_on_pairs
model, out, pairs = sys.argv[1], Path(sys.argv[2]), json.loads(Path(sys.argv[3]).read_text())
config = load_config(overrides=sys.argv[4:])
train_on_pairs(model, [tuple(p) for p in pairs["train"]], [tuple(p) for p in pairs["val"]], config.train, out,
               config=config, progress=False)
"""


@pytest.mark.slow
def test_sigkill_mid_run_then_resume_matches_an_uninterrupted_run(tiny_models, tmp_path):
    """A real subprocess is SIGKILLed after its first checkpoint; --resume continues with the same batches."""
    overrides = ["train.max_steps=400", "train.save_every=4", "train.eval_every=0", "train.warmup_steps=3",
                 "train.keep_checkpoints=2"]
    pairs = tmp_path / "pairs.json"
    pairs.write_text(json.dumps({"train": TRAIN, "val": VAL}))
    killed = tmp_path / "killed"
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    child = subprocess.Popen([sys.executable, "-c", CHILD, str(tiny_models["llama"]), str(killed), str(pairs),
                              *overrides], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.time() + 120
        while latest_checkpoint(killed) is None:
            assert child.poll() is None, child.stderr.read().decode()[-2000:]
            assert time.time() < deadline, "no checkpoint within 120 s"
            time.sleep(0.02)
        os.kill(child.pid, signal.SIGKILL)
        child.wait(timeout=30)
    finally:
        if child.poll() is None:
            child.kill()
    assert child.returncode == -signal.SIGKILL
    assert not (killed / "final").exists()
    resumed_from = json.loads((latest_checkpoint(killed) / "trainer_state.json").read_text())["step"]
    assert 4 <= resumed_from < 12

    config = _config("train.eval_every=0")  # same data/optimizer settings; a shorter run, as resume allows
    train_on_pairs(str(tiny_models["llama"]), TRAIN, VAL, config.train, killed, config=config, resume=True,
                   progress=False)
    reference = tmp_path / "reference"
    train_on_pairs(str(tiny_models["llama"]), TRAIN, VAL, config.train, reference, config=config, progress=False)

    got = [r for r in _log(killed) if "train_loss" in r]
    want = [r for r in _log(reference) if "train_loss" in r]
    assert [r["step"] for r in got] == list(range(1, 13))  # each step once: the log was cut back at resume
    assert [r["batch"] for r in got] == [r["batch"] for r in want]  # the same data order
    for g, w in zip(got, want):
        assert g["train_loss"] == pytest.approx(w["train_loss"], rel=1e-4, abs=1e-5)
    assert (killed / "final" / "model.safetensors").is_file()
