"""Training under ``accelerate launch``: two gloo processes take the same steps as one process."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from ghostwriter.scale.distributed import SingleProcess, get_distributed

SUPPORT = Path(__file__).resolve().parent / "scale_ddp_support.py"
ACCELERATE_CONFIGS = Path(__file__).resolve().parents[1] / "configs" / "accelerate"


def test_plain_run_is_a_single_process_and_imports_no_accelerate(monkeypatch):
    monkeypatch.delenv("WORLD_SIZE", raising=False)
    dist = get_distributed()
    assert isinstance(dist, SingleProcess) and dist.world_size == 1 and dist.is_main
    assert dist.shard((3, 1, 2)) == (3, 1, 2)


@pytest.mark.parametrize("name, distributed_type", [("ddp.yaml", "MULTI_GPU"), ("fsdp.yaml", "FSDP"),
                                                    ("deepspeed_zero3.yaml", "DEEPSPEED")])
def test_accelerate_configs_load(name, distributed_type):
    from accelerate.commands.config.config_args import load_config_from_file

    config = load_config_from_file(str(ACCELERATE_CONFIGS / name))
    assert str(config.distributed_type).rsplit(".", 1)[-1] == distributed_type


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.slow
def test_two_gloo_processes_match_one_process_loss(tmp_path):
    sys.path.insert(0, str(SUPPORT.parent))
    try:
        from scale_ddp_support import build_test_t5
    finally:
        sys.path.pop(0)
    model = build_test_t5(tmp_path / "t5")
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONWARNINGS": "ignore"}
    env.pop("WORLD_SIZE", None)
    one, two = tmp_path / "one.json", tmp_path / "two.json"
    args = [str(SUPPORT), str(model), "--steps", "4", "--batch-size", "4"]
    subprocess.run([sys.executable, *args[:2], str(one), *args[2:]], check=True, env=env, timeout=180,
                   capture_output=True)
    accelerate = Path(sys.executable).with_name("accelerate")
    # --multi_gpu makes accelerate start torchrun processes; with no GPU they run on CPU with gloo
    launched = subprocess.run([str(accelerate), "launch", "--multi_gpu", "--num_processes", "2", "--num_machines", "1",
                               "--mixed_precision", "no", "--dynamo_backend", "no", "--main_process_port", str(_free_port()),
                               *args[:2], str(two), *args[2:]], env=env, timeout=240, capture_output=True, text=True)
    assert launched.returncode == 0, launched.stderr[-3000:]
    single, double = json.loads(one.read_text()), json.loads(two.read_text())
    assert (single["world_size"], double["world_size"]) == (1, 2)
    assert double["losses"] == pytest.approx(single["losses"], rel=1e-4)
    assert double["grad_norms"] == pytest.approx(single["grad_norms"], rel=1e-4)
    assert single["losses"][-1] < single["losses"][0]  # it did train
