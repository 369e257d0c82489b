"""``--engine local|ray``, ``--ray-address ADDR`` and ``--workers N`` for any batch command."""
from __future__ import annotations

import argparse


def add_engine_options(parser: argparse.ArgumentParser) -> None:
    """Add the engine flags; the handler then calls :func:`engine_from_args`."""
    from ghostwriter.scale.engine import ENGINE_NAMES

    group = parser.add_argument_group("scale-out (pip install 'ghostwriter[scale]')")
    group.add_argument("--engine", choices=ENGINE_NAMES, default="local",
                       help="local: this process (default); ray: Ray Data workers, a user's examples never split")
    group.add_argument("--ray-address", metavar="ADDR",
                       help="join a running Ray cluster (e.g. HOST:6379 or ray://HOST:10001); "
                            "without it --engine ray starts a private local one")
    group.add_argument("--workers", type=int, default=None, metavar="N",
                       help="Ray actors (one CPU each); default 2")


def engine_from_args(args):
    """The engine the flags name; use it as a context manager so a private Ray cluster is shut down."""
    from ghostwriter.scale.engine import get_engine

    return get_engine(getattr(args, "engine", "local"), getattr(args, "ray_address", None),
                      getattr(args, "workers", None))
