"""Engines run a stage over user partitions: in this process (``local``) or on a Ray cluster (``ray``).

A *stage* is a small picklable recipe whose ``load()`` builds the heavy things (a ranker, its
indexes, a pipeline, a model) once per worker and returns the function applied to each
partition. A *partition* is a list of items (documents or examples) holding whole users: a
user's profile and the indexes built on it never straddle two workers. Engines yield each
partition's output in partition order, so callers write exactly the files the local engine writes.

>>> engine = get_engine("local")
>>> run_stage(engine, RankStage(config, "bm25"), examples)  # doctest: +SKIP
"""
from __future__ import annotations

import importlib
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from typing import Any, Protocol

from ghostwriter.errors import GhostwriterError

DEFAULT_PARTITION_ITEMS = 2000  # items per partition: big enough for vectorized rankers, small enough to spread


class EngineError(GhostwriterError):
    """An engine that cannot start, or a run that lost or repeated a partition."""


class Stage(Protocol):
    """A picklable recipe: ``load()`` runs once per worker; its result maps one partition to its output."""

    def load(self) -> Callable[[list], Any]: ...


def user_of(item) -> str:
    return item.user_id


def partition_by_user(items: Sequence, max_items: int = DEFAULT_PARTITION_ITEMS,
                      key: Callable[[Any], str] = user_of) -> list[list[tuple[int, Any]]]:
    """``(input position, item)`` lists, whole users each, users in sorted order, cut near ``max_items``.

    A user with more than ``max_items`` items gets a partition of their own rather than being split.
    The partitioning depends only on the items, never on the engine or the number of workers.
    """
    if max_items < 1:
        raise EngineError(f"partition size must be >= 1, got {max_items}")
    by_user: dict[str, list[tuple[int, Any]]] = defaultdict(list)
    for position, item in enumerate(items):
        by_user[key(item)].append((position, item))
    partitions: list[list[tuple[int, Any]]] = []
    current: list[tuple[int, Any]] = []
    for user in sorted(by_user):
        group = by_user[user]
        if current and len(current) + len(group) > max_items:
            partitions.append(current)
            current = []
        current.extend(group)
    if current:
        partitions.append(current)
    return partitions


class Engine(Protocol):
    name: str

    def map_partitions(self, stage: Stage, partitions: Sequence[list]) -> Iterator[Any]:
        """Each partition's output, in partition order, each exactly once."""

    def close(self) -> None: ...


class LocalEngine:
    """Runs the stage in this process: loads it once, then maps the partitions in order. Imports no Ray."""

    name = "local"

    def __init__(self, address: str | None = None, workers: int | None = None):
        if address:
            raise EngineError("--ray-address only applies to --engine ray")

    def map_partitions(self, stage: Stage, partitions: Sequence[list]) -> Iterator[Any]:
        if not partitions:
            return
        run = stage.load()
        for partition in partitions:
            yield run(partition)

    def close(self) -> None:
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


# name -> "module:Class" under ghostwriter.scale, imported on first use so `local` never loads Ray
ENGINES: dict[str, str] = {
    "local": "engine:LocalEngine",  # this process, the default
    "ray": "ray_engine:RayEngine",  # Ray Data actors: a local 2..N CPU cluster, or --ray-address
}
ENGINE_NAMES = tuple(ENGINES)


def get_engine(name: str = "local", address: str | None = None, workers: int | None = None) -> Engine:
    """The engine called ``name``; ``address`` joins a running Ray cluster, ``workers`` sizes the actor pool."""
    if name not in ENGINES:
        raise EngineError(f"unknown engine {name!r}; choose from: {', '.join(ENGINE_NAMES)}")
    module, _, cls = ENGINES[name].partition(":")
    return getattr(importlib.import_module(f"ghostwriter.scale.{module}"), cls)(address=address, workers=workers)


def run_stage(engine: Engine, stage: Stage, items: Sequence, max_items: int = DEFAULT_PARTITION_ITEMS,
              key: Callable[[Any], str] = user_of) -> list:
    """One output per item, in input order: ``stage`` maps a list of items to a list of the same length.

    Items are partitioned by user (:func:`partition_by_user`); the stage sees each partition's
    items in input order, and outputs are put back in input order whatever the engine.
    """
    partitions = partition_by_user(items, max_items, key)
    out: list = [None] * len(items)
    filled = 0
    for partition, results in zip(partitions, engine.map_partitions(OnItems(stage), partitions), strict=True):
        if len(results) != len(partition):
            raise EngineError(f"stage {type(stage).__name__} returned {len(results)} outputs "
                              f"for {len(partition)} items")
        for (position, _), result in zip(partition, results):
            out[position] = result
        filled += len(results)
    if filled != len(items):
        raise EngineError(f"engine {engine.name} returned {filled} outputs for {len(items)} items")
    return out


class OnItems:
    """Adapts a stage over items to partitions of ``(position, item)`` pairs (item order kept)."""

    def __init__(self, stage: Stage):
        self.stage = stage

    def load(self):
        run = self.stage.load()
        return lambda partition: run([item for _, item in partition])
