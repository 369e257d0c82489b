"""Errors a user can act on: each names where the problem is and what is allowed."""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field


class GhostwriterError(Exception):
    """Base class: the CLI prints these as one clear message, never a traceback."""


class ConfigError(GhostwriterError):
    """A config file, preset or override that names an unknown key or a wrong type."""


class MissingExtraError(GhostwriterError):
    """An optional dependency is not installed; the message names the pip command."""


def require(module: str, extra: str):
    """Import ``module`` or fail with the ``pip install`` command that provides it."""
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise MissingExtraError(
            f"{module!r} is not installed; install it with: pip install 'ghostwriter[{extra}]'"
        ) from exc


class BadInputError(GhostwriterError):
    """A malformed input record: file, line, field and what was expected."""

    def __init__(self, source: str, line: int, field_name: str, message: str):
        self.source, self.line, self.field_name, self.message = source, line, field_name, message
        super().__init__(f"{source}:{line}: field {field_name!r}: {message}")


@dataclass
class BadRecords:
    """What to do with malformed records: stop at the first (default) or skip and count.

    Importers call :meth:`report` for every bad record; with ``skip=False`` that raises
    :class:`BadInputError`, otherwise the record is counted by reason and the first few
    messages are kept so the summary can show them.
    """

    skip: bool = False
    counts: Counter = field(default_factory=Counter)
    samples: list[str] = field(default_factory=list)
    max_samples: int = 10

    def report(self, source: str, line: int, field_name: str, message: str, reason: str) -> None:
        error = BadInputError(source, line, field_name, message)
        if not self.skip:
            raise error
        self.counts[reason] += 1
        if len(self.samples) < self.max_samples:
            self.samples.append(str(error))

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def summary(self) -> dict:
        return {"skipped": self.total, "by_reason": dict(sorted(self.counts.items())),
                "first": list(self.samples)}
