"""The engine layer without Ray: user partitioning, input-order outputs, flags and clear errors."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from ghostwriter.cli import main
from ghostwriter.config import Config
from ghostwriter.errors import MissingExtraError
from ghostwriter.records import Example
from ghostwriter.scale import EngineError, get_engine, partition_by_user, run_stage
from ghostwriter.scale.stages import RankStage, build_dataset_on

SLICE = Path(__file__).resolve().parents[1] / "src" / "ghostwriter" / "resources" / "openzfs-slice.jsonl.gz"


def _example(user: str, n: int) -> Example:
    return Example(example_id=f"{user}-{n}", user_id=user, timestamp=n, context="c", target="t")


@pytest.mark.parametrize("sizes, max_items, expected", [
    ({"a": 2, "b": 2, "c": 2}, 4, [["a", "a", "b", "b"], ["c", "c"]]),
    ({"a": 5, "b": 1}, 2, [["a"] * 5, ["b"]]),  # a big user gets a partition of their own, never split
    ({"b": 1, "a": 1}, 10, [["a", "b"]]),  # users in sorted order whatever the input order
    ({}, 3, []),
])
def test_partition_by_user_keeps_users_whole(sizes, max_items, expected):
    items = [_example(u, i) for u, n in sizes.items() for i in range(n)]
    partitions = partition_by_user(items, max_items)
    assert [[e.user_id for _, e in p] for p in partitions] == expected
    assert sorted(pos for p in partitions for pos, _ in p) == list(range(len(items)))


class _UpperContext:
    """A stage that records how many times it was loaded."""

    loads = 0

    def load(self):
        type(self).loads += 1
        return lambda examples: [e.context.upper() + e.user_id for e in examples]


def test_run_stage_returns_outputs_in_input_order_and_loads_once():
    items = [_example(u, i) for i in range(3) for u in ("z", "a", "m")]  # users interleaved
    _UpperContext.loads = 0
    out = run_stage(get_engine("local"), _UpperContext(), items, max_items=2)
    assert out == [f"C{e.user_id}" for e in items]
    assert _UpperContext.loads == 1


def test_run_stage_rejects_a_stage_that_drops_outputs():
    class Short:
        def load(self):
            return lambda examples: examples[:-1]

    with pytest.raises(EngineError, match="returned 1 outputs for 2 items"):
        run_stage(get_engine("local"), Short(), [_example("a", 0), _example("a", 1)])


def test_unknown_engine_lists_the_choices():
    with pytest.raises(EngineError, match="choose from: local, ray"):
        get_engine("spark")


def test_missing_ray_names_the_pip_command(monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)  # import ray -> ImportError, as when it is not installed
    with pytest.raises(MissingExtraError, match=r"pip install 'ghostwriter\[scale\]'"):
        get_engine("ray")


@pytest.mark.parametrize("command", [
    ["data", "build", str(SLICE), "--out", "{tmp}/ds"],
    ["rank", "{tmp}/ds", "--out", "{tmp}/r.jsonl"],
    ["generate", "{tmp}/ds", "--variant", "syn_ind", "--out", "{tmp}/g.jsonl"],
    ["experiment", "peers", "--dataset", "{tmp}/ds", "--out", "{tmp}/exp"],
], ids=["data-build", "rank", "generate", "experiment"])
def test_cli_reports_missing_ray_without_a_traceback(command, monkeypatch, tmp_path, capsys):
    monkeypatch.setitem(sys.modules, "ray", None)
    code = main([part.format(tmp=tmp_path) for part in command] + ["--engine", "ray", "--workers", "2"])
    assert code == 2
    err = capsys.readouterr().err
    assert "pip install 'ghostwriter[scale]'" in err and "Traceback" not in err


def test_ray_address_needs_the_ray_engine(tmp_path, capsys):
    assert main(["data", "build", str(SLICE), "--out", str(tmp_path / "ds"), "--ray-address", "x:1"]) == 2
    assert "--ray-address only applies to --engine ray" in capsys.readouterr().err


def test_local_engine_builds_the_plain_commands_dataset(tmp_path):
    """build_dataset_on with the local engine writes byte for byte what build_dataset writes."""
    from ghostwriter.data.build import build_dataset

    config = Config()
    build_dataset(SLICE, tmp_path / "plain", config)
    build_dataset_on(get_engine("local"), SLICE, tmp_path / "scaled", config, partition_items=40)
    for name in ("documents.jsonl", "train.jsonl", "val.jsonl", "test.jsonl", "config.json"):
        assert (tmp_path / "plain" / name).read_bytes() == (tmp_path / "scaled" / name).read_bytes(), name


def test_partitioned_ranking_matches_ranking_all_examples_at_once(tmp_path):
    """Same entries in the same order; BM25 scores agree to rounding.

    Not bit for bit: BM25 sums a document's per-term weights in term-id order, and term ids
    follow the texts a scorer has seen, so a partition's scores can differ from the one-batch
    run's in the last bit. Engines compare against each other exactly (test_scale_ray).
    """
    from ghostwriter.data.build import build_dataset, load_dataset
    from ghostwriter.rank.registry import get_ranker

    build_dataset(SLICE, tmp_path / "ds", Config())
    examples = load_dataset(tmp_path / "ds").split("train")
    whole = get_ranker("bm25", Config()).rank(examples)
    parts = run_stage(get_engine("local"), RankStage(Config(), "bm25"), examples, max_items=7)
    assert [r.example_id for r in parts] == [r.example_id for r in whole]
    for a, b in zip(whole, parts):
        assert [(e.doc_id, e.start, e.end, e.text) for e in a.entries] == \
               [(e.doc_id, e.start, e.end, e.text) for e in b.entries]
        assert [e.score for e in a.entries] == pytest.approx([e.score for e in b.entries], rel=1e-12)


def test_experiment_on_the_local_engine_writes_what_the_plain_runner_writes(tmp_path):
    """The engine hook (prepare by user partitions, prompts rebuilt with the generator's counter) changes no byte."""
    from ghostwriter.data.build import build_dataset
    from ghostwriter.scale.testing import SMALL_EXPERIMENT_FILES, run_small_experiment

    build_dataset(SLICE, tmp_path / "ds", Config())
    plain = run_small_experiment(tmp_path / "ds", tmp_path / "plain")
    scaled = run_small_experiment(tmp_path / "ds", tmp_path / "scaled", engine=get_engine("local"))
    assert plain["rows"] == scaled["rows"] and len(plain["example_ids"]) == 12
    for name in SMALL_EXPERIMENT_FILES:
        assert (tmp_path / "plain" / name).read_bytes() == (tmp_path / "scaled" / name).read_bytes(), name


def test_local_engine_never_imports_ray(tmp_path):
    code = ("import sys; from ghostwriter.cli import main; "
            f"assert main(['data', 'build', {str(SLICE)!r}, '--out', sys.argv[1]]) == 0; "
            "assert main(['rank', sys.argv[1], '--out', sys.argv[1] + '.rank.jsonl', '--engine', 'local']) == 0; "
            "assert 'ray' not in sys.modules, 'ray imported'")
    done = subprocess.run([sys.executable, "-c", code, str(tmp_path / "ds")], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr


@pytest.mark.slow
def test_generate_split_on_writes_what_generate_split_writes(tiny_models, tmp_path):
    """Same lines (ids, prompts, generated text, order) as ``ghostwriter generate``, and resumable."""
    import json

    from ghostwriter.config import load_config
    from ghostwriter.data.build import build_dataset
    from ghostwriter.generate.run import generate_split
    from ghostwriter.scale.stages import generate_split_on

    config = load_config(overrides=[f"model.name={tiny_models['t5']}", "generate.max_new_tokens=8"])
    build_dataset(SLICE, tmp_path / "ds", config)
    generate_split(tmp_path / "ds", "syn_ind", tmp_path / "plain.jsonl", config, limit=12, progress=False)
    first = generate_split_on(get_engine("local"), tmp_path / "ds", "syn_ind", tmp_path / "scaled.jsonl", config,
                              limit=6, partition_items=4)
    rest = generate_split_on(get_engine("local"), tmp_path / "ds", "syn_ind", tmp_path / "scaled.jsonl", config,
                             limit=12, partition_items=4)
    assert (first["written"], rest["already_done"], rest["written"]) == (6, 6, 6)

    def lines(name):
        rows = [json.loads(line) for line in (tmp_path / name).read_text().splitlines()]
        return [(r["example_id"], r["prepared"]["prompt"], r["text"], r["model"]) for r in rows]

    assert lines("scaled.jsonl") == lines("plain.jsonl")
