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
