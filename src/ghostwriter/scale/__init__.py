"""Scale out on existing engines: Ray Data for the batch stages, accelerate for multi-GPU training.

- :func:`get_engine` / :data:`ENGINES`: ``local`` (default, this process, imports no Ray) or
  ``ray`` (Ray Data actors on a local or remote cluster).
- :func:`run_stage`: a stage over examples, partitioned by user, outputs in input order.
- :mod:`ghostwriter.scale.stages`: data build, ranking and prompt preparation as stages, and
  ``build_dataset_on`` / ``rank_split_on`` / ``prepare_on`` / ``generate_split_on`` that write what the
  local commands write (``--engine`` on ``data build``, ``rank``, ``generate`` and ``experiment``).
  See docs/scaling.md.
- :mod:`ghostwriter.scale.distributed`: what ``ghostwriter train`` needs under ``accelerate launch``.

>>> with get_engine("ray", workers=2) as engine:                           # doctest: +SKIP
...     rankings = run_stage(engine, RankStage(config, "bm25"), examples)
"""
from ghostwriter.scale.cli import add_engine_options, engine_from_args
from ghostwriter.scale.engine import (ENGINE_NAMES, ENGINES, EngineError, LocalEngine, Stage, get_engine,
                                      partition_by_user, run_stage)

__all__ = ["ENGINES", "ENGINE_NAMES", "EngineError", "LocalEngine", "Stage", "get_engine", "partition_by_user",
           "run_stage", "add_engine_options", "engine_from_args"]
