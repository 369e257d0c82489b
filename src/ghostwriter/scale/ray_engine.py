"""The ``ray`` engine: partitions become rows of a Ray Dataset, mapped by a pool of stateful actors.

Each actor loads the stage once (``map_batches`` with a class) and then takes one partition
per call. A partition that dies with its worker is retried on a restarted actor
(``max_restarts``/``max_task_retries``); the driver reads outputs in partition order and
checks each partition arrives exactly once, so a retry can neither lose nor repeat examples.

Without ``--ray-address`` it starts a private local cluster of ``workers`` CPUs and shuts it
down afterwards; with one it joins that cluster (every node needs ghostwriter installed).
"""
from __future__ import annotations

import pickle
from collections.abc import Iterator, Sequence
from typing import Any

from ghostwriter.errors import require
from ghostwriter.scale.engine import EngineError, Stage

MAX_RESTARTS = 3  # a worker may die this many times (OOM, preemption) before the run fails
DEFAULT_WORKERS = 2


class _PartitionWorker:
    """One Ray actor: loads the stage in its constructor, then maps partition rows to output rows."""

    def __init__(self, stage: Stage):
        self.run = stage.load()

    def __call__(self, batch: dict) -> dict:
        outputs = [pickle.dumps(self.run(pickle.loads(payload)), protocol=pickle.HIGHEST_PROTOCOL)
                   for payload in batch["payload"]]
        return {"partition": batch["partition"], "output": outputs}


class RayEngine:
    """Ray Data over a local or remote cluster; ``workers`` actors, one CPU each."""

    name = "ray"

    def __init__(self, address: str | None = None, workers: int | None = None):
        self.ray = require("ray", "scale")
        require("ray.data", "scale")
        self.workers = workers or DEFAULT_WORKERS
        if self.workers < 1:
            raise EngineError(f"the ray engine needs at least one worker, got {self.workers}")
        self.started = False
        if not self.ray.is_initialized():
            self._init(address)

    def _init(self, address: str | None) -> None:
        options: dict[str, Any] = {"include_dashboard": False, "logging_level": "WARNING",
                                   "configure_logging": True}
        if address:
            options["address"] = address
        else:
            options["num_cpus"] = self.workers
        try:
            self.ray.init(**options)
        except ConnectionError as exc:
            raise EngineError(f"cannot reach a Ray cluster at {address!r} ({exc}); start one with "
                              f"`ray start --head` and pass its address, e.g. --ray-address HOST:6379") from None
        self.started = True

    def map_partitions(self, stage: Stage, partitions: Sequence[list]) -> Iterator[Any]:
        if not partitions:
            return
        data = self.ray.data
        context = data.DataContext.get_current()
        saved = context.execution_options.preserve_order, context.enable_progress_bars
        context.execution_options.preserve_order = True  # outputs stream back in partition order
        context.enable_progress_bars = False
        try:
            rows = [{"partition": i, "payload": pickle.dumps(p, protocol=pickle.HIGHEST_PROTOCOL)}
                    for i, p in enumerate(partitions)]
            dataset = data.from_items(rows, override_num_blocks=len(rows))
            mapped = dataset.map_batches(
                _PartitionWorker, fn_constructor_kwargs={"stage": stage}, batch_size=1, batch_format="numpy",
                compute=data.ActorPoolStrategy(size=min(self.workers, len(rows))), num_cpus=1,
                max_restarts=MAX_RESTARTS, max_task_retries=MAX_RESTARTS)
            expected = 0
            for row in mapped.iter_rows():
                if int(row["partition"]) != expected:
                    raise EngineError(f"ray returned partition {int(row['partition'])} where {expected} was due; "
                                      f"a partition was lost or repeated")
                expected += 1
                yield pickle.loads(row["output"])
            if expected != len(partitions):
                raise EngineError(f"ray returned {expected} of {len(partitions)} partitions")
        finally:
            context.execution_options.preserve_order, context.enable_progress_bars = saved

    def close(self) -> None:
        if self.started:
            self.ray.shutdown()
            self.started = False

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
