"""CLI subcommands, one module per stage. Each defines ``register(subparsers)``."""
from __future__ import annotations

import argparse


def add_config_options(parser: argparse.ArgumentParser) -> None:
    """``--config FILE_OR_PRESET`` and repeatable ``--set section.key=value``."""
    parser.add_argument("--config", metavar="FILE_OR_PRESET",
                        help="a TOML config file, or a preset name from configs/ (e.g. quickstart)")
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="SECTION.KEY=VALUE",
                        help="override one config field; repeatable (e.g. --set data.context_chars=200)")


def resolve_config(args):
    """The config named by ``--config`` with ``--set`` overrides applied."""
    from ghostwriter.config import load_config

    return load_config(args.config, args.overrides)
