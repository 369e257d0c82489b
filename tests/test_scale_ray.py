"""The ray engine on a private 2-CPU local cluster: the same files as local, and a killed worker's retry.

One cluster for the module (starting Ray costs ~10 s on a busy 2-core machine).
"""
from __future__ import annotations

from pathlib import Path

import pytest

from ghostwriter.config import Config
from ghostwriter.io import write_jsonl
from ghostwriter.scale import get_engine, run_stage
from ghostwriter.scale.stages import (RankStage, build_dataset_on, prepare_on, prepared_to_json,
                                      rank_split_on)
from ghostwriter.scale.testing import CrashOnceStage

ray = pytest.importorskip("ray", reason="the ray engine needs pip install 'ghostwriter[scale]'")
pytestmark = pytest.mark.slow

SLICE = Path(__file__).resolve().parents[1] / "src" / "ghostwriter" / "resources" / "openzfs-slice.jsonl.gz"
DATASET_FILES = ("documents.jsonl", "train.jsonl", "val.jsonl", "test.jsonl", "config.json")


@pytest.fixture(scope="module")
def ray_engine():
    ray.init(num_cpus=2, include_dashboard=False, logging_level="ERROR")
    try:
        yield get_engine("ray", workers=2)  # joins the running cluster, so it does not shut it down
    finally:
        ray.shutdown()


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    from ghostwriter.data.build import build_dataset

    out = tmp_path_factory.mktemp("scale") / "local"
    build_dataset(SLICE, out, Config())
    return out


def test_data_build_on_ray_writes_the_local_files(ray_engine, dataset, tmp_path):
    manifest = build_dataset_on(ray_engine, SLICE, tmp_path / "ray", Config(), partition_items=40)
    for name in DATASET_FILES:
        assert (dataset / name).read_bytes() == (tmp_path / "ray" / name).read_bytes(), name
    assert manifest["examples"]["kept"] > 100


def test_rank_and_prepare_on_ray_write_the_local_engines_files(ray_engine, dataset, tmp_path):
    from ghostwriter.data.build import load_dataset

    config = Config()
    local = get_engine("local")
    rank_split_on(local, dataset, "bm25", "train", tmp_path / "local.jsonl", config, partition_items=60)
    summary = rank_split_on(ray_engine, dataset, "bm25", "train", tmp_path / "ray.jsonl", config, partition_items=60)
    assert summary["examples"] > 100
    assert (tmp_path / "local.jsonl").read_bytes() == (tmp_path / "ray.jsonl").read_bytes()

    examples = load_dataset(dataset).split("train")
    for engine, name in ((local, "local"), (ray_engine, "ray")):
        prepared = prepare_on(engine, dataset, examples, config, "syn_ind", partition_items=60)
        write_jsonl(tmp_path / f"prepared-{name}.jsonl", map(prepared_to_json, prepared))
    assert (tmp_path / "prepared-local.jsonl").read_bytes() == (tmp_path / "prepared-ray.jsonl").read_bytes()
    assert any(p.words for p in prepared) and any(p.ranking.entries for p in prepared)


def test_a_killed_worker_is_retried_without_losing_or_repeating_examples(ray_engine, dataset, tmp_path):
    from ghostwriter.data.build import load_dataset

    examples = load_dataset(dataset).split("train")
    victim = examples[len(examples) // 2].example_id  # a partition in the middle of the run
    marker = tmp_path / "killed"
    stage = CrashOnceStage(RankStage(Config(), "bm25"), crash_on_item=victim, marker=str(marker))
    rankings = run_stage(ray_engine, stage, examples, max_items=40)
    assert marker.read_text().startswith("killed worker pid")  # a worker process really died
    assert [r.example_id for r in rankings] == [e.example_id for e in examples]  # none lost, none repeated
    assert rankings == run_stage(get_engine("local"), RankStage(Config(), "bm25"), examples, max_items=40)


def test_rank_and_experiment_commands_on_ray_write_the_local_commands_files(ray_engine, dataset, tmp_path,
                                                                            capsys):
    """``ghostwriter rank --engine ray --workers 2`` and the experiment runner's engine hook, end to end.

    The slice's train split fits one partition, so the plain command's file is matched byte for
    byte; on bigger splits only the last bit of a BM25 score may differ (docs/scaling.md).
    """
    import json

    from ghostwriter.cli import main
    from ghostwriter.scale.testing import SMALL_EXPERIMENT_FILES, run_small_experiment

    common = ["rank", str(dataset), "--ranker", "bm25", "--split", "train"]
    assert main(common + ["--out", str(tmp_path / "local.jsonl")]) == 0
    assert main(common + ["--out", str(tmp_path / "ray.jsonl"), "--engine", "ray", "--workers", "2"]) == 0
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert summary["engine"] == "ray" and summary["examples"] > 100
    for suffix in ("", ".config.json"):
        assert (tmp_path / f"local.jsonl{suffix}").read_bytes() == (tmp_path / f"ray.jsonl{suffix}").read_bytes()

    plain = run_small_experiment(dataset, tmp_path / "plain")
    scaled = run_small_experiment(dataset, tmp_path / "ray", engine=ray_engine)
    assert plain["rows"] == scaled["rows"]
    for name in SMALL_EXPERIMENT_FILES:
        assert (tmp_path / "plain" / name).read_bytes() == (tmp_path / "ray" / name).read_bytes(), name
