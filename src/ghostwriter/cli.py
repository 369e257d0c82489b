"""``ghostwriter``: thin subcommands over the library.

Each module in :mod:`ghostwriter.commands` adds its subcommands with ``register(subparsers)``
and sets ``handler`` on each; heavy imports happen inside the handlers, so ``--help`` is instant.
"""
from __future__ import annotations

import argparse
import importlib
import sys

from ghostwriter.errors import GhostwriterError

COMMAND_MODULES = ("data", "rank", "prompt", "generate", "train", "experiment", "report", "demo", "serve", "keys")  # ghostwriter.commands.<name>, in help order


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ghostwriter", description="Finish a document in its author's voice.")
    parser.add_argument("--version", action="store_true", help="print the version and exit")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(f"ghostwriter.commands.{name}").register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.version:
        from ghostwriter import __version__

        print(__version__)
        return 0
    handler = getattr(args, "handler", None)
    if handler is None:
        parser.print_help()
        return 2
    try:
        return handler(args)
    except GhostwriterError as exc:
        print(f"ghostwriter: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("ghostwriter: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
