"""Fault injection for engine tests: a stage whose worker process dies once, for real, mid-run.

:class:`CrashOnceStage` wraps any stage; the first worker to reach the chosen partition
creates ``marker`` and kills its own process with ``os._exit`` (no cleanup, no exception:
what an OOM kill or a lost node looks like to Ray). The retried partition finds the marker
and runs normally, so a correct engine returns every output exactly once.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class CrashOnceStage:
    stage: object  # the stage to run (see ghostwriter.scale.engine.Stage)
    crash_on_item: str  # the example_id / doc_id whose partition kills the worker
    marker: str  # a file path every worker can see; created just before the crash

    def load(self):
        run = self.stage.load()
        marker, wanted = Path(self.marker), self.crash_on_item

        def run_or_die(partition):
            if not marker.exists() and any(_item_id(item) == wanted for item in partition):
                marker.write_text(f"killed worker pid {os.getpid()}\n", encoding="utf-8")
                os._exit(1)
            return run(partition)

        return run_or_die


def _item_id(item) -> str:
    if isinstance(item, tuple):  # (position, item) from run_stage / partition_by_user
        item = item[1]
    return getattr(item, "example_id", None) or getattr(item, "doc_id", "")


# ----------------------------------------------------------------------------- a small experiment, any engine

SMALL_EXPERIMENT = """
[experiment]
title = "engines"
compare_to = ["BM25"]

[evaluate]
limit = 12
bootstrap_samples = 50
metrics = ["bleu", "rouge"]

[[variant]]
name = "BM25"
variant = "rank_bm25"

[[variant]]
name = "SynInd"
variant = "syn_ind"

[[variant]]
name = "Repeat"
variant = "immed_ctx"
generator = "repeat_context"
"""
SMALL_EXPERIMENT_FILES = ("variants/BM25/generations.jsonl", "variants/SynInd/generations.jsonl",
                          "variants/Repeat/generations.jsonl", "results.csv", "per_example.csv", "examples.jsonl")


class WordEcho:
    """A fake LM with its own token counter (two per word), so prompts are rebuilt under it: the last 8 words."""

    @staticmethod
    def count_tokens(text: str) -> int:
        return 2 * len(text.split())

    def generate(self, prompts):
        return [" ".join(p.split()[-8:]) for p in prompts]


def run_small_experiment(dataset_dir, out, engine=None) -> dict:
    """:data:`SMALL_EXPERIMENT` (two model rows on :class:`WordEcho`, one no-model row) into ``out``."""
    from ghostwriter.evaluate.experiment import run_experiment

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    (out.parent / f"{out.name}.toml").write_text(SMALL_EXPERIMENT, encoding="utf-8")
    return run_experiment(str(out.parent / f"{out.name}.toml"), Path(dataset_dir), out, log=lambda line: None,
                          generator_factory=lambda config: WordEcho(), engine=engine)
